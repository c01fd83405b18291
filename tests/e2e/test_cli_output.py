"""What an operator reads from `northline`: what matters, not the libraries' chatter."""

from __future__ import annotations

import pytest

from tests.conftest import SIGNING_SECRET, TOKEN


@pytest.fixture
def cli_env(monkeypatch, emulator, tmp_path):
    values = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",  # a fresh install: no schema yet
        "LOG_LEVEL": "INFO",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def northline(*args: str) -> int:
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def test_jobs_run_prints_no_alembic_chatter_only_real_schema_changes(cli_env, capsys):
    assert northline("jobs", "run", "digest", "--at", "2026-11-30T10:00:00+00:00") == 0
    first = capsys.readouterr().err
    # A fresh SQLite database upgrades itself: that is worth a line per migration.
    assert "Running upgrade" in first
    assert "setup plugin" not in first and "Context impl" not in first and "Will assume" not in first
    assert northline("jobs", "run", "digest", "--at", "2026-11-30T10:00:00+00:00") == 0
    assert "alembic" not in capsys.readouterr().err  # at head: nothing at all


# --- export and import on a fresh single-token install -------------------------------------------------


@pytest.fixture
def fresh_install(monkeypatch, emulator, database_url, capsys):
    """SLACK_BOT_TOKEN set, the app installed, and nobody has typed a command yet."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = northline(*argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_export_on_a_fresh_install_knows_the_workspace_from_auth_test(fresh_install, db, emulator):
    from storage.models import Workspace
    from tests.conftest import TEAM

    code, out, err = fresh_install("export", "--team", TEAM, "--format", "csv")
    assert code == 0, err
    assert out.startswith("record,")  # the header of an empty workspace's export
    code, out, err = fresh_install("export", "--format", "json")  # no --team: the token's workspace
    assert code == 0 and f'"team_id": "{TEAM}"' in out, err
    with db.session() as session:
        assert session.query(Workspace.team_id).all() == [(TEAM,)]
    assert emulator.calls_to("auth.test")


def test_import_on_a_fresh_install_finds_the_workspace(fresh_install, db, tmp_path):
    from storage.models import Objective
    from tests.conftest import ALICE, TEAM

    source = tmp_path / "okrs.yaml"
    source.write_text(
        f"team: {TEAM}\n"
        "objectives:\n"
        "  - key: growth\n"
        "    title: Customers love our onboarding\n"
        f"    owner: {ALICE}\n"
        "    cycle: 2026-Q4\n"
        "    key_results:\n"
        "      - title: Activation rate\n"
        "        start: 40\n"
        "        target: 60\n"
        "        unit: '%'\n",
        encoding="utf-8",
    )
    code, out, err = fresh_install("import", str(source))
    assert code == 0, err
    with db.session() as session:
        assert session.query(Objective.title).all() == [("Customers love our onboarding",)]


def test_another_teams_export_is_still_refused(fresh_install, db):
    code, out, err = fresh_install("export", "--team", "T0NOBODY")
    assert code == 2 and out == "" and "T0NOBODY" in err
