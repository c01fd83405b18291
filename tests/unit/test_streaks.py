"""Weeks in a row with a check-in (bot/domain/streaks.py)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.schedule_time import WorkCalendar
from bot.domain.streaks import weeks_in_a_row

# Wednesday 2 December 2026; its week began Monday 30 November.
TODAY = date(2026, 12, 2)


def test_no_check_ins_is_no_run():
    assert weeks_in_a_row([], TODAY) == 0


def test_this_week_and_the_two_before():
    days = [date(2026, 12, 1), date(2026, 11, 26), date(2026, 11, 16), date(2026, 11, 17)]
    assert weeks_in_a_row(days, TODAY) == 3


def test_a_missed_week_ends_the_run():
    days = [date(2026, 11, 30), date(2026, 11, 16), date(2026, 11, 9)]  # nothing in the week of 23 Nov
    assert weeks_in_a_row(days, TODAY) == 1


def test_this_week_still_open_does_not_break_the_run():
    days = [date(2026, 11, 27), date(2026, 11, 20)]  # last week and the one before; not yet this week
    assert weeks_in_a_row(days, TODAY) == 2


def test_a_week_without_working_days_neither_counts_nor_breaks():
    # A team working Mondays only, in Germany: Monday 25 December 2028 (Christmas) and Monday
    # 1 January 2029 (New Year's Day) are holidays, so those two weeks have no working day.
    calendar = WorkCalendar.of("1", "DE")
    days = [date(2029, 1, 8), date(2028, 12, 18)]
    assert weeks_in_a_row(days, date(2029, 1, 9), calendar) == 2
    assert weeks_in_a_row(days, date(2029, 1, 9)) == 1  # Monday to Friday: those weeks count


def test_a_long_run_is_capped_at_a_year():
    days = [date(2026, 12, 1) - timedelta(weeks=n) for n in range(80)]
    assert weeks_in_a_row(days, TODAY) == 52
