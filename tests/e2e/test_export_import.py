"""Data in and out: `/okr export` end to end, `northline export` and `northline import`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from slack_bolt import BoltContext
from sqlalchemy import func, select

from bot.errors import NorthlineError, Usage
from bot.listeners import export as export_listener
from bot.listeners import okr
from bot.listeners.router import Invocation
from bot.services.export import COLUMNS, csv_cell, export_rows, to_csv, to_json
from bot.services.importer import ImportRejected, import_file
from bot.services.workspaces import workspace_for
from bot.slack_client import build_web_client
from storage.models import KeyResult, KeyResultKind, Objective, RefCounter, Status, Workspace
from tests.conftest import ALICE, BOB, CHANNEL, OTHER_TEAM, TEAM, TOKEN, count_statements
from tests.factories import (
    cli_runner,
    import_changed,
    import_yaml,
    make_check_in_row,
    make_key_result_row,
    make_kpi_row,
    make_kra_row,
    make_measurement_row,
    make_objective_row,
    workspaces_for,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "okrs.yaml"
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'
SECRET = "Other team's secret plan"


# --- data -----------------------------------------------------------------------------------------


def seed(db, team: str = TEAM, *, title_prefix: str = "", owner: str = ALICE) -> None:
    """One KRA with a KPI and two measurements; two objectives (one under the other) with key
    results and check-ins. Titles carry the characters a CSV must survive."""
    at = datetime(2026, 10, 5, 9, 30)
    with db.session() as session:
        ws = workspace_for(session, team)
        kra = make_kra_row(
            session,
            ws.id,
            3,
            title_prefix + "Customer satisfaction",
            owner,
            description='Happy, "loyal" customers\nwho stay',
        )
        kpi = make_kpi_row(
            session, kra, 7, title_prefix + "NPS", target=50.0, latest_value=42.0, latest_at=at
        )
        make_measurement_row(session, kpi, owner, 38.0, measured_at=at.replace(day=1))
        make_measurement_row(session, kpi, owner, 42.0, note="@here up again", measured_at=at)
        parent = make_objective_row(session, ws.id, 1, title_prefix + "Company growth", owner, "2026-Q4")
        child = make_objective_row(
            session,
            ws.id,
            2,
            title_prefix + FORMULA_TITLE,
            owner,
            "2026-Q4",
            parent_id=parent.id,
            kra_id=kra.id,
            channel_id=CHANNEL,
        )
        mrr = make_key_result_row(
            session,
            ws.id,
            child.id,
            5,
            title_prefix + "-5 churned accounts",
            owner,
            start_value=10.0,
            target_value=20.0,
            unit="$",
            weight=3.0,
            current_value=18.0,
            last_checkin_at=at,
            last_confidence="at_risk",
        )
        make_key_result_row(
            session,
            ws.id,
            child.id,
            6,
            title_prefix + "Launch pricing",
            BOB,
            kind=KeyResultKind.MILESTONE,
            start_value=0.0,
            target_value=1.0,
            position=1,
        )
        make_check_in_row(session, mrr, owner, 12.5, confidence="on_track", created_at=at.replace(day=1))
        make_check_in_row(
            session, mrr, owner, 18.0, confidence="at_risk", note="+3 big deals, =SUM(A1)", created_at=at
        )


def seed_other_team(db) -> None:
    seed(db, OTHER_TEAM, title_prefix=SECRET + " ", owner="U0MALLORY")


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def by_record(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["record"], []).append(row)
    return grouped


def assert_seeded_rows(rows: list[dict[str, str]]) -> None:
    """The CSV of seed(): every kind, linked by references, numbers plain, formulas defused."""
    grouped = by_record(rows)
    assert {k: len(v) for k, v in grouped.items()} == {
        "kra": 1,
        "kpi": 1,
        "kpi_measurement": 2,
        "objective": 2,
        "key_result": 2,
        "check_in": 2,
    }
    assert list(grouped) == ["kra", "kpi", "kpi_measurement", "objective", "key_result", "check_in"]
    kra = grouped["kra"][0]
    assert (kra["ref"], kra["title"], kra["owner"]) == ("KRA-3", "Customer satisfaction", ALICE)
    assert kra["description"] == 'Happy, "loyal" customers\nwho stay'
    kpi = grouped["kpi"][0]
    assert (kpi["ref"], kpi["kra"], kpi["title"], kpi["target"], kpi["current"]) == (
        "KPI-7",
        "KRA-3",
        "NPS",
        "50",
        "42",
    )
    assert [(m["kpi"], m["value"], m["at"]) for m in grouped["kpi_measurement"]] == [
        ("KPI-7", "38", "2026-10-01T09:30:00Z"),
        ("KPI-7", "42", "2026-10-05T09:30:00Z"),
    ]
    assert grouped["kpi_measurement"][1]["note"] == "'@here up again"
    parent, child = grouped["objective"]
    assert (parent["ref"], parent["parent_objective"], parent["percent"]) == ("OBJ-1", "", "0")
    assert (child["ref"], child["parent_objective"], child["kra"], child["channel"]) == (
        "OBJ-2",
        "OBJ-1",
        "KRA-3",
        CHANNEL,
    )
    assert child["title"] == "'" + FORMULA_TITLE
    # KR-5: (18 - 10) / (20 - 10) = 80 %, weight 3; KR-6: no check-in (0), weight 1 -> 0.6.
    assert (child["progress"], child["percent"]) == ("0.6", "60")
    mrr, launch = grouped["key_result"]
    assert (mrr["ref"], mrr["objective"], mrr["title"]) == ("KR-5", "OBJ-2", "'-5 churned accounts")
    assert (mrr["start"], mrr["target"], mrr["current"], mrr["weight"]) == ("10", "20", "18", "3")
    assert (mrr["progress"], mrr["percent"], mrr["confidence"]) == ("0.8", "80", "at_risk")
    assert (launch["ref"], launch["kind"], launch["owner"], launch["progress"], launch["percent"]) == (
        "KR-6",
        "milestone",
        BOB,
        "",
        "",
    )
    assert [(c["key_result"], c["objective"], c["value"], c["confidence"]) for c in grouped["check_in"]] == [
        ("KR-5", "OBJ-2", "12.5", "on_track"),
        ("KR-5", "OBJ-2", "18", "at_risk"),
    ]
    assert grouped["check_in"][1]["note"] == "'+3 big deals, =SUM(A1)"


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- /okr export end to end -----------------------------------------------------------------------


def test_the_okr_router_dispatches_export(slack):
    # `slack` built the app, so every listener module has registered what it adds to /okr.
    assert okr.ROUTER.handlers["export"] is export_listener.export_command
    slack.command("/okr", "export", user_id=BOB, team_id=TEAM)
    assert "nothing to export" in slack.wait_for_response_url()["text"]


def test_okr_export_sends_the_workspace_csv_to_a_dm(slack, emulator, db, frozen_now):
    seed(db)
    seed_other_team(db)
    response = slack.command("/okr", "export", user_id=ALICE, team_id=TEAM)
    assert response.status == 200, response.text

    answer = slack.wait_for_response_url()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Sent you the export in a DM")
    # The three steps of files_upload_v2, into Alice's DM with the app.
    opened = emulator.wait_for("conversations.open", ok=True)
    assert opened[-1].args["users"] == ALICE
    dm = emulator.dm_channel_id(TEAM, ALICE)
    (get_url,) = emulator.wait_for("files.getUploadURLExternal", ok=True)
    (upload,) = emulator.wait_for("upload_url", ok=True)
    (complete,) = emulator.wait_for("files.completeUploadExternal", ok=True)
    today = frozen_now.date().isoformat()  # the clock stands still: the app's day is the test's
    assert get_url.args["filename"] == f"northline-export-{TEAM}-{today}.csv"
    assert int(get_url.args["length"]) == upload.args["length"]
    assert complete.args["channel_id"] == dm
    assert "2 objectives" in complete.args["initial_comment"]
    day = f"{frozen_now:%a} {frozen_now.day} {frozen_now:%b %Y}"  # the plain day, "Wed 18 Nov 2026"
    assert complete.args["initial_comment"].startswith(f"Your Northline export of {day}: ")
    assert complete.args["files"][0]["title"] == f"Northline export {day}"

    file_id = get_url.response["file_id"]
    uploaded = emulator.files[file_id]
    assert uploaded.completed and uploaded.team_id == TEAM and uploaded.channel_id == dm
    text = uploaded.content.decode("utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert_seeded_rows(parse_csv(text))
    assert SECRET not in text and "U0MALLORY" not in text
    assert not emulator.violations


def test_okr_export_in_an_empty_workspace_sends_nothing(slack, emulator):
    slack.command("/okr", "export", user_id=BOB, team_id=TEAM)
    answer = slack.wait_for_response_url()
    assert "nothing to export" in answer["text"]
    assert emulator.calls_to("files.getUploadURLExternal") == []


def test_okr_export_with_options_answers_usage_and_sends_nothing(slack, emulator, db):
    seed(db)
    slack.command("/okr", "export everything now", user_id=ALICE, team_id=TEAM)
    answer = slack.wait_for_response_url()
    assert answer["response_type"] == "ephemeral"
    assert "/okr export" in answer["text"]
    assert emulator.calls_to("files.getUploadURLExternal") == []


# --- export_command's pieces, called directly ------------------------------------------------------


class Responder:
    def __init__(self) -> None:
        self.answers: list[dict] = []

    def __call__(self, **kwargs) -> None:
        self.answers.append(kwargs)


def call_export(emulator, db, rest: str = "", user: str = ALICE, team: str = TEAM) -> Responder:
    respond = Responder()
    client = build_web_client(TOKEN, emulator.base_url)
    context = BoltContext({"team_id": team, "user_id": user, "channel_id": CHANNEL})
    export_listener.export_command(
        Invocation(
            rest, command={"text": f"export {rest}"}, respond=respond, client=client, context=context, db=db
        )
    )
    return respond


def test_export_command_uploads_then_answers(emulator, db):
    seed(db)
    respond = call_export(emulator, db)
    assert respond.answers[-1]["response_type"] == "ephemeral"
    assert respond.answers[-1]["text"].startswith("Sent you the export in a DM: 1 KRA, 1 KPI, 2 objectives")
    methods = [c.method for c in emulator.calls]
    # The channels' names first (each channel once), then the file into Alice's DM.
    lookups = [c.args["channel"] for c in emulator.calls if c.method == "conversations.info"]
    assert lookups and len(lookups) == len(set(lookups))
    assert methods == ["conversations.info"] * len(lookups) + [
        "conversations.open",
        "files.getUploadURLExternal",
        "upload_url",
        "files.completeUploadExternal",
    ]
    (uploaded,) = emulator.files.values()
    assert_seeded_rows(parse_csv(uploaded.content.decode()))


def test_export_command_refuses_options(emulator, db):
    with pytest.raises(Usage, match="takes no options"):
        call_export(emulator, db, rest="json")
    assert emulator.calls == []


def test_export_command_explains_a_failed_upload(emulator, db):
    seed(db)
    emulator.fail("files.completeUploadExternal", "not_in_channel")
    with pytest.raises(NorthlineError, match="not_in_channel"):
        call_export(emulator, db)


def test_register_adds_export_and_its_usage_line_to_okr(monkeypatch):
    monkeypatch.setattr(okr.ROUTER, "handlers", {})
    monkeypatch.setattr(okr.ROUTER, "lines", [])
    export_listener.register(None)
    assert okr.ROUTER.handlers == {"export": export_listener.export_command}
    assert okr.ROUTER.lines == [export_listener.USAGE_LINE]


# --- the service -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("-3.5", "-3.5"),
        ("+5", "+5"),
        ("1e3", "1e3"),
        ("plain", "plain"),
        ("", ""),
        (None, ""),
        (-2.0, "-2"),
        (0.1, "0.1"),
        (1200.0, "1200"),
        (3, "3"),
    ],
)
def test_csv_cells_are_safe_in_a_spreadsheet(value, cell):
    assert csv_cell(value) == cell


def test_export_reads_one_statement_per_table_whatever_the_size(db):
    seed(db)
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        with count_statements(db) as small:
            export_rows(session, ws)
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        for n in range(30):
            objective = make_objective_row(session, ws.id, 100 + n, f"O{n}", ALICE, "2026-Q4")
            kr = make_key_result_row(session, ws.id, objective.id, 100 + n, "k", ALICE, current_value=1.0)
            make_check_in_row(session, kr, ALICE, 1.0)
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        with count_statements(db) as big:
            rows = export_rows(session, ws)
    assert small.count == big.count == 7  # six tables and the people's names
    assert len(by_record(rows)["objective"]) == 32


def test_json_export_groups_rows_by_kind(db):
    seed(db)
    with db.session() as session:
        rows = export_rows(session, workspace_for(session, TEAM))
    document = json.loads(to_json(rows, team_id=TEAM, exported_at=datetime(2026, 11, 2, 8, 0)))
    assert document["team_id"] == TEAM and document["exported_at"] == "2026-11-02T08:00:00Z"
    assert [
        len(document[k]) for k in ("kra", "kpi", "kpi_measurement", "objective", "key_result", "check_in")
    ] == [1, 1, 2, 2, 2, 2]
    objective = document["objective"][1]
    assert objective["ref"] == "OBJ-2" and objective["title"] == FORMULA_TITLE  # JSON is data, not a sheet
    assert objective["percent"] == 60 and objective["description"] == ""
    assert document["key_result"][0]["start"] == 10.0
    assert to_csv([]) == ",".join(COLUMNS) + "\r\n"


# --- the CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, database_url, capsys):
    # The connections examples/okrs.yaml binds to, as its operator would declare them.
    monkeypatch.setenv("NORTHLINE_SOURCE_BILLING_URL", "sqlite:///billing.db")
    monkeypatch.setenv("NORTHLINE_SOURCE_METRICS_URL", "https://metrics.example.com")
    return cli_runner(monkeypatch, database_url, capsys)


@pytest.fixture
def workspaces(db):
    workspaces_for(db, TEAM, OTHER_TEAM)


def test_cli_export_csv_to_stdout(cli, db):
    seed(db)
    seed_other_team(db)
    code, out, _ = cli("export", "--team", TEAM, "--format", "csv")
    assert code == 0
    assert_seeded_rows(parse_csv(out))
    assert SECRET not in out


def test_cli_export_json_to_a_file(cli, db, tmp_path):
    seed(db)
    target = tmp_path / "out.json"
    code, out, err = cli("export", "--team", TEAM, "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert "10 rows" in err
    document = json.loads(target.read_text())
    assert document["team_id"] == TEAM
    assert [o["ref"] for o in document["objective"]] == ["OBJ-1", "OBJ-2"]


def test_cli_export_of_an_unknown_team_exits_2(cli, db):
    seed(db)
    code, out, err = cli("export", "--team", "T0NOBODY", "--format", "csv")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "T0NOBODY" in err


def snapshot(db) -> dict:
    with db.session() as session:
        objectives = session.scalars(select(Objective).order_by(Objective.id)).all()
        krs = session.scalars(select(KeyResult).order_by(KeyResult.id)).all()
        return {
            "objectives": [
                (o.id, o.number, o.import_key, o.title, o.parent_id, o.updated_at) for o in objectives
            ],
            "key_results": [
                (
                    k.id,
                    k.number,
                    k.objective_id,
                    k.title,
                    k.start_value,
                    k.target_value,
                    k.unit,
                    k.owner_id,
                    k.weight,
                    k.kind,
                    k.status,
                    k.position,
                )
                for k in krs
            ],
            "counters": sorted(
                (c.workspace_id, c.kind, c.last_number) for c in session.scalars(select(RefCounter))
            ),
        }


def test_cli_import_creates_and_reimport_changes_nothing(cli, db, workspaces):
    code, out, err = cli("import", str(EXAMPLE))
    assert code == 0, err
    assert "created 8, updated 0, unchanged 0" in out
    with db.session() as session:
        objectives = {o.import_key: o for o in session.scalars(select(Objective))}
        krs = session.scalars(select(KeyResult).order_by(KeyResult.number)).all()
        team = session.scalar(select(Workspace).where(Workspace.team_id == TEAM))
    assert set(objectives) == {"company-growth", "growth-self-serve"}
    growth = objectives["growth-self-serve"]
    assert (growth.number, growth.parent_id, growth.channel_id, growth.cycle, growth.owner_id) == (
        2,
        objectives["company-growth"].id,
        CHANNEL,
        "2026-Q4",
        ALICE,
    )
    assert {o.workspace_id for o in objectives.values()} == {team.id}
    assert [
        (k.number, k.title, k.start_value, k.target_value, k.unit, k.owner_id, k.weight, k.kind.value)
        for k in krs
    ] == [
        (1, "Paying workspaces", 1200.0, 2000.0, "", "U0ADMIN", 1.0, "metric"),
        (2, "Net revenue retention", 98.0, 110.0, "%", "U0ADMIN", 2.0, "metric"),
        (3, "Self-serve MRR", 40000.0, 60000.0, "$", ALICE, 2.0, "metric"),
        (4, "Trial-to-paid conversion", 12.0, 18.0, "%", BOB, 1.0, "metric"),
        (5, "Median time to first value", 30.0, 10.0, "min", ALICE, 1.0, "metric"),
        (6, "Launch the new pricing page", 0.0, 1.0, "", ALICE, 1.0, "milestone"),
    ]
    before = snapshot(db)

    code, out, err = cli("import", str(EXAMPLE))
    assert code == 0, err
    assert "created 0, updated 0, unchanged 8" in out
    assert snapshot(db) == before


def test_cli_import_updates_what_changed_and_archives_what_left(cli, db, workspaces, tmp_path):
    assert cli("import", str(EXAMPLE))[0] == 0
    before = snapshot(db)
    changed = EXAMPLE.read_text()
    changed = changed.replace("title: Grow self-serve revenue", "title: Grow self-serve revenue fast")
    changed = changed.replace("target: 18%", "target: 20%")
    changed = changed.replace("      - title: Launch the new pricing page\n        milestone: true", "")
    changed = changed.replace(
        "title: Paying workspaces", "title: Paying teams"
    )  # renamed: matched by position
    code, out, err = import_yaml(cli, tmp_path / "okrs.yaml", changed)
    assert code == 0, err
    assert "created 0, updated 4, unchanged 4" in out
    assert "archived 1 key result(s) no longer in the file (KR-6)" in out
    after = snapshot(db)
    # The same rows, numbered as before; only the renamed one has a new title.
    assert [k[:3] for k in after["key_results"]] == [k[:3] for k in before["key_results"]]
    assert [k[3] for k in after["key_results"]][:2] == ["Paying teams", "Net revenue retention"]
    with db.session() as session:
        statuses = dict(session.execute(select(KeyResult.number, KeyResult.status)).all())
        target = session.scalar(select(KeyResult.target_value).where(KeyResult.number == 4))
        titles = dict(session.execute(select(Objective.import_key, Objective.title)).all())
    assert statuses[6] == Status.ARCHIVED and target == 20.0
    assert titles["growth-self-serve"] == "Grow self-serve revenue fast"
    assert after["counters"] == before["counters"]  # nothing new was numbered

    # Putting the milestone back brings the archived one back, check-ins and all.
    code, out, _ = cli("import", str(EXAMPLE))
    assert code == 0 and "created 0" in out
    with db.session() as session:
        assert session.scalar(select(KeyResult.status).where(KeyResult.number == 6)) == Status.ACTIVE


def test_cli_import_dry_run_and_team_override(cli, db, workspaces):
    code, out, _ = cli("import", str(EXAMPLE), "--dry-run")
    assert code == 0 and "created 8" in out and "nothing written" in out
    assert count(db, Objective) == count(db, KeyResult) == count(db, RefCounter) == 0
    code, out, _ = cli("import", str(EXAMPLE), "--team", OTHER_TEAM)
    assert code == 0 and OTHER_TEAM in out
    with db.session() as session:
        assert session.scalars(
            select(Workspace.team_id).join(Objective, Objective.workspace_id == Workspace.id)
        ).all() == [OTHER_TEAM, OTHER_TEAM]


def test_cli_import_into_an_unknown_team_exits_2(cli, db):
    code, _, err = cli("import", str(EXAMPLE))
    assert code == 2 and TEAM in err
    assert count(db, Objective) == 0


def test_cli_import_of_a_missing_file_exits_2(cli, tmp_path):
    code, _, err = cli("import", str(tmp_path / "nope.yaml"))
    assert code == 2 and "can't read" in err


GOOD = """\
team: T0NORTH1
cycle: 2026-Q4
objectives:
  - key: a
    title: Objective A
    owner: U0ALICE
    key_results:
      - title: KR one
        start: 0
        target: 10
      - title: KR two
        start: 5
        target: 50
"""


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("target: 10", "target: ten"), 10, "'ten' is not a number"),
        (
            ("start: 5\n        target: 50", "start: 5\n        target: 5.0"),
            13,
            "target must differ from the start",
        ),
        (("owner: U0ALICE", "owner: alice@example.com"), 6, "is not a Slack user id"),
        (("target: 50", "target: 50\n        weight: -1"), 14, "weight must be greater than 0"),
        (("title: Objective A", "title: " + "x" * 151), 5, "under 150 characters"),
        (("cycle: 2026-Q4", "cycle: 2026-Q5"), 2, "is not a cycle"),
        (("    title: Objective A", "    title: Objective A\n    parent: OBJ-9"), 6, "OBJ-9 was not found"),
        (("    title: Objective A", "    title: Objective A\n    kra: KRA-1"), 6, "KRA-1 was not found"),
        (("        start: 0\n", "        start: 0\n        colour: red\n"), 10, "unknown field `colour`"),
        (("      - title: KR two", "      - title: [KR two"), 12, "malformed YAML"),
        (("  - key: a", "  - key: a\n  \tkey: b"), 5, "malformed YAML"),
    ],
)
def test_cli_import_rejects_a_bad_file_whole_with_its_line(
    cli, db, workspaces, tmp_path, change, line, message
):
    code, out, err = import_changed(cli, tmp_path / "bad.yaml", GOOD, change)
    assert code == 1, (out, err)
    assert out == ""
    assert "nothing was changed" in err
    assert f"line {line}: " in err and message in err, err
    assert count(db, Objective) == count(db, KeyResult) == count(db, RefCounter) == 0


def test_cli_import_rejects_six_key_results_and_reports_every_problem(cli, db, workspaces, tmp_path):
    extra = "".join(f"      - title: KR {n}\n        start: 0\n        target: {n}\n" for n in range(3, 7))
    text = GOOD.replace("target: 10", "target: 0") + extra + GOOD.split("objectives:\n")[1]
    code, _, err = import_yaml(cli, tmp_path / "bad.yaml", text)
    assert code == 1
    assert (
        "line 7: objective 1 (a), key_results: an objective has at most 5 key results (this one has 6)" in err
    )
    assert "line 10: objective 1 (a), key result 1, target: the target must differ" in err
    assert "the key `a` is used twice" not in err  # checked only once the shape is right
    assert count(db, Objective) == 0


def test_a_bad_file_leaves_an_earlier_import_untouched(cli, db, workspaces, tmp_path):
    assert cli("import", str(EXAMPLE))[0] == 0
    before = snapshot(db)
    broken = (
        EXAMPLE.read_text()
        .replace("title: Grow self-serve revenue", "title: Changed")
        .replace("target: $60,000", "target: $40,000")
    )
    code, _, err = import_yaml(cli, tmp_path / "okrs.yaml", broken)
    assert code == 1 and "target must differ" in err
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("team: T0NORTH1\nteam: T0NORTH1\n", "line 2: `team` appears twice"),
        ("a: &x 1\nb: *x\n", "line 2: YAML anchors and aliases"),
        ("a: !!python/object:os.system 1\n", "tags like"),
        (
            "cycle: 2026-Q4\nobjectives:\n  - key: a\n    title: t\n    owner: U0ALICE\n    parent: a\n"
            "    key_results: [{title: k, milestone: true}]\n",
            "can't be its own parent",
        ),
        (
            "cycle: 2026-Q4\nobjectives:\n  - key: a\n    title: t\n    owner: U0ALICE\n"
            "    key_results: [{title: k, milestone: yes, start: 1}]\n",
            "leave out start and target",
        ),
        (
            "objectives:\n  - key: a\n    title: t\n    owner: U0ALICE\n    key_results: [{title: k}]\n",
            "line 5: objective 1 (a), key result 1: give this key result a start and target",
        ),
    ],
)
def test_file_checks(db, workspaces, text, message):
    with pytest.raises(ImportRejected) as rejected, db.session() as session:
        import_file(session, text, team_id=TEAM)
    assert message in str(rejected.value)


def test_parent_loops_are_refused(db, workspaces):
    text = (
        "cycle: 2026-Q4\nobjectives:\n"
        "  - {key: a, title: A, owner: U0ALICE, parent: b, key_results: [{title: k, start: 0, target: 1}]}\n"
        "  - {key: b, title: B, owner: U0ALICE, parent: a, key_results: [{title: k, start: 0, target: 1}]}\n"
    )
    with (
        pytest.raises(ImportRejected, match=r"line 3: .*the parents go round in a circle: a → b → a"),
        db.session() as session,
    ):
        import_file(session, text, team_id=TEAM)


def test_import_then_export_round_trip(cli, db, workspaces):
    assert cli("import", str(EXAMPLE))[0] == 0
    code, out, _ = cli("export", "--team", TEAM, "--format", "csv")
    assert code == 0
    rows = by_record(parse_csv(out))
    assert [(o["ref"], o["import_key"], o["parent_objective"]) for o in rows["objective"]] == [
        ("OBJ-1", "company-growth", ""),
        ("OBJ-2", "growth-self-serve", "OBJ-1"),
    ]
    assert [r["title"] for r in rows["key_result"]][-1] == "Launch the new pricing page"
