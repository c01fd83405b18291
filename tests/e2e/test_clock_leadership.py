"""One clock works at a time on PostgreSQL; the standby takes over when the leader dies. The
clock also purges uninstalled workspaces once a day."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from bot.scheduler import Clock, Leadership, purge_once_a_day
from storage.db import Database
from storage.models import Workspace
from tests.conftest import PG_URL, requires_postgresql


@requires_postgresql()
def test_a_second_clock_waits_as_standby_and_takes_over(database_url):
    first_db, second_db = Database.from_url(database_url), Database.from_url(database_url)
    leader, standby = Leadership(first_db), Leadership(second_db)
    try:
        assert leader.is_leader()
        assert not standby.is_leader()
        assert leader.is_leader()  # keeps it while its connection lives
        assert _state_of(leader, second_db) == "idle"  # not "idle in transaction": VACUUM goes on
        leader.release()  # the leader dies: its connection, and with it the lock, goes
        assert standby.is_leader()
        assert not leader.is_leader()
    finally:
        leader.release()
        standby.release()
        first_db.dispose()
        second_db.dispose()


def _state_of(leadership: Leadership, observer: Database) -> str:
    pid = leadership.connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with observer.engine.connect() as connection:
        return connection.execute(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()


@pytest.mark.skipif(bool(PG_URL), reason="SQLite only: on PostgreSQL one clock leads (the test above)")
def test_sqlite_clock_is_always_the_leader(db):
    # SQLite has one writer anyway: every clock leads, a second one too, and holds no connection.
    first, second = Leadership(db), Leadership(db)
    assert (first.is_leader(), second.is_leader()) == (True, True)
    assert (first.connection, second.connection) == (None, None)


def test_the_clock_purges_expired_workspaces_once_a_day(db):
    with db.session() as session:
        session.add(Workspace(team_id="T0GONE", uninstalled_at=datetime(2026, 1, 1)))
        session.add(Workspace(team_id="T0HERE"))
    clock = Clock(db, engine=None, stop=threading.Event(), retention_days=30)
    purge_once_a_day(clock, datetime(2026, 11, 23, 9, tzinfo=UTC))
    with db.session() as session:
        assert session.scalars(select(Workspace.team_id)).all() == ["T0HERE"]
        session.add(Workspace(team_id="T0LATER", uninstalled_at=datetime(2026, 1, 2)))
    purge_once_a_day(clock, datetime(2026, 11, 23, 10, tzinfo=UTC))  # same day: not again
    with db.session() as session:
        assert sorted(session.scalars(select(Workspace.team_id))) == ["T0HERE", "T0LATER"]
