"""When a weekly scheduled post is due. Pure: no database, no network, no clock.

A *slot* is "every ISO weekday W at HH:MM in time zone Z". Its occurrence in a given week is that
local wall time on that day, made concrete with zoneinfo:

- a wall time that does not exist (the spring-forward gap) moves forward by the size of the gap
  (02:30 on the night New York springs forward is 03:30 EDT);
- a wall time that happens twice (the fall-back hour) takes the first of the two (fold=0).

If the day is not a working day of the workspace (its work week, its holiday country) the
occurrence moves to the next working day, same wall time. The *period* of an occurrence is the ISO
week of the slot's own (unmoved) local date, "2026-W48", so an occurrence moved to Tuesday keeps
the key it had on Monday, and at-most-once holds across the move.

A job running at `now` looks at the most recent occurrence at or before `now`:
sent if 0 <= now - due < 6 h (``LATE_AFTER``), skipped and logged once if later (up to a day
late, ``PAST_AFTER``; after that the occurrence is simply in the past and nothing is logged).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.slack_text import user_text

LATE_AFTER = timedelta(hours=6)
# A late occurrence is logged (and its key taken, so only once) up to this long after it was due;
# older ones are simply past: last week's slot, long before someone first owned a key result, is
# not something the scheduler missed.
PAST_AFTER = timedelta(hours=24)
# The default slots, one home for each: the weekly check-in reminder's when the workspace has not
# set one (`/okr schedule`), a channel's digest when neither the channel nor `/okr settings` has,
# and the sprint-planning prompt's time of day.
CHECKIN_WEEKDAY = 1
CHECKIN_TIME = "10:00"
CHECKIN_DEFAULT = (CHECKIN_WEEKDAY, CHECKIN_TIME)
DIGEST_WEEKDAY = 5
DIGEST_TIME = "16:00"
DIGEST_DEFAULT = (DIGEST_WEEKDAY, DIGEST_TIME)
SPRINT_PROMPT_TIME = "10:00"
# How far a day off can push an occurrence (a long holiday stretch plus a weekend).
_MAX_SHIFT_DAYS = 31
# Weeks to look back for the latest occurrence at or before now (a moved one may lie ahead).
_LOOKBACK_WEEKS = 6

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(WEEKDAYS, start=1)},
    **{name[:3]: i for i, name in enumerate(WEEKDAYS, start=1)},
    "tues": 2,
    "weds": 3,
    "thur": 4,
    "thurs": 4,
}
_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", re.ASCII)


class Decision(StrEnum):
    SEND = "send"
    LATE = "late"  # 6 to 24 hours after it was due: skipped and logged once
    PAST = "past"  # a day or more after it was due: nothing to do, nothing to log
    NOT_YET = "not_yet"  # only for a due time in the future (never from latest_occurrence)


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # ISO: Monday=1 … Sunday=7
    time_of_day: str  # "HH:MM"
    timezone: str  # IANA name

    def __post_init__(self) -> None:
        if not 1 <= int(self.weekday) <= 7:
            raise ValueError("weekday must be an ISO weekday, 1 (Monday) to 7 (Sunday)")
        parse_time(self.time_of_day)


@dataclass(frozen=True)
class WorkCalendar:
    """A workspace's working days: ISO weekdays, minus its holiday country's public holidays."""

    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holiday_country: str | None = None
    holiday_subdivision: str | None = None  # a region with its own holidays ("ENG", "CA", "BY")

    @classmethod
    def of(
        cls,
        work_days: str | Iterable[int] | None,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> WorkCalendar:
        country = (holiday_country or "").strip().upper() or None
        region = ((holiday_subdivision or "").strip().upper() or None) if country else None
        return cls(parse_work_days(work_days), country, region)

    @classmethod
    def of_workspace(cls, workspace) -> WorkCalendar:
        """The calendar a workspace row (or anything with its three attributes) sets."""
        return cls.of(
            workspace.work_days,
            workspace.holiday_country,
            getattr(workspace, "holiday_subdivision", None),
        )

    def is_working_day(self, d: date) -> bool:
        if d.isoweekday() not in self.work_days:
            return False
        if not self.holiday_country:
            return True
        return d not in _holidays(self.holiday_country, self.holiday_subdivision, d.year)

    def last_working_day(self, start: date, end: date) -> date:
        """The last working day from `start` to `end` (both included); `end` when none is."""
        d = end
        while d >= start:
            if self.is_working_day(d):
                return d
            d -= timedelta(days=1)
        return end

    def next_working_day(self, d: date) -> date:
        """`d` itself when it is a working day, else the first working day after it."""
        for shift in range(_MAX_SHIFT_DAYS + 1):
            candidate = d + timedelta(days=shift)
            if self.is_working_day(candidate):
                return candidate
        return d  # no working day within a month: the calendar is odd, keep the slot's own day


@dataclass(frozen=True)
class Occurrence:
    due: datetime  # aware, UTC
    local: datetime  # aware, in the slot's time zone (after any move to a working day)
    slot_date: date  # the slot's own local date, before any move
    period: str  # "2026-W48"

    def decide(self, now: datetime) -> Decision:
        return decide(self.due, now)

    @property
    def week_start(self) -> date:
        """Monday of the slot's week (local): check-ins since its 00:00 count for this reminder."""
        return self.slot_date - timedelta(days=self.slot_date.weekday())


# --- parsing --------------------------------------------------------------------------------


def parse_weekday(text: str) -> int:
    """ "mon", "Monday", "THU", "thurs" -> ISO weekday; ValueError for anything else."""
    key = (text or "").strip().lower().rstrip(".")
    if key in _DAY_ALIASES:
        return _DAY_ALIASES[key]
    raise ValueError(f"“{user_text((text or '').strip(), 20)}” is not a day; use mon … sun or the full name")


def parse_time(text: str) -> time:
    """ "9:05", "09:05", "23:59" -> time; ValueError for "25:00", "9", "9:5"."""
    match = _HHMM.fullmatch((text or "").strip())
    if not match:
        raise ValueError(
            f"“{user_text((text or '').strip(), 20)}” is not a time; use HH:MM between 00:00 and 23:59"
        )
    return time(int(match[1]), int(match[2]))


def format_time(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def parse_work_days(value: str | Iterable[int] | None) -> frozenset[int]:
    """ "1,2,3,4,5" -> {1..5}. Empty or unreadable -> Monday to Friday, never an empty week."""
    if value is None:
        return frozenset({1, 2, 3, 4, 5})
    items = value.replace(" ", "").split(",") if isinstance(value, str) else list(value)
    days: set[int] = set()
    for item in items:
        try:
            n = int(item)
        except (TypeError, ValueError):
            continue
        if 1 <= n <= 7:
            days.add(n)
    return frozenset(days) or frozenset({1, 2, 3, 4, 5})


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The IANA zone `name`, or `fallback` when it is empty or unknown (Slack can send odd ones)."""
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int):
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        return {}  # a country the package does not know: no holidays rather than no reminders
    if subdivision not in supported[country]:
        subdivision = None  # a region it does not know: the country's own holidays
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def holiday_countries() -> dict[str, list[str]]:
    """Every country code the `holidays` package supports, with its subdivisions."""
    import holidays

    return dict(holidays.list_supported_countries())


# --- the arithmetic -------------------------------------------------------------------------


def local_date(now: datetime, tz: ZoneInfo | str | None) -> date:
    """A person's own date at `now`: the one rule for "today" wherever someone's day matters.

    A naive `now` is UTC (as storage keeps it). `tz` is a zone or Slack's IANA name for one (UTC when
    unknown); whose zone it is, theirs or the workspace's, is bot/services/members.py `reader_zone`.
    """
    aware = now if now.tzinfo else now.replace(tzinfo=UTC)
    return aware.astimezone(tz if isinstance(tz, ZoneInfo) else zone(tz)).date()


def local_datetime(d: date, t: time, tz: ZoneInfo) -> datetime:
    """Wall time `t` on day `d` in `tz`, as an aware datetime that really exists.

    Gap (spring forward): moved forward by the gap. Fold (fall back): the first occurrence.
    """
    naive = datetime.combine(d, t)
    candidate = naive.replace(tzinfo=tz, fold=0)
    # Round-trip through UTC: a wall time inside a gap comes back as a different wall time.
    # fold=0 in a gap uses the offset from before the transition, which lands after the gap.
    return candidate.astimezone(UTC).astimezone(tz)


def period_of(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def as_utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def occurrence_in_week(slot: WeeklySlot, calendar: WorkCalendar, week_monday: date) -> Occurrence:
    tz = zone(slot.timezone)
    slot_date = week_monday + timedelta(days=int(slot.weekday) - 1)
    day = calendar.next_working_day(slot_date)
    local = local_datetime(day, parse_time(slot.time_of_day), tz)
    return Occurrence(
        due=local.astimezone(UTC), local=local, slot_date=slot_date, period=period_of(slot_date)
    )


def latest_occurrence(slot: WeeklySlot, calendar: WorkCalendar, now: datetime) -> Occurrence:
    """The most recent occurrence due at or before `now` (after moving off days off)."""
    now = as_utc(now)
    today = now.astimezone(zone(slot.timezone)).date()
    this_monday = today - timedelta(days=today.weekday())
    best: Occurrence | None = None
    for weeks_back in range(_LOOKBACK_WEEKS):
        occurrence = occurrence_in_week(slot, calendar, this_monday - timedelta(weeks=weeks_back))
        if occurrence.due <= now and (best is None or occurrence.due > best.due):
            best = occurrence
        if best is not None and weeks_back >= 1:
            # Older weeks were moved at most _MAX_SHIFT_DAYS; once one is found a week back,
            # only a longer shift could beat it, and that is checked by the loop bound.
            break
    if best is None:  # only with pathological calendars; fall back to the unmoved slot
        last_week = this_monday - timedelta(weeks=1)
        slot_date = last_week + timedelta(days=int(slot.weekday) - 1)
        local = local_datetime(slot_date, parse_time(slot.time_of_day), zone(slot.timezone))
        best = Occurrence(local.astimezone(UTC), local, slot_date, period_of(slot_date))
    return best


def next_occurrence(slot: WeeklySlot, calendar: WorkCalendar, now: datetime) -> Occurrence:
    """The first occurrence due after `now` (for showing people when the next post goes out)."""
    now = as_utc(now)
    today = now.astimezone(zone(slot.timezone)).date()
    this_monday = today - timedelta(days=today.weekday())
    for weeks_ahead in range(-1, _LOOKBACK_WEEKS):
        occurrence = occurrence_in_week(slot, calendar, this_monday + timedelta(weeks=weeks_ahead))
        if occurrence.due > now:
            return occurrence
    return occurrence_in_week(slot, calendar, this_monday + timedelta(weeks=1))


def decide(due: datetime, now: datetime) -> Decision:
    """Send if 0 <= now - due < 6 h; late (skip and log) if later, past after a day; not yet if
    due is ahead."""
    delta = as_utc(now) - as_utc(due)
    if delta < timedelta(0):
        return Decision.NOT_YET
    if delta < LATE_AFTER:
        return Decision.SEND
    if delta < PAST_AFTER:
        return Decision.LATE
    return Decision.PAST


def local_midnight_utc(d: date, tz: ZoneInfo) -> datetime:
    """00:00 of `d` in `tz` (or the first moment of the day when midnight is skipped), in UTC."""
    return local_datetime(d, time(0, 0), tz).astimezone(UTC)


def workspace_digest_slot(weekday: int | None, time_of_day: str | None) -> tuple[int, str]:
    """The workspace's default digest day and time (`/okr settings`): each falls back to Friday
    16:00 on its own when the workspace has not set it."""
    return (weekday or DIGEST_WEEKDAY, time_of_day or DIGEST_TIME)
