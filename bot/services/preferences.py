"""A person's own reminders: `/okr remind` and the reminder's *Remind me later today*,
*Tomorrow* and *Skip this week*. Everyone changes only their own; the rules are in
bot/domain/preferences.py."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.preferences import (
    MessageKind,
    Preferences,
    RemindAction,
    RemindRequest,
    format_muted,
    later_today,
    parse_muted,
    reminder_slot,
    tomorrow,
)
from bot.domain.schedule_time import (
    CHECKIN_TIME,
    CHECKIN_WEEKDAY,
    Occurrence,
    WeeklySlot,
    WorkCalendar,
    latest_occurrence,
    next_occurrence,
)
from bot.errors import Invalid
from bot.services.members import reader_zone
from storage.models import PersonPreference, ScheduleKind, Workspace
from storage.repositories import preferences as repo
from storage.repositories import schedules as schedules_repo

STALE_WEEK = "This reminder is for an earlier week; this week's comes on its own day."


@dataclass(frozen=True)
class MyReminders:
    """What `/okr remind` shows: the person's slot and the team's, the next reminder, what is off."""

    slot: WeeklySlot
    team_weekday: int
    team_time: str
    own_day_or_time: bool
    next_due: datetime | None  # aware UTC; None when the check-in reminder is off
    tz: ZoneInfo
    muted: frozenset[MessageKind]
    team_enabled: bool


@dataclass(frozen=True)
class Snoozed:
    until: datetime  # aware UTC
    tz: ZoneInfo


def _row(session: Session, workspace: Workspace, user_id: str) -> PersonPreference:
    row = repo.preference(session, workspace.id, user_id)
    if row is None:
        row = PersonPreference(workspace_id=workspace.id, user_id=user_id, muted="")
        session.add(row)
    return row


def _team_slot(session: Session, workspace: Workspace) -> tuple[int, str, bool]:
    schedule = schedules_repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
    if schedule is None:
        return CHECKIN_WEEKDAY, CHECKIN_TIME, True
    return schedule.weekday, schedule.time_of_day, schedule.enabled


def my_reminders(
    session: Session, workspace: Workspace, user_id: str, now: datetime, *, tz: ZoneInfo | None = None
) -> MyReminders:
    """The person's reminders as they stand (`tz`: their zone, when the caller has read it)."""
    prefs = Preferences.of(repo.preference(session, workspace.id, user_id))
    weekday, time_of_day, enabled = _team_slot(session, workspace)
    tz = tz or reader_zone(session, workspace, user_id)
    calendar = WorkCalendar.of_workspace(workspace)
    slot = reminder_slot(prefs, weekday, time_of_day, tz, calendar)
    on = enabled and prefs.wants(MessageKind.CHECKIN)
    return MyReminders(
        slot=slot,
        team_weekday=weekday,
        team_time=time_of_day,
        own_day_or_time=(slot.weekday, slot.time_of_day) != (weekday, time_of_day),
        next_due=next_occurrence(slot, calendar, now).due if on else None,
        tz=tz,
        muted=prefs.muted,
        team_enabled=enabled,
    )


def change(session: Session, workspace: Workspace, user_id: str, request: RemindRequest) -> bool:
    """Apply `/okr remind …` to the caller's own row; whether anything changed."""
    row = repo.preference(session, workspace.id, user_id)
    before = Preferences.of(row)
    if request.action == "reset":
        if row is None:
            return False
        row.reminder_weekday = row.reminder_time = None
        row.muted = ""
        return before != Preferences.of(row)
    row = row or _row(session, workspace, user_id)
    if request.action == "set":
        row.reminder_weekday, row.reminder_time = request.weekday, request.time_of_day
    elif request.action in ("off", "on"):
        muted = set(parse_muted(row.muted))
        (muted.add if request.action == "off" else muted.discard)(request.kind)
        row.muted = format_muted(muted)
    return before != Preferences.of(row)


@dataclass(frozen=True)
class Remind:
    """`/okr remind …`: whether it changed anything, and the person's reminders as they stand after."""

    changed: bool
    mine: MyReminders


def remind(
    session: Session, workspace: Workspace, user_id: str, request: RemindRequest, now: datetime
) -> Remind:
    """`/okr remind`: the change asked for (none to just show), then the reminders as they stand."""
    changed = request.action != RemindAction.SHOW and change(session, workspace, user_id, request)
    return Remind(changed, my_reminders(session, workspace, user_id, now))


def save_mine(
    session: Session,
    workspace: Workspace,
    user_id: str,
    weekday: int | None,
    time_of_day: str | None,
    muted: frozenset[MessageKind],
) -> bool:
    """App Home's *Change*: the caller's own day, time and kinds at once; whether anything changed."""
    row = repo.preference(session, workspace.id, user_id)
    before = Preferences.of(row)
    row = row or _row(session, workspace, user_id)
    row.reminder_weekday, row.reminder_time, row.muted = weekday, time_of_day, format_muted(muted)
    return before != Preferences.of(row)


def _this_week(
    session: Session, workspace: Workspace, user_id: str, period: str, now: datetime
) -> tuple[PersonPreference, Occurrence, ZoneInfo, WorkCalendar]:
    """The caller's row and this week's occurrence of their reminder; Invalid when the click
    came from an earlier week's reminder."""
    row = _row(session, workspace, user_id)
    weekday, time_of_day, _enabled = _team_slot(session, workspace)
    tz = reader_zone(session, workspace, user_id)
    calendar = WorkCalendar.of_workspace(workspace)
    slot = reminder_slot(Preferences.of(row), weekday, time_of_day, tz, calendar)
    occurrence = latest_occurrence(slot, calendar, now)
    if occurrence.period != period:
        raise Invalid(STALE_WEEK)
    return row, occurrence, tz, calendar


def snooze(
    session: Session, workspace: Workspace, user_id: str, period: str, *, later: bool, now: datetime
) -> Snoozed:
    """*Remind me later today* (`later`) or *Tomorrow*: this week's reminder comes again then."""
    row, occurrence, tz, calendar = _this_week(session, workspace, user_id, period, now)
    time_of_day = f"{occurrence.local:%H:%M}"
    until = (later_today if later else tomorrow)(now, tz, calendar, time_of_day)
    row.snoozed_until = until.astimezone(UTC).replace(tzinfo=None)  # storage keeps naive UTC
    row.snoozed_period = period
    if row.skipped_period == period:
        row.skipped_period = None
    return Snoozed(until, tz)


def skip_week(session: Session, workspace: Workspace, user_id: str, period: str, now: datetime) -> None:
    """*Skip this week*: no more reminder, snooze or second nudge for this week."""
    row, _occurrence, _tz, _calendar = _this_week(session, workspace, user_id, period, now)
    row.skipped_period = period
    row.snoozed_until = row.snoozed_period = None


def muted_counts(session: Session, workspace: Workspace) -> dict[MessageKind, int]:
    """How many people switched each kind of message off (for admins, in `/okr settings`)."""
    counts: Counter[MessageKind] = Counter()
    for muted in repo.muted_lists(session, workspace.id):
        counts.update(parse_muted(muted))
    return {kind: counts.get(kind, 0) for kind in MessageKind}
