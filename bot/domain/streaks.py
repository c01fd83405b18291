"""How many weeks in a row someone has checked in: told kindly in their own confirmation.

A week is Monday to Sunday in the person's time zone. A week with no working day on the team's
calendar (a holiday week, a shutdown) neither counts nor breaks the run; any other week without a
check-in ends it. The current week counts once it has a check-in; until then the run is the one
that ended last week, so checking in on Tuesday never reads as a broken streak on Monday.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from bot.domain.schedule_time import WorkCalendar

# How far back a run is counted: a longer one is told as "52 weeks or more".
MAX_WEEKS = 52


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _has_working_day(calendar: WorkCalendar, monday: date) -> bool:
    return any(calendar.is_working_day(monday + timedelta(days=i)) for i in range(7))


def weeks_in_a_row(days: Iterable[date], today: date, calendar: WorkCalendar | None = None) -> int:
    """`days`: the local days the person checked in on. The run of weeks up to `today`'s."""
    weeks = {monday_of(d) for d in days}
    calendar = calendar or WorkCalendar()
    monday = monday_of(today)
    if monday not in weeks:
        monday -= timedelta(weeks=1)  # this week is still open
    run = 0
    for _ in range(MAX_WEEKS + 1):
        if monday in weeks:
            run += 1
        elif _has_working_day(calendar, monday):
            break
        monday -= timedelta(weeks=1)
    return min(run, MAX_WEEKS)
