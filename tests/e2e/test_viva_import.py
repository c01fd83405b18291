"""`northline import --from viva FILE`: the sample export under examples/viva/ (built from the
columns Microsoft documents), in its Excel and CSV forms, through the real CLI into a real database;
owners from a mapping file or from Slack (the emulator) by email."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.importers import viva
from bot.services.workspaces import workspace_for
from storage.models import CheckIn, KeyResult, Objective, Status
from tests.conftest import ALICE, BOB, CAROL, SIGNING_SECRET, TEAM, TOKEN
from tests.factories import count

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "viva"
XLSX, CSV, CHECKINS = EXAMPLES / "okrs.xlsx", EXAMPLES / "okrs.csv", EXAMPLES / "checkins.csv"
EMAILS = {"alice@example.com": ALICE, "bob@example.com": BOB, "carol@example.com": CAROL}


@pytest.fixture
def cli(monkeypatch, database_url, capsys, db):
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with db.session() as session:
        workspace_for(session, TEAM)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(["import", "--from", "viva", "--team", TEAM, *argv])
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return run


@pytest.fixture
def owners(tmp_path) -> Path:
    path = tmp_path / "owners.csv"
    path.write_text("email,slack_user_id\n" + "".join(f"{e},{u}\n" for e, u in EMAILS.items()))
    return path


def snapshot(db) -> dict:
    with db.session() as session:
        objectives = {o.import_key: o for o in session.scalars(select(Objective))}
        krs = session.scalars(select(KeyResult).order_by(KeyResult.number)).all()
        checkins = session.scalars(select(CheckIn).order_by(CheckIn.created_at, CheckIn.id)).all()
        return {
            "objectives": {
                key: (
                    o.title,
                    o.owner_id,
                    o.cycle,
                    o.description,
                    o.parent_id and session.get(Objective, o.parent_id).import_key,
                )
                for key, o in objectives.items()
            },
            "key_results": [
                (kr.title, kr.owner_id, kr.start_value, kr.target_value, kr.unit, kr.current_value, kr.status)
                for kr in krs
            ],
            "checkins": [(c.value, c.note, c.author_id, c.origin) for c in checkins],
            "last": {kr.title: kr.last_checkin_at for kr in krs},
        }


def test_the_excel_export_imports_objectives_key_results_parents_and_check_ins(cli, db, owners):
    code, out, err = cli(str(XLSX), "--owners", str(owners))
    assert code == 0, err
    assert "objectives: created 2 (OBJ-1, OBJ-2)" in out and "key results: created 4" in out
    assert "check-ins: created 4" in out
    assert "row 8: P-1 is a project" in out  # projects: understood, left out, said so
    state = snapshot(db)
    assert state["objectives"] == {
        "viva:O-1": (
            "Grow self-serve revenue",
            ALICE,
            "2025-Q1",
            "Less sales-assisted, more self-serve.",
            None,
        ),
        "viva:O-2": (
            "Make onboarding effortless",
            BOB,
            "2025-Q1",
            "New teams reach value on day one.",
            "viva:O-1",
        ),
    }
    assert state["key_results"] == [
        ("Self-serve MRR", ALICE, 40000.0, 60000.0, "$", 52000.0, Status.ACTIVE),
        ("Trial-to-paid conversion", BOB, 8.0, 12.0, "%", None, Status.ACTIVE),
        ("Median hours to first value", BOB, 48.0, 6.0, "h", 24.0, Status.ACTIVE),
        # "Measured as a goal towards 100% completion": no target in the export.
        ("Publish the onboarding guide", CAROL, 0.0, 100.0, "%", 50.0, Status.ACTIVE),
    ]
    assert state["checkins"][:3] == [
        (45000.0, "First annual invoices", ALICE, "import:viva"),
        (24.0, "Guided setup shipped", BOB, "import:viva"),
        (52000.0, "Annual plans launched", ALICE, "import:viva"),
    ]
    assert state["checkins"][3] == (50.0, "", CAROL, "import:viva")  # the export's current value
    assert state["last"]["Self-serve MRR"] == datetime(2025, 2, 14)


def test_importing_the_same_export_again_changes_nothing_in_either_form(cli, db, owners):
    assert cli(str(XLSX), "--owners", str(owners))[0] == 0
    before = snapshot(db)
    code, out, _ = cli(str(CSV), "--checkins", str(CHECKINS), "--owners", str(owners))
    assert code == 0
    assert "created 0, updated 0, unchanged 6" in out and "check-ins: created 0" in out
    assert snapshot(db) == before


def test_the_csv_form_reads_as_the_workbook_does():
    workbook = viva.read_workbook(XLSX.read_bytes())
    csv_form = viva.read_csv(CSV.read_text(), CHECKINS.read_text())
    assert [(r.number, r.values) for r in workbook.okrs] == [(r.number, r.values) for r in csv_form.okrs]
    assert [(r.number, r.values["reference"], r.values["value"]) for r in workbook.checkins] == [
        (r.number, r.values["reference"], r.values["value"]) for r in csv_form.checkins
    ]


def test_dry_run_reports_and_writes_nothing(cli, db, owners):
    code, out, _ = cli(str(XLSX), "--owners", str(owners), "--dry-run")
    assert code == 0
    assert "nothing written (--dry-run)" in out and "objectives: created 2" in out
    assert count(db, Objective) == 0 and count(db, CheckIn) == 0


def test_rows_whose_owner_is_unknown_are_reported_by_row_and_nothing_is_written(cli, db, tmp_path):
    partial = tmp_path / "owners.csv"
    partial.write_text("email,slack_user_id\nalice@example.com,U0ALICE\nbob@example.com,U0BOB\n")
    code, _, err = cli(str(XLSX), "--owners", str(partial))
    assert code == 1
    assert "row 7: no Slack user found for carol@example.com" in err
    assert "row 5: left out with its key results: the key result on row 7 could not be mapped" in err
    assert "row 6: left out with its objective" in err
    assert "--skip-unmapped" in err
    assert count(db, Objective) == 0 and count(db, KeyResult) == 0

    code, out, _ = cli(str(XLSX), "--owners", str(partial), "--dry-run")
    assert code == 0 and "row 7: no Slack user found for carol@example.com" in out
    assert "objectives: created 1 (OBJ-1)" in out
    assert count(db, Objective) == 0

    code, out, _ = cli(str(XLSX), "--owners", str(partial), "--skip-unmapped")
    assert code == 0
    assert set(snapshot(db)["objectives"]) == {"viva:O-1"}
    # The check-in of KR-3 (its objective left out) is reported on its own sheet.
    assert "Check-ins row 4: a check-in of KR-3, which is not an imported key result" in out


def test_owners_by_email_from_slack(cli, db, monkeypatch, emulator):
    emulator.grant_scopes(TOKEN, "users:read.email")  # the manifest's optional scope, agreed to
    for email, user in EMAILS.items():
        emulator.update_user(user, email=email)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
    code, out, err = cli(str(XLSX))
    assert code == 0, err
    assert {c.args["email"] for c in emulator.calls_to("users.lookupByEmail")} == set(EMAILS)
    assert snapshot(db)["objectives"]["viva:O-2"][1] == BOB


def test_without_the_email_scope_the_owners_file_is_the_way_and_the_message_says_so(
    cli, db, monkeypatch, emulator
):
    emulator.limit_scopes(TOKEN, {"commands", "chat:write", "im:write", "users:read", "files:write"})
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
    code, _, err = cli(str(XLSX))
    assert code == 1
    assert emulator.calls_to("users.lookupByEmail")[0].error == "missing_scope"
    assert "users:read.email" in err and "--owners" in err
    assert count(db, Objective) == 0


def test_rows_that_do_not_parse_are_refused_with_their_rows(cli, db, tmp_path, owners):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "OKR Reference,Title,OKR Type,Parent OKR,Owner,Time Period,Start Value,Target Value\n"
        "A,Grow,Objective,,alice@example.com,Jan 2025,,\n"
        "B,Signups,Key Result,A,alice@example.com,Q1 2025,1,5\n"
        "C,Retain,Objective,,alice@example.com,Q2 2025,,\n"
        "D,Churn,Key Result,C,alice@example.com,Q2 2025,5,lots\n"
        "E,Same,Key Result,C,alice@example.com,Q2 2025,3,3\n"
        "C,Twice,Objective,,alice@example.com,Q2 2025,,\n"
        "F,Odd,Initiative-ish,,alice@example.com,Q2 2025,,\n"
    )
    code, _, err = cli(str(bad), "--owners", str(owners))
    assert code == 1
    for expected in (
        "row 2: Time Period “Jan 2025” is not a quarter such as Q1 2025",
        "row 3: the key result belongs to A, which could not be imported",
        "row 5: Target Value: 'lots' is not a number",
        "row 6: Target Value: the target must differ from the start",
        "row 7: OKR Reference C is also on row 4",
        "row 8: OKR Type “Initiative-ish” is not Objective, Key Result or Project",
    ):
        assert expected in err, err
    assert count(db, Objective) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "not an Excel workbook"),
        (b"Title,Owner\nGrow,a@example.com\n", "the header row has no OKR Reference column"),
    ],
)
def test_files_that_are_not_an_export_are_refused(cli, tmp_path, content, message):
    path = tmp_path / "export"
    path.write_bytes(content)
    code, _, err = cli(str(path))
    assert code == 1 and message in err


def test_a_malformed_owners_file_names_its_line(cli, tmp_path):
    path = tmp_path / "owners.csv"
    path.write_text("email,slack_user_id\nalice@example.com,alice\n")
    code, _, err = cli(str(XLSX), "--owners", str(path))
    assert code == 1 and "row 2: expected email,U0123ABCD" in err


def test_the_sample_keeps_its_documented_headers():
    """The shipped sample uses Microsoft's names for the columns (see bot/importers/viva/)."""
    header = CSV.read_text().splitlines()[0].split(",")
    assert header[:5] == ["OKR Reference", "Title", "OKR Type", "Parent OKR", "Owner"]
    assert {"Time Period", "Start Value", "Target Value", "Current Value"} <= set(header)
