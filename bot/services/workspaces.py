"""Workspaces, members (users.info cache) and per-workspace reference numbers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.references import RefKind
from bot.errors import Forbidden

# after_commit is re-exported: listeners queue Slack effects on the unit of work they open here.
from storage.db import Database
from storage.db import after_commit as after_commit
from storage.models import Member, RefCounter, Workspace
from storage.repositories import members as members_repo

log = logging.getLogger(__name__)

MEMBER_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class Caller:
    """Who is asking, from where."""

    team_id: str
    enterprise_id: str | None
    user_id: str
    channel_id: str | None = None


@contextmanager
def unit_of_work(db: Database, who: Caller) -> Iterator[tuple[Session, Workspace]]:
    """A session (committed at the end, rolled back whole on error) and the caller's workspace."""
    with db.session() as session:
        yield session, workspace_for(session, who.team_id, who.enterprise_id)


def workspace_for(session: Session, team_id: str, enterprise_id: str | None = None) -> Workspace:
    """The workspace a request belongs to, created on its first request."""
    workspace = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if workspace is not None:
        if workspace.uninstalled_at is not None:
            workspace.uninstalled_at = None  # a request got through, so it is installed again
        return workspace
    workspace = Workspace(team_id=team_id, enterprise_id=enterprise_id)
    try:
        with session.begin_nested():
            session.add(workspace)
    except IntegrityError:  # another request created it a moment ago
        workspace = session.scalars(select(Workspace).where(Workspace.team_id == team_id)).one()
    return workspace


def next_number(session: Session, workspace_id: int, kind: RefKind) -> int:
    """The next KRA-n / OBJ-n / … number. The UPDATE locks the counter row until commit."""
    where = (RefCounter.workspace_id == workspace_id) & (RefCounter.kind == kind.value)
    updated = session.execute(update(RefCounter).where(where).values(last_number=RefCounter.last_number + 1))
    if updated.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(RefCounter(workspace_id=workspace_id, kind=kind.value, last_number=1))
            return 1
        except IntegrityError:
            session.execute(update(RefCounter).where(where).values(last_number=RefCounter.last_number + 1))
    return session.scalars(select(RefCounter.last_number).where(where)).one()


def member(session: Session, workspace: Workspace, user_id: str) -> Member:
    """A person as users.info last described them (refresh_member keeps that fresh, outside any
    transaction). Someone never described is a stranger: not an admin, in the workspace's zone."""
    return stored_member(session, workspace, user_id) or Member(
        workspace_id=workspace.id, user_id=user_id, name=user_id, tz="", is_admin=False, is_deleted=False
    )


def is_admin(session: Session, workspace: Workspace, user_id: str) -> bool:
    """Whether the person is a workspace admin or owner, as users.info last said."""
    return member(session, workspace, user_id).is_admin


def apply_user_info(target: Member, user: dict, now: datetime) -> None:
    profile = user.get("profile") or {}
    target.name = user.get("real_name") or profile.get("real_name") or user.get("name") or target.user_id
    target.tz = user.get("tz") or "UTC"
    target.tz_offset = int(user.get("tz_offset") or 0)
    target.is_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    target.is_deleted = bool(user.get("deleted"))
    target.status_text = (profile.get("status_text") or "")[:255]
    target.status_emoji = (profile.get("status_emoji") or "")[:100]
    target.refreshed_at = now


SLACKBOT = "USLACKBOT"


def is_person(user: dict) -> bool:
    """A human member (users.list and user_change also carry bots and Slackbot, never reminded)."""
    return (
        isinstance(user.get("id"), str)
        and bool(user["id"])
        and not user.get("is_bot")
        and user["id"] != SLACKBOT
    )


def member_row(user: dict, now: datetime) -> dict:
    """A users.info / users.list / user_change user object as a row for `upsert_members`."""
    target = Member(user_id=user["id"])
    apply_user_info(target, user, now)
    return {column: getattr(target, column) for column in ("user_id", *members_repo.MEMBER_COLUMNS)}


def remember_user_change(
    db: Database,
    team_id: str | None,
    user: dict,
    *,
    enterprise_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """A user_change event: store the member's time zone, status, admin flag and deactivation, so
    the clock needs no users.info call for them. Returns how many workspaces' rows changed.

    For `team_id`'s workspace, if we know it and it is installed; anything else changes nothing.
    An org-wide Grid install hears of a change once for the whole org (no team_id): a member's
    profile is the org's, so it updates the rows already kept for that member in the org's
    installed workspaces (one statement), and adds none."""
    if not isinstance(user, dict) or not is_person(user):
        return 0
    row = member_row(user, now or stored_now())
    installed = Workspace.uninstalled_at.is_(None)
    if not team_id:
        if not enterprise_id:
            return 0
        in_org = select(Workspace.id).where(Workspace.enterprise_id == enterprise_id, installed)
        changes = {column: row[column] for column in members_repo.MEMBER_COLUMNS}
        with db.session() as session:
            done = session.execute(
                update(Member)
                .where(Member.user_id == row["user_id"], Member.workspace_id.in_(in_org))
                .values(**changes)
                .execution_options(synchronize_session=False)
            )
            return done.rowcount or 0
    with db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.team_id == team_id, installed))
    if workspace_id is None:
        return 0
    members_repo.upsert_members(db, workspace_id, [row])
    return 1


def refreshed_at(db: Database, who: Caller, user_id: str) -> datetime | None:
    """When users.info last described the person in the caller's workspace (None: never)."""
    with db.session() as session:
        return members_repo.refreshed_at(session, who.team_id, user_id)


def stored_member(session: Session, workspace: Workspace, user_id: str) -> Member | None:
    """The member cache's row for a person, however old; never asks Slack."""
    return session.scalar(
        select(Member).where(Member.workspace_id == workspace.id, Member.user_id == user_id)
    )


def require_owner_or_admin(session: Session, workspace: Workspace, user_id: str, *owner_ids: str) -> None:
    """Owners pass; anyone else must be a workspace admin, as the stored member row says (the
    listener refreshed it before the unit of work; a view submission decides from it as it is,
    since its form was opened by a command that refreshed it). No row: refused."""
    if user_id not in owner_ids and not member(session, workspace, user_id).is_admin:
        raise Forbidden()
