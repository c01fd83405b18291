"""Workspace leases and the record of delivery units that ran (bot/jobs/distributed.py).

A lease is a row per workspace naming its holder and an expiry; taking one is a single
conditional UPDATE (or the INSERT that creates it), so exactly one worker wins on any database.
Times are naive UTC from the caller, like the rest of storage.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, delete, or_, select, update

from storage.db import Database, upsert_into
from storage.models import DeliveryUnit, WorkspaceLease


class UnitStart(StrEnum):
    RUN = "run"  # the workspace's lease is ours and the unit is recorded as ours: run it
    BUSY = "busy"  # another holder has the workspace: try again later
    FINISHED = "finished"  # the unit already ran: not again


def start_unit(
    db: Database, unit_id: str, team_id: str, holder: str, now: datetime, until: datetime
) -> UnitStart:
    """In one transaction: whether the unit already ran; if not, hold `team_id` until `until`
    and record that `holder` runs the unit (taking over the record of a worker that died)."""
    with db.engine.begin() as connection:
        if _finished(connection, unit_id):
            return UnitStart.FINISHED
        if not _take(connection, team_id, holder, now, until):
            return UnitStart.BUSY
        # Read again now that the lease is ours: a worker that finished the unit released the
        # lease in the transaction that recorded the finish, so that finish is seen here.
        if _finished(connection, unit_id):
            _release(connection, team_id, holder, now)
            return UnitStart.FINISHED
        started = upsert_into(connection.dialect.name, DeliveryUnit).values(
            id=unit_id, team_id=team_id, holder=holder, started_at=now
        )
        connection.execute(
            started.on_conflict_do_update(
                index_elements=[DeliveryUnit.id], set_={"holder": holder, "started_at": now}
            )
        )
        return UnitStart.RUN


def end_unit(db: Database, unit_id: str, team_id: str, holder: str, now: datetime, *, done: bool) -> None:
    """Give the workspace back, recording the unit as finished when `done` (in one transaction)."""
    with db.engine.begin() as connection:
        if done:
            connection.execute(update(DeliveryUnit).where(DeliveryUnit.id == unit_id).values(finished_at=now))
        _release(connection, team_id, holder, now)


def take(db: Database, team_id: str, holder: str, now: datetime, until: datetime) -> bool:
    """Hold `team_id` until `until`, if nobody else holds it now. True when it is ours."""
    with db.engine.begin() as connection:
        return _take(connection, team_id, holder, now, until)


def renew(db: Database, team_id: str, holder: str, until: datetime) -> bool:
    """Extend our lease. False when it is no longer ours (it expired and someone took it)."""
    with db.engine.begin() as connection:
        return bool(
            connection.execute(
                update(WorkspaceLease)
                .where(WorkspaceLease.team_id == team_id, WorkspaceLease.holder == holder)
                .values(expires_at=until)
            ).rowcount
        )


def release(db: Database, team_id: str, holder: str, now: datetime) -> None:
    with db.engine.begin() as connection:
        _release(connection, team_id, holder, now)


def _take(connection: Connection, team_id: str, holder: str, now: datetime, until: datetime) -> bool:
    """One statement: the lease row made, or taken over when it is ours or has expired; no row
    changed means someone else holds it (two takers at once: the database lets one through)."""
    statement = upsert_into(connection.dialect.name, WorkspaceLease).values(
        team_id=team_id, holder=holder, expires_at=until
    )
    statement = statement.on_conflict_do_update(
        index_elements=[WorkspaceLease.team_id],
        set_={"holder": holder, "expires_at": until},
        where=or_(WorkspaceLease.holder == holder, WorkspaceLease.expires_at <= now),
    )
    # RETURNING, not rowcount: psycopg reports no count for an INSERT SQLAlchemy runs (-1).
    return connection.execute(statement.returning(WorkspaceLease.team_id)).first() is not None


def _release(connection: Connection, team_id: str, holder: str, now: datetime) -> None:
    connection.execute(
        update(WorkspaceLease)
        .where(WorkspaceLease.team_id == team_id, WorkspaceLease.holder == holder)
        .values(expires_at=now)
    )


def _finished(connection: Connection, unit_id: str) -> bool:
    finished = connection.execute(select(DeliveryUnit.finished_at).where(DeliveryUnit.id == unit_id))
    return finished.scalar_one_or_none() is not None


def forget_units(db: Database, finished_before: datetime) -> int:
    """Drop the record of units finished long ago (a unit is handed out again within minutes)."""
    with db.engine.begin() as connection:
        return connection.execute(
            delete(DeliveryUnit).where(DeliveryUnit.finished_at < finished_before)
        ).rowcount
