"""The team's calendar in OKRs as code (`settings:` in `northline import`) and in
`northline export --format json`: the same settings `/okr settings` sets."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.models import Objective, Schedule, ScheduleKind, Workspace
from tests.conftest import OTHER_TEAM, TEAM
from tests.factories import cli_runner, import_changed, import_yaml, workspaces_for

FILE = """\
team: T0NORTH1
cycle: FY2027-Q3
settings:
  timezone: Pacific/Auckland
  work_days: [sun, mon, tue, wed, thu]
  holidays: nz-auk
  fiscal_year_start: april
  checkin: tue 09:30
  digest: thu 15:00
objectives:
  - key: a
    title: Objective A
    owner: U0ALICE
    key_results:
      - title: KR one
        start: 0
        target: 10
"""


@pytest.fixture
def cli(monkeypatch, database_url, capsys):
    return cli_runner(monkeypatch, database_url, capsys)


@pytest.fixture
def workspaces(db):
    workspaces_for(db, TEAM, OTHER_TEAM)


def row(db, team: str = TEAM) -> Workspace:
    with db.session() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == team))
        session.expunge(workspace)
        return workspace


def test_settings_import_then_export_round_trip(cli, db, workspaces, tmp_path):
    path = tmp_path / "okrs.yaml"
    code, out, err = import_yaml(cli, path, FILE)
    assert code == 0, err
    assert "settings: Time zone: UTC → Pacific/Auckland" in out
    ws = row(db)
    assert (ws.timezone, ws.work_days, ws.holiday_country, ws.holiday_subdivision) == (
        "Pacific/Auckland",
        "1,2,3,4,7",
        "NZ",
        "AUK",
    )
    assert (ws.fiscal_year_start_month, ws.digest_weekday, ws.digest_time) == (4, 4, "15:00")
    with db.session() as session:
        [checkin] = session.scalars(select(Schedule)).all()
        assert (checkin.kind, checkin.weekday, checkin.time_of_day) == (ScheduleKind.CHECKIN, 2, "09:30")
        # The file's cycle is a fiscal one, read with the fiscal year the same file sets.
        assert session.scalar(select(Objective.cycle)) == "FY2027-Q3"
    other = row(db, OTHER_TEAM)
    assert (other.timezone, other.work_days, other.holiday_country, other.fiscal_year_start_month) == (
        "UTC",
        "1,2,3,4,5",
        None,
        1,
    )
    code, out, err = cli("export", "--team", TEAM, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["settings"] == {
        "timezone": "Pacific/Auckland",
        "work_days": ["mon", "tue", "wed", "thu", "sun"],
        "holidays": "NZ-AUK",
        "fiscal_year_start": 4,
        "checkin": "tue 09:30",
        "digest": "thu 15:00",
    }
    # Importing the same file again changes nothing.
    code, out, err = cli("import", str(path))
    assert code == 0 and "settings:" not in out


def test_a_partial_settings_block_keeps_the_rest(cli, db, workspaces, tmp_path):
    code, out, err = import_yaml(
        cli,
        tmp_path / "okrs.yaml",
        FILE.replace("cycle: FY2027-Q3", "cycle: 2026-Q4").split("settings:")[0]
        + "settings:\n  holidays: GB\n"
        + FILE.split("  digest: thu 15:00\n")[1],
    )
    assert code == 0, err
    ws = row(db)
    assert (ws.timezone, ws.holiday_country, ws.holiday_subdivision, ws.fiscal_year_start_month) == (
        "UTC",
        "GB",
        None,
        1,
    )


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("timezone: Pacific/Auckland", "timezone: Mars/Base"), 4, "is not a time zone"),
        (("holidays: nz-auk", "holidays: nz-xyz"), 6, "NZ has no region"),
        (("holidays: nz-auk", "holidays: atlantis"), 6, "not a country"),
        (("fiscal_year_start: april", "fiscal_year_start: smarch"), 7, "is not a month"),
        (("checkin: tue 09:30", "checkin: tue 25:00"), 8, "is not a time"),
        (("digest: thu 15:00", "digest: funday 15:00"), 9, "is not a day"),
        (("work_days: [sun, mon, tue, wed, thu]", "work_days: []"), 5, "at least one work day"),
        (("  digest: thu 15:00", "  digest: thu 15:00\n  colour: red"), 10, "colour"),
    ],
)
def test_bad_settings_are_refused_with_their_line_and_nothing_changes(
    cli, db, workspaces, tmp_path, change, line, message
):
    code, out, err = import_changed(cli, tmp_path / "bad.yaml", FILE, change)
    assert code == 1, (out, err)
    assert f"line {line}: " in err and message in err, err
    ws = row(db)
    assert (ws.timezone, ws.work_days, ws.holiday_country, ws.fiscal_year_start_month) == (
        "UTC",
        "1,2,3,4,5",
        None,
        1,
    )


def test_a_later_problem_takes_the_settings_back_too(cli, db, workspaces, tmp_path):
    code, out, err = import_yaml(
        cli,
        tmp_path / "bad.yaml",
        FILE.replace("    title: Objective A\n", "    title: Objective A\n    parent: OBJ-9\n"),
    )
    assert code == 1 and "OBJ-9" in err
    assert row(db).timezone == "UTC"
    with db.session() as session:
        assert session.scalars(select(Schedule)).all() == []
