"""A person's own reminders: which day and time, which kinds of message, snooze and skip. Pure.

The team sets the check-in reminder's slot (`/okr schedule checkin`); a person may move theirs
to another day of the team's work week and another time of their own day (`/okr remind DAY
HH:MM`), switch a kind of message off or on (`/okr remind off nudges`), and from the reminder
itself put it off (*Remind me later today*, *Tomorrow*) or skip the week. The planners ask
this module what a person's slot is and whether they want a kind; the delivery engine does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.schedule_time import (
    WEEKDAYS,
    WeeklySlot,
    WorkCalendar,
    format_time,
    local_datetime,
    parse_time,
    parse_weekday,
)
from bot.domain.slack_text import user_text

# *Remind me later today*: this much later, but not past the end of the person's work day.
LATER_BY = timedelta(hours=3)
WORKDAY_END = time(18, 0)
# Closer than this to the end of the day, "later today" is the next work day instead.
LATER_AT_LEAST = timedelta(minutes=30)
# The second nudge: this many working days after the reminder, if nothing happened since.
FOLLOW_UP_AFTER_WORK_DAYS = 2


class MessageKind(StrEnum):
    """The kinds of DM a person can switch off, each on its own."""

    CHECKIN = "checkin"  # the weekly check-in reminder (and its second nudge)
    NUDGES = "nudges"  # alignment nudges: key results off track that no sprint serves
    SPRINTS = "sprints"  # sprint prompts: a sprint of theirs that serves no key result
    REVIEWS = "reviews"  # KRA review and cycle close prompts
    SOURCES = "sources"  # a failing data source of their key results

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    MessageKind.CHECKIN: "check-in reminder",
    MessageKind.NUDGES: "alignment nudges",
    MessageKind.SPRINTS: "sprint prompts",
    MessageKind.REVIEWS: "KRA review and cycle prompts",
    MessageKind.SOURCES: "data source notices",
}
_KIND_ALIASES = {
    "checkin": MessageKind.CHECKIN,
    "check-in": MessageKind.CHECKIN,
    "checkins": MessageKind.CHECKIN,
    "reminder": MessageKind.CHECKIN,
    "reminders": MessageKind.CHECKIN,
    "nudge": MessageKind.NUDGES,
    "nudges": MessageKind.NUDGES,
    "alignment": MessageKind.NUDGES,
    "sprint": MessageKind.SPRINTS,
    "sprints": MessageKind.SPRINTS,
    "review": MessageKind.REVIEWS,
    "reviews": MessageKind.REVIEWS,
    "kra": MessageKind.REVIEWS,
    "source": MessageKind.SOURCES,
    "sources": MessageKind.SOURCES,
}


def parse_kind(text: str) -> MessageKind:
    key = (text or "").strip().lower()
    if key in _KIND_ALIASES:
        return _KIND_ALIASES[key]
    names = ", ".join(k.value for k in MessageKind)
    raise ValueError(f"“{user_text((text or '').strip(), 20)}” is not a kind of message; one of {names}")


def parse_muted(text: str | None) -> frozenset[MessageKind]:
    """The stored comma-separated kinds; unknown ones (from a later version) are ignored."""
    kinds = set()
    for part in (text or "").split(","):
        try:
            kinds.add(MessageKind(part.strip()))
        except ValueError:
            continue
    return frozenset(kinds)


def format_muted(kinds: Iterable[MessageKind]) -> str:
    return ",".join(sorted(k.value for k in kinds))


@dataclass(frozen=True)
class Preferences:
    """What a person chose; the defaults (nothing chosen) follow the team."""

    weekday: int | None = None
    time_of_day: str | None = None
    muted: frozenset[MessageKind] = field(default_factory=frozenset)
    snoozed_until: datetime | None = None  # naive UTC, as stored
    snoozed_period: str | None = None
    skipped_period: str | None = None

    @classmethod
    def of(cls, row) -> Preferences:
        """From a stored row (anything with the same attributes), or the defaults for None."""
        if row is None:
            return cls()
        return cls(
            weekday=row.reminder_weekday,
            time_of_day=row.reminder_time,
            muted=parse_muted(row.muted),
            snoozed_until=row.snoozed_until,
            snoozed_period=row.snoozed_period,
            skipped_period=row.skipped_period,
        )

    def wants(self, kind: MessageKind) -> bool:
        return kind not in self.muted

    def skips(self, period: str) -> bool:
        return self.skipped_period == period

    def snooze_for(self, period: str) -> datetime | None:
        """When this week's reminder comes again (aware UTC), if it was put off; else None."""
        if self.snoozed_until is None or self.snoozed_period != period or self.skips(period):
            return None
        return self.snoozed_until.replace(tzinfo=UTC)


def reminder_slot(
    prefs: Preferences, team_weekday: int, team_time: str, tz: ZoneInfo, calendar: WorkCalendar
) -> WeeklySlot:
    """The person's weekly slot: their own day when it is in the team's work week (the team may
    have changed its week since), their own time, in their own zone; the team's otherwise."""
    weekday = prefs.weekday if prefs.weekday in calendar.work_days else team_weekday
    return WeeklySlot(weekday, prefs.time_of_day or team_time, tz.key)


# --- /okr remind ----------------------------------------------------------------------------------


class RemindAction(StrEnum):
    SHOW = "show"
    SET = "set"
    OFF = "off"
    ON = "on"
    RESET = "reset"


@dataclass(frozen=True)
class RemindRequest:
    action: RemindAction
    weekday: int | None = None
    time_of_day: str | None = None
    kind: MessageKind = MessageKind.CHECKIN


def parse_remind(text: str, work_days: Iterable[int]) -> RemindRequest:
    """`/okr remind [DAY HH:MM | off [KIND] | on [KIND] | reset]`; ValueError says what is wrong."""
    words = (text or "").split()
    lowered = [w.lower() for w in words]
    if lowered in ([], ["show"]):
        return RemindRequest(RemindAction.SHOW)
    if lowered == ["reset"]:
        return RemindRequest(RemindAction.RESET)
    if lowered[0] in ("off", "on") and len(words) <= 2:
        kind = parse_kind(words[1]) if len(words) == 2 else MessageKind.CHECKIN
        return RemindRequest(RemindAction(lowered[0]), kind=kind)
    if len(words) == 2:
        weekday = parse_weekday(words[0])
        time_of_day = format_time(parse_time(words[1]))
        if weekday not in set(work_days):
            days = ", ".join(WEEKDAYS[d - 1][:3] for d in sorted(work_days))
            raise ValueError(f"{WEEKDAYS[weekday - 1].capitalize()} is not in the team's work week ({days})")
        return RemindRequest(RemindAction.SET, weekday, time_of_day)
    raise ValueError("")


# --- snoozing -------------------------------------------------------------------------------------


def later_today(now: datetime, tz: ZoneInfo, calendar: WorkCalendar, time_of_day: str) -> datetime:
    """*Remind me later today*: LATER_BY from now, at most the end of the work day; when that
    leaves too little of the day (or today is a day off), the next work day's reminder time."""
    local = now.astimezone(tz).replace(second=0, microsecond=0)
    end = local_datetime(local.date(), WORKDAY_END, tz)
    moment = min(local + LATER_BY, end)
    if calendar.is_working_day(local.date()) and moment - local >= LATER_AT_LEAST:
        return moment.astimezone(UTC)
    return tomorrow(now, tz, calendar, time_of_day)


def tomorrow(now: datetime, tz: ZoneInfo, calendar: WorkCalendar, time_of_day: str) -> datetime:
    """*Tomorrow*: the next work day after today (their day), at their reminder time."""
    today = now.astimezone(tz).date()
    day = calendar.next_working_day(today + timedelta(days=1))
    return local_datetime(day, parse_time(time_of_day), tz).astimezone(UTC)


def follow_up(reminded_on: date, time_of_day: str, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """The one second nudge: FOLLOW_UP_AFTER_WORK_DAYS working days after the reminder's day, at
    the reminder's time (aware UTC)."""
    day = reminded_on
    for _ in range(FOLLOW_UP_AFTER_WORK_DAYS):
        day = calendar.next_working_day(day + timedelta(days=1))
    return local_datetime(day, parse_time(time_of_day), tz).astimezone(UTC)
