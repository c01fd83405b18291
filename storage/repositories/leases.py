"""Workspace leases and the record of delivery units that ran (bot/jobs/distributed.py).

A lease is a row per workspace naming its holder and an expiry; taking one is a single
conditional UPDATE (or the INSERT that creates it), so exactly one worker wins on any database.
Times are naive UTC from the caller, like the rest of storage.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import DeliveryUnit, WorkspaceLease


def take(db: Database, team_id: str, holder: str, now: datetime, until: datetime) -> bool:
    """Hold `team_id` until `until`, if nobody else holds it now. True when it is ours."""
    with db.engine.begin() as connection:
        taken = connection.execute(
            update(WorkspaceLease)
            .where(
                WorkspaceLease.team_id == team_id,
                or_(WorkspaceLease.holder == holder, WorkspaceLease.expires_at <= now),
            )
            .values(holder=holder, expires_at=until)
        ).rowcount
    if taken:
        return True
    try:
        with db.engine.begin() as connection:
            connection.execute(
                insert(WorkspaceLease).values(team_id=team_id, holder=holder, expires_at=until)
            )
        return True
    except IntegrityError:
        return False  # someone holds it (or took it first)


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
        connection.execute(
            update(WorkspaceLease)
            .where(WorkspaceLease.team_id == team_id, WorkspaceLease.holder == holder)
            .values(expires_at=now)
        )


def unit_finished(db: Database, unit_id: str) -> bool:
    with db.engine.connect() as connection:
        return (
            connection.execute(
                select(DeliveryUnit.finished_at).where(DeliveryUnit.id == unit_id)
            ).scalar_one_or_none()
            is not None
        )


def unit_started(db: Database, unit_id: str, team_id: str, holder: str, now: datetime) -> None:
    """Record that `holder` runs the unit (again, after a worker died: the row is taken over)."""
    with db.engine.begin() as connection:
        moved = connection.execute(
            update(DeliveryUnit).where(DeliveryUnit.id == unit_id).values(holder=holder, started_at=now)
        ).rowcount
        if not moved:
            connection.execute(
                insert(DeliveryUnit).values(id=unit_id, team_id=team_id, holder=holder, started_at=now)
            )


def unit_done(db: Database, unit_id: str, now: datetime) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(DeliveryUnit).where(DeliveryUnit.id == unit_id).values(finished_at=now))


def forget_units(db: Database, finished_before: datetime) -> int:
    """Drop the record of units finished long ago (a unit is handed out again within minutes)."""
    with db.engine.begin() as connection:
        return connection.execute(
            delete(DeliveryUnit).where(DeliveryUnit.finished_at < finished_before)
        ).rowcount
