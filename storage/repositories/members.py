"""The member cache: what users.info (or user_change) last said of each person, and who may change
a channel's schedules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage.db import Database, upsert_into
from storage.models import (
    Member,
    Objective,
    Sprint,
    Status,
    Workspace,
)


def refreshed_at(session: Session, team_id: str, user_id: str) -> datetime | None:
    """When users.info last described the person in `team_id`'s workspace (None: never): one statement."""
    return session.scalar(
        select(Member.refreshed_at)
        .join(Workspace, Workspace.id == Member.workspace_id)
        .where(Workspace.team_id == team_id, Member.user_id == user_id)
    )


# Built once, not per call (as storage/repositories/workspaces.py's _BY_TEAM): most commands read
# the caller's row.
_ONE = (Member.workspace_id == bindparam("workspace_id")) & (Member.user_id == bindparam("user_id"))
_MEMBER = select(Member).where(_ONE)
_TIMEZONE = select(Member.tz).where(_ONE)


def member(session: Session, workspace_id: int, user_id: str) -> Member | None:
    """The member cache's row for a person, however old."""
    return session.scalar(_MEMBER, {"workspace_id": workspace_id, "user_id": user_id})


def cached_timezone(session: Session, workspace_id: int, user_id: str) -> str | None:
    return session.scalar(_TIMEZONE, {"workspace_id": workspace_id, "user_id": user_id})


def admin_ids(session: Session, workspace_id: int) -> list[str]:
    """The workspace's admins and owners as users.info (or user_change) last described them."""
    return list(
        session.scalars(
            select(Member.user_id)
            .where(
                Member.workspace_id == workspace_id, Member.is_admin.is_(True), Member.is_deleted.is_(False)
            )
            .order_by(Member.user_id)
        )
    )


def channel_stewards(session: Session, workspace_id: int, channel_id: str) -> set[str]:
    """Who may change a channel's digest and sprint cadence besides admins: the owners of its
    active objectives and whoever started a sprint there. One statement."""
    owners = select(Objective.owner_id).where(
        Objective.workspace_id == workspace_id,
        Objective.channel_id == channel_id,
        Objective.status == Status.ACTIVE,
    )
    starters = select(Sprint.created_by).where(
        Sprint.workspace_id == workspace_id, Sprint.channel_id == channel_id
    )
    return {user for user in session.scalars(owners.union(starters)) if user}


def members(session: Session, workspace_id: int, user_ids: Iterable[str]) -> dict[str, Member]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Member).where(Member.workspace_id == workspace_id, Member.user_id.in_(ids)))
    return {row.user_id: row for row in rows}


MEMBER_COLUMNS = (
    "name",
    "tz",
    "tz_offset",
    "is_admin",
    "is_deleted",
    "status_text",
    "status_emoji",
    "refreshed_at",
)


def upsert_members(db: Database, workspace_id: int, rows: Sequence[dict]) -> None:
    """Store fresh users.info facts for many people in one statement, in a transaction of its own
    (so two runners refreshing the same people both succeed). paused_until is never touched."""
    if not rows:
        return
    values = [
        {"workspace_id": workspace_id, **{k: row[k] for k in ("user_id", *MEMBER_COLUMNS)}} for row in rows
    ]
    statement = upsert_into(db.engine.dialect.name, Member).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[Member.workspace_id, Member.user_id],
        set_={column: getattr(statement.excluded, column) for column in MEMBER_COLUMNS},
    )
    with db.engine.begin() as connection:
        connection.execute(statement)
