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
