"""The workspace's settings (`/okr settings`): its calendar (time zone, work week, holidays, fiscal
year, check-in slot and default digest slot, which every scheduled post is timed by) and its two
guard-rail switches (owners binding data sources, unattended workflow steps).

Anyone may read them; only workspace admins may change them. On a modal submission the admin
check reads the stored member row only (no Slack call before ack()); opening the modal may
refresh it (after ack). A change is announced to the other admins, naming who made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bot.domain.calendar import CHECKIN_DEFAULT, CalendarSettings
from bot.domain.preferences import MessageKind
from bot.domain.schedule_time import (
    WEEKDAYS,
    parse_work_days,
    workspace_digest_slot,
)
from bot.domain.zones import starting_zone
from bot.errors import Forbidden
from bot.forms.calendar import CalendarForm
from bot.services import members, preferences
from bot.services.members import member
from bot.services.schedules import Announcement
from storage.models import ScheduleKind, Workspace
from storage.repositories import members as members_repo
from storage.repositories import schedules as repo


@dataclass
class Saved:
    settings: CalendarSettings
    changes: list[str] = field(default_factory=list)
    announcement: Announcement | None = None


def current(session: Session, workspace: Workspace) -> CalendarSettings:
    checkin = repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
    digest_weekday, digest_time = workspace_digest_slot(workspace.digest_weekday, workspace.digest_time)
    return CalendarSettings(
        timezone=workspace.timezone or "UTC",
        work_days=tuple(sorted(parse_work_days(workspace.work_days))),
        holiday_country=workspace.holiday_country or None,
        holiday_subdivision=workspace.holiday_subdivision or None,
        fiscal_year_start_month=workspace.fiscal_year_start_month or 1,
        checkin_weekday=checkin.weekday if checkin else CHECKIN_DEFAULT[0],
        checkin_time=checkin.time_of_day if checkin else CHECKIN_DEFAULT[1],
        checkin_enabled=checkin.enabled if checkin else True,
        digest_weekday=digest_weekday,
        digest_time=digest_time,
        owners_may_bind_sources=bool(workspace.owners_may_bind_sources),
        unattended_steps_allowed=bool(workspace.unattended_steps_allowed),
        ai_enabled=workspace.ai_enabled is not False,
    )


@dataclass(frozen=True)
class View:
    settings: CalendarSettings
    editable: bool
    admins: list[str]
    # For admins: how many people switched each kind of message off (`/okr remind off KIND`).
    muted: dict[MessageKind, int] = field(default_factory=dict)
    # Where the time zone picker starts: the workspace's zone, else the reader's own (users.info).
    picker_zone: str = "UTC"


def for_viewing(session: Session, workspace: Workspace, user_id: str) -> View:
    """The settings, and whether `user_id` may change them (users.info refreshed if stale: call
    this after ack()). Admins also see how many people switched each kind of message off (they
    cannot change that: it is each person's own)."""
    editable = member(session, workspace, user_id).is_admin
    muted = preferences.muted_counts(session, workspace) if editable else {}
    own_zone, _ = members.stored_zone(session, workspace, user_id)
    return View(
        current(session, workspace),
        editable,
        members_repo.admin_ids(session, workspace.id),
        muted,
        picker_zone=starting_zone(workspace.timezone, own_zone),
    )


def stored_admin(session: Session, workspace: Workspace, user_id: str) -> bool:
    row = members_repo.members(session, workspace.id, [user_id]).get(user_id)
    return bool(row is not None and row.is_admin and not row.is_deleted)


def save(session: Session, workspace: Workspace, actor_id: str, form: CalendarForm) -> Saved:
    """Store the form if `actor_id` is an admin (as stored); else Forbidden and nothing changes."""
    if not stored_admin(session, workspace, actor_id):
        admins = members_repo.admin_ids(session, workspace.id)
        named = f" ({', '.join(f'<@{a}>' for a in admins[:5])})" if admins else ""
        raise Forbidden(
            f"Only a workspace admin{named} can change the workspace's settings; nothing was changed."
        )
    changes = apply(session, workspace, actor_id, form)
    announcement = None
    if changes:
        text = f":calendar: <@{actor_id}> changed the workspace's settings:\n" + "\n".join(
            f"• {c}" for c in changes
        )
        others = [a for a in members_repo.admin_ids(session, workspace.id) if a != actor_id]
        announcement = Announcement(text, user_ids=others)
    return Saved(current(session, workspace), changes, announcement)


def apply(session: Session, workspace: Workspace, actor_id: str, form: CalendarForm) -> list[str]:
    """Store the settings and say what changed. No permission check: `save` makes it for Slack;
    OKRs as code (`northline import`, an operator's file) calls this directly."""
    before = current(session, workspace)
    workspace.timezone = form.timezone
    workspace.work_days = ",".join(str(d) for d in form.work_days)
    workspace.holiday_country = form.holiday_country
    workspace.holiday_subdivision = form.holiday_subdivision
    workspace.fiscal_year_start_month = form.fiscal_year_start_month
    workspace.digest_weekday = form.digest_weekday
    workspace.digest_time = form.digest_time
    workspace.owners_may_bind_sources = form.owners_may_bind_sources
    workspace.unattended_steps_allowed = form.unattended_steps_allowed
    workspace.ai_enabled = form.ai_enabled
    if (form.checkin_weekday, form.checkin_time) != (before.checkin_weekday, before.checkin_time):
        repo.set_schedule(
            session,
            workspace.id,
            ScheduleKind.CHECKIN,
            channel_id="",
            weekday=form.checkin_weekday,
            time_of_day=form.checkin_time,
            timezone=form.timezone,
            set_by=actor_id,
            length_weeks=None,
            enabled=before.checkin_enabled,
        )
    session.flush()
    old, new = dict(before.described()), dict(current(session, workspace).described())
    return [f"{label}: {old[label]} → {new[label]}" for label in new if old[label] != new[label]]


__all__ = ["CalendarSettings", "apply", "as_code", "current", "for_viewing", "save"]


# --- as code: the `settings:` block of OKRs as code, and `northline export` ---------------------


def as_code(settings: CalendarSettings) -> dict[str, Any]:
    """The settings in the shape of the `settings:` block (for `northline export` and round trips)."""
    holidays = None
    if settings.holiday_country:
        holidays = settings.holiday_country + (
            f"-{settings.holiday_subdivision}" if settings.holiday_subdivision else ""
        )
    return {
        "timezone": settings.timezone,
        "work_days": [WEEKDAYS[d - 1][:3] for d in settings.work_days],
        "holidays": holidays,
        "fiscal_year_start": settings.fiscal_year_start_month,
        "checkin": f"{WEEKDAYS[settings.checkin_weekday - 1][:3]} {settings.checkin_time}",
        "digest": f"{WEEKDAYS[settings.digest_weekday - 1][:3]} {settings.digest_time}",
    }
