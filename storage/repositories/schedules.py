"""The weekly schedules of a channel (digest, sprint cadence) and a person's reminders: read,
set, switch off."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import (
    Schedule,
    ScheduleKind,
    stored_now,
)


def schedule(
    session: Session, workspace_id: int, kind: ScheduleKind, channel_id: str = ""
) -> Schedule | None:
    return session.scalar(
        select(Schedule).where(
            Schedule.workspace_id == workspace_id, Schedule.kind == kind, Schedule.channel_id == channel_id
        )
    )


def schedules(session: Session, workspace_id: int, kind: ScheduleKind) -> dict[str, Schedule]:
    """Every schedule of `kind` in a workspace, by channel ("" for the workspace-wide one)."""
    rows = session.scalars(
        select(Schedule).where(Schedule.workspace_id == workspace_id, Schedule.kind == kind)
    )
    return {row.channel_id: row for row in rows}


def set_schedule(
    session: Session,
    workspace_id: int,
    kind: ScheduleKind,
    *,
    channel_id: str = "",
    weekday: int,
    time_of_day: str,
    timezone: str,
    set_by: str,
    length_weeks: int | None = None,
    enabled: bool = True,
) -> Schedule:
    """Create or change a schedule (and turn it back on). Safe against a concurrent first insert."""
    row = schedule(session, workspace_id, kind, channel_id)
    if row is None:
        row = Schedule(workspace_id=workspace_id, kind=kind, channel_id=channel_id)
        try:
            with session.begin_nested():
                _apply(row, weekday, time_of_day, timezone, set_by, length_weeks, enabled)
                session.add(row)
            return row
        except IntegrityError:
            row = schedule(session, workspace_id, kind, channel_id)
            if row is None:  # the row that won the race was deleted since: nothing to update
                raise
    _apply(row, weekday, time_of_day, timezone, set_by, length_weeks, enabled)
    session.flush()
    return row


def _apply(row: Schedule, weekday, time_of_day, timezone, set_by, length_weeks, enabled) -> None:
    row.weekday = weekday
    row.time_of_day = time_of_day
    row.timezone = timezone
    row.set_by = set_by
    row.length_weeks = length_weeks
    row.enabled = enabled
    row.paused_reason = "" if enabled else row.paused_reason
    row.updated_at = stored_now()


def disable_schedule(
    db: Database,
    workspace_id: int,
    kind: ScheduleKind,
    channel_id: str,
    reason: str,
    *,
    default: tuple[int, str, str, str] | None = None,
) -> Schedule | None:
    """Turn a channel's schedule off with a reason. A channel on the default schedule (no row yet)
    gets a row, so that it stays off: `default` is (weekday, time, timezone, set_by) for it."""
    with db.session() as session:
        row = schedule(session, workspace_id, kind, channel_id)
        if row is None:
            if default is None:
                return None
            weekday, time_of_day, timezone, set_by = default
            row = set_schedule(
                session,
                workspace_id,
                kind,
                channel_id=channel_id,
                weekday=weekday,
                time_of_day=time_of_day,
                timezone=timezone,
                set_by=set_by,
            )
        row.enabled = False
        row.paused_reason = reason[:255]
        row.updated_at = stored_now()
        session.flush()
        session.expunge(row)
        return row
