"""Effects queued on a unit of work run once after its commit, in order, and never after a rollback."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storage.db import after_commit
from storage.models import Workspace


class Boom(Exception):
    pass


def test_an_effect_queued_in_a_rolled_back_unit_never_runs(db):
    ran = []
    with pytest.raises(Boom), db.session() as session:
        session.add(Workspace(team_id="T0ROLLED"))
        after_commit(session, lambda: ran.append("posted"))
        raise Boom
    assert ran == []
    with db.session() as session:
        assert session.scalars(select(Workspace.team_id).where(Workspace.team_id == "T0ROLLED")).all() == []


def test_an_effect_queued_in_a_committed_unit_runs_once_after_the_commit(db):
    seen = []

    def effect():
        # A new session sees the committed row: the effect runs after the commit, not before.
        with db.session() as other:
            seen.append(other.scalars(select(Workspace.team_id).where(Workspace.team_id == "T0DONE")).all())

    with db.session() as session:
        session.add(Workspace(team_id="T0DONE"))
        after_commit(session, effect)
        assert seen == []
    assert seen == [["T0DONE"]]


def test_effects_run_in_order_and_one_failing_does_not_stop_the_next(db, caplog):
    ran = []

    def failing():
        ran.append("second")
        raise RuntimeError("slack said no")

    with caplog.at_level(logging.ERROR, logger="storage.effects"), db.session() as session:
        after_commit(session, lambda: ran.append("first"))
        after_commit(session, failing)
        after_commit(session, lambda: ran.append("third"))
    assert ran == ["first", "second", "third"]
    failures = [r for r in caplog.records if r.name == "storage.effects"]
    assert len(failures) == 1
