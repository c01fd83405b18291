"""The member cache: what Slack (users.info, users.list, user_change) last said of each person,
kept in Member, and the rights and zones the services decide from it. Never a call to Slack:
the rules of when a row is too old live in bot/domain/members.py; the listeners ask users.info
after ack() when a row is stale (bot/listeners/members.py: the router, buttons, workflow steps)
and keep the answer here; the clock's users.list pass (bot/jobs/people.py) stores its pages with
`member_row`. The API's rights come from the same rows (services/tokens.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.members import facts, is_person
from bot.domain.schedule_time import local_date, zone
from bot.errors import Forbidden
from bot.services.workspaces import Caller, unit_of_work
from storage.db import Database
from storage.models import Member, Workspace
from storage.repositories import members as members_repo


def member(session: Session, workspace: Workspace, user_id: str) -> Member:
    """A person as users.info last described them (refresh_member keeps that fresh, outside any
    transaction). Someone never described is a stranger: not an admin, in the workspace's zone."""
    return stored_member(session, workspace, user_id) or Member(
        workspace_id=workspace.id, user_id=user_id, name=user_id, tz="", is_admin=False, is_deleted=False
    )


def stored_zone(session: Session, workspace: Workspace, user_id: str) -> tuple[str | None, str]:
    """(the zone users.info gave for this person last, kept on Member, or None; the workspace's)."""
    return members_repo.cached_timezone(session, workspace.id, user_id), workspace.timezone or "UTC"


def reader_zone(session: Session, workspace: Workspace, user_id: str) -> ZoneInfo:
    """The zone a person reads dates in: their own (users.info's, kept), else the workspace's. The
    one rule for a person's zone: their "today", their week, the dates they are shown."""
    return zone(*stored_zone(session, workspace, user_id))


def local_today(session: Session, workspace: Workspace, user_id: str, now: datetime | None = None) -> date:
    """The person's own date at `now` (naive UTC, as stored), in `reader_zone`."""
    return local_date(now or stored_now(), reader_zone(session, workspace, user_id))


def stored_member(session: Session, workspace: Workspace, user_id: str) -> Member | None:
    """The member cache's row for a person, however old; never asks Slack."""
    return members_repo.member(session, workspace.id, user_id)


def is_admin(session: Session, workspace: Workspace, user_id: str) -> bool:
    """Whether the person is a workspace admin or owner, as users.info last said."""
    return member(session, workspace, user_id).is_admin


def require_owner_or_admin(session: Session, workspace: Workspace, user_id: str, *owner_ids: str) -> None:
    """Owners pass; anyone else must be a workspace admin, as the stored member row says (the
    listener refreshed it before the unit of work; a view submission decides from it as it is,
    since its form was opened by a command that refreshed it). No row: refused."""
    if user_id not in owner_ids and not member(session, workspace, user_id).is_admin:
        raise Forbidden()


def member_row(user: dict, now: datetime) -> dict:
    """A users.info / users.list / user_change user object as a row for `upsert_members`."""
    return {"user_id": user["id"], **facts(user), "refreshed_at": now}


def refreshed_at(db: Database, who: Caller, user_id: str) -> datetime | None:
    """When Slack last described the person in the caller's workspace (None: never)."""
    with db.session() as session:
        return members_repo.refreshed_at(session, who.team_id, user_id)


def remember_answer(db: Database, who: Caller, user: dict, now: datetime) -> bool:
    """Keep users.info's answer about a person in the caller's workspace (created first if this is
    its first command). False: nothing was kept (not a person, or the workspace is uninstalled)."""
    with unit_of_work(db, who):
        pass  # a workspace's first command: its row exists before the member's is kept
    return remember_user_change(db, who.team_id, user, enterprise_id=who.enterprise_id, now=now) > 0


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
