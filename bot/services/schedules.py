"""Who may change which schedule, the change itself, and telling the people it affects.

- Workspace-wide schedules (the check-in reminder, `/okr settings`) are for workspace admins.
- A channel's digest and sprint cadence are for admins, the owners of the channel's active
  objectives and whoever started a sprint there.

Permissions are read from what is stored (the member cache's admin flag, objective owners,
sprint creators). A refused change says who can make it and changes nothing. A change others
receive is announced where it applies: in the channel, or by DM to the admins for workspace-wide
ones, naming who made it. Announcements go out after the change is committed (`announce`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.days import plain_day
from bot.domain.schedule_time import WEEKDAYS, local_midnight_utc, workspace_digest_slot, zone
from bot.errors import Forbidden, Invalid
from bot.services.members import local_today, member, reader_zone
from storage.models import Schedule, ScheduleKind, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import members as members_repo
from storage.repositories import schedules as repo

if TYPE_CHECKING:
    from bot.jobs.sprint_prompts import Upcoming

log = logging.getLogger(__name__)

MAX_NAMED = 5  # admins named in a refusal


@dataclass
class Announcement:
    """What to tell, after the commit: a channel (channel-wide changes) or people (admins)."""

    text: str
    channel_id: str | None = None
    user_ids: list[str] = field(default_factory=list)


def _names(user_ids: list[str]) -> str:
    shown = [f"<@{u}>" for u in user_ids[:MAX_NAMED]]
    if len(user_ids) > MAX_NAMED:
        shown.append(f"{len(user_ids) - MAX_NAMED} more")
    return ", ".join(shown)


def is_admin(session: Session, workspace: Workspace, user_id: str) -> bool:
    return member(session, workspace, user_id).is_admin


def require_admin(session: Session, workspace: Workspace, user_id: str, what: str) -> None:
    """Workspace-wide changes: admins only. The refusal names the admins we know of."""
    if is_admin(session, workspace, user_id):
        return
    admins = members_repo.admin_ids(session, workspace.id)
    who = f" ({_names(admins)})" if admins else ""
    raise Forbidden(f"Only a workspace admin{who} can change {what}; nothing was changed.")


def require_channel_steward(
    session: Session, workspace: Workspace, user_id: str, channel_id: str, what: str
) -> None:
    """A channel's digest and sprint cadence: admins, its objective owners, its sprint starters."""
    if user_id in members_repo.channel_stewards(session, workspace.id, channel_id):
        return
    if is_admin(session, workspace, user_id):
        return
    raise Forbidden(
        f"Only a workspace admin, an owner of one of <#{channel_id}>'s objectives, or someone who "
        f"started a sprint there can change {what}; nothing was changed."
    )


def require_may_change(
    session: Session,
    workspace: Workspace,
    user_id: str,
    kind: ScheduleKind,
    channel_id: str,
) -> None:
    if kind == ScheduleKind.CHECKIN:
        require_admin(session, workspace, user_id, "everyone's check-in reminders")
    elif kind == ScheduleKind.DIGEST:
        require_channel_steward(session, workspace, user_id, channel_id, f"<#{channel_id}>'s digest")
    else:
        require_channel_steward(session, workspace, user_id, channel_id, f"<#{channel_id}>'s sprint cadence")


def _weekly(weekday: int, time_of_day: str) -> str:
    return f"{WEEKDAYS[weekday - 1].capitalize()}s at {time_of_day}"


def set_schedule(
    session: Session,
    workspace: Workspace,
    user_id: str,
    kind: ScheduleKind,
    weekday: int,
    time_of_day: str,
    *,
    channel_id: str = "",
    length_weeks: int | None = None,
) -> Announcement:
    """Set (and switch on) a schedule at the day and time typed, in the caller's own time zone."""
    require_may_change(session, workspace, user_id, kind, channel_id)
    tz = reader_zone(session, workspace, user_id)
    repo.set_schedule(
        session,
        workspace.id,
        kind,
        channel_id=channel_id,
        weekday=weekday,
        time_of_day=time_of_day,
        timezone=tz.key,
        set_by=user_id,
        length_weeks=length_weeks,
    )
    when = f"{_weekly(weekday, time_of_day)} ({tz.key})"
    if kind == ScheduleKind.CHECKIN:
        return _to_admins(
            session,
            workspace,
            user_id,
            f":calendar: <@{user_id}> moved everyone's weekly check-in reminder to "
            f"{_weekly(weekday, time_of_day)}, in each owner's own time zone.",
        )
    if kind == ScheduleKind.DIGEST:
        text = f":calendar: <@{user_id}> set this channel's weekly digest to {when}."
    else:
        text = (
            f":calendar: <@{user_id}> set this channel's sprint cadence: {length_weeks}-week sprints, "
            f"the planning prompt on {when}."
        )
    return Announcement(text, channel_id=channel_id)


def switch_off(
    session: Session,
    workspace: Workspace,
    user_id: str,
    kind: ScheduleKind,
    channel_id: str,
    default: tuple[int, str, int | None],
) -> Announcement:
    """Switch a schedule off, keeping its day, time, zone and length for when it comes back on."""
    require_may_change(session, workspace, user_id, kind, channel_id)
    row = repo.schedule(session, workspace.id, kind, channel_id)
    if row is None and kind == ScheduleKind.DIGEST:
        # A channel on the workspace's default digest keeps that default for when it comes back.
        default = (*workspace_digest_slot(workspace.digest_weekday, workspace.digest_time), None)
    weekday, time_of_day, length_weeks = (row.weekday, row.time_of_day, row.length_weeks) if row else default
    if row is not None:
        timezone = row.timezone
    elif kind == ScheduleKind.DIGEST:
        timezone = zone(workspace.timezone).key  # the default digest runs in the workspace's zone
    else:
        timezone = reader_zone(session, workspace, user_id).key
    repo.set_schedule(
        session,
        workspace.id,
        kind,
        channel_id=channel_id,
        weekday=weekday,
        time_of_day=time_of_day,
        timezone=timezone,
        set_by=user_id,
        length_weeks=length_weeks,
        enabled=False,
    ).paused_reason = f"switched off by <@{user_id}>"
    if kind == ScheduleKind.CHECKIN:
        return _to_admins(
            session,
            workspace,
            user_id,
            f":calendar: <@{user_id}> switched off everyone's weekly check-in reminders.",
        )
    what = "weekly digest" if kind == ScheduleKind.DIGEST else "sprint-planning prompts"
    return Announcement(f":calendar: <@{user_id}> switched off this channel's {what}.", channel_id=channel_id)


def _to_admins(session: Session, workspace: Workspace, actor_id: str, text: str) -> Announcement:
    return Announcement(
        text, user_ids=[u for u in members_repo.admin_ids(session, workspace.id) if u != actor_id]
    )


# --- /okr pause, /okr resume, /sprint schedule -----------------------------------------------------


def pause(session: Session, workspace: Workspace, user_id: str, until, now: datetime) -> None:
    """Pause one's own reminders up to and including `until` (a day in one's own time zone)."""
    me = member(session, workspace, user_id)
    today = local_today(session, workspace, user_id, now)
    if until < today:
        raise Invalid(
            f"{plain_day(until)} has already passed; pick a day from today on, like "
            f"`/okr pause until {today + timedelta(days=7)}`."
        )
    me.paused_until = until


def resume(session: Session, workspace: Workspace, user_id: str) -> bool:
    """End one's pause; whether there was one."""
    me = member(session, workspace, user_id)
    was_paused = me.paused_until is not None
    me.paused_until = None
    return was_paused


def sprint_upcoming(session: Session, workspace: Workspace, channel_id: str, now: datetime):
    """The cadence's next planning prompt and the active sprint's end and prompt, apart."""
    from bot.jobs.sprint_prompts import next_prompt

    return next_prompt(session, workspace, channel_id, now)


# --- /okr digest ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestAsk:
    """Whether `/okr digest` should post now, and when the channel's last digest went out."""

    last_at: datetime | None  # aware UTC
    this_week: bool
    reader_tz: ZoneInfo  # the zone the asker reads `last_at` in


def digest_ask(
    session: Session, workspace: Workspace, user_id: str, channel_id: str, now: datetime
) -> DigestAsk:
    """`user_id` asks for `channel_id`'s digest now: whether one went out this week already, when,
    and the zone the asker reads that time in."""
    from bot.jobs.digest import KIND

    reader_tz = reader_zone(session, workspace, user_id)
    last = digest_repo.last_digest_at(session, workspace.id, channel_id, (KIND, digest_repo.DIGEST_NOW_KIND))
    if last is None:
        return DigestAsk(None, False, reader_tz)
    row = repo.schedule(session, workspace.id, ScheduleKind.DIGEST, channel_id)
    tz = zone(row.timezone if row else workspace.timezone, workspace.timezone)
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    last_at = last.replace(tzinfo=UTC)
    return DigestAsk(last_at, last_at >= local_midnight_utc(monday, tz), reader_tz)


__all__ = [
    "Announcement",
    "DigestAsk",
    "OkrSchedule",
    "Resumed",
    "ScheduleChange",
    "SprintSchedule",
    "digest_ask",
    "okr_resume",
    "okr_schedule",
    "okr_schedule_view",
    "require_admin",
    "require_may_change",
    "set_schedule",
    "sprint_schedule",
    "sprint_schedule_view",
    "switch_off",
]


# --- reads for the schedule answers ----------------------------------------------------------------


def stored_schedule(session: Session, workspace: Workspace, kind: ScheduleKind, channel_id: str = ""):
    """The schedule row of `kind` (for a channel, or the workspace's), or None: the default applies."""
    return repo.schedule(session, workspace.id, kind, channel_id)


def paused_until(session: Session, workspace: Workspace, user_id: str):
    """The last day a person's reminders are paused, or None."""
    me = members_repo.members(session, workspace.id, [user_id]).get(user_id)
    return me.paused_until if me is not None else None


@dataclass(frozen=True)
class OkrScheduleView:
    """What `/okr schedule` shows: the stored rows (None: the default applies) and the reader's pause."""

    digest: Schedule | None  # the channel's digest; None also outside a team channel
    checkin: Schedule | None
    paused_until: date | None
    reader_tz: ZoneInfo  # the zone the reader reads times in


def okr_schedule_view(
    session: Session, workspace: Workspace, user_id: str, channel_id: str | None
) -> OkrScheduleView:
    """`/okr schedule` (and the answers to /okr pause and resume): `channel_id`'s digest when given."""
    digest = stored_schedule(session, workspace, ScheduleKind.DIGEST, channel_id) if channel_id else None
    return OkrScheduleView(
        digest,
        stored_schedule(session, workspace, ScheduleKind.CHECKIN),
        paused_until(session, workspace, user_id),
        reader_zone(session, workspace, user_id),
    )


@dataclass(frozen=True)
class SprintScheduleView:
    """What `/sprint schedule` shows: the channel's cadence row (None: none set) and what comes next."""

    cadence: Schedule | None
    upcoming: Upcoming
    reader_tz: ZoneInfo  # the zone the reader reads times in


def sprint_schedule_view(
    session: Session, workspace: Workspace, user_id: str, channel_id: str, now: datetime
) -> SprintScheduleView:
    return SprintScheduleView(
        stored_schedule(session, workspace, ScheduleKind.SPRINT, channel_id),
        sprint_upcoming(session, workspace, channel_id, now),
        reader_zone(session, workspace, user_id),
    )


# --- the schedule commands, one use case each --------------------------------------------------------


@dataclass(frozen=True)
class ScheduleChange:
    """A schedule to set (and switch on) or, `off`, to switch off keeping `default` for later."""

    kind: ScheduleKind
    weekday: int = 0
    time_of_day: str = ""
    channel_id: str = ""
    length_weeks: int | None = None
    off: bool = False
    default: tuple[int, str, int | None] = (0, "", None)


def _change(session: Session, workspace: Workspace, user_id: str, change: ScheduleChange) -> Announcement:
    if change.off:
        return switch_off(session, workspace, user_id, change.kind, change.channel_id, change.default)
    return set_schedule(
        session,
        workspace,
        user_id,
        change.kind,
        change.weekday,
        change.time_of_day,
        channel_id=change.channel_id,
        length_weeks=change.length_weeks,
    )


@dataclass(frozen=True)
class OkrSchedule:
    """`/okr schedule [...]`: what to announce after the commit (None: nothing changed), and the view."""

    told: Announcement | None
    view: OkrScheduleView


def okr_schedule(
    session: Session,
    workspace: Workspace,
    user_id: str,
    channel_id: str | None,
    change: ScheduleChange | None,
) -> OkrSchedule:
    """`/okr schedule`, with its change (if any, and if the caller may) made first, then shown as
    it stands, `channel_id`'s digest included when given."""
    told = _change(session, workspace, user_id, change) if change else None
    return OkrSchedule(told, okr_schedule_view(session, workspace, user_id, channel_id))


@dataclass(frozen=True)
class SprintSchedule:
    """`/sprint schedule [...]`: what to announce after the commit (None: nothing changed), and the view."""

    told: Announcement | None
    view: SprintScheduleView


def sprint_schedule(
    session: Session,
    workspace: Workspace,
    user_id: str,
    channel_id: str,
    change: ScheduleChange | None,
    now: datetime,
) -> SprintSchedule:
    """`/sprint schedule`, with its change (if any, and if the caller may) made first."""
    told = _change(session, workspace, user_id, change) if change else None
    return SprintSchedule(told, sprint_schedule_view(session, workspace, user_id, channel_id, now))


@dataclass(frozen=True)
class Resumed:
    """`/okr resume`: whether there was a pause to end, and the schedule as it stands after."""

    was_paused: bool
    view: OkrScheduleView


def okr_resume(session: Session, workspace: Workspace, user_id: str) -> Resumed:
    was_paused = resume(session, workspace, user_id)
    return Resumed(was_paused, okr_schedule_view(session, workspace, user_id, None))
