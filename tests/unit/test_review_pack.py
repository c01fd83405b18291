"""The review pack's pure arithmetic: periods, KPI trends (decreasing KPIs too), check-in weeks,
stable KRAs and the first week's steps. Every `now` is passed in."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.domain.first_week import FirstWeek, Step, in_first_week
from bot.domain.review_pack import Trend, attainment, check_in_weeks, parse_period, read_kpi
from bot.domain.stability import changed_at_last_two_reviews, standing

NOW = datetime(2026, 11, 30, 12, 0)


@pytest.mark.parametrize(
    ("text", "month", "label", "start", "end"),
    [
        ("", 1, "2026-Q4", datetime(2026, 10, 1), datetime(2027, 1, 1)),
        ("2026-Q4", 1, "2026-Q4", datetime(2026, 10, 1), datetime(2027, 1, 1)),
        ("q2 2026", 1, "2026-Q2", datetime(2026, 4, 1), datetime(2026, 7, 1)),
        ("FY2027-Q1", 10, "FY2027-Q1", datetime(2026, 10, 1), datetime(2027, 1, 1)),
        ("FY2026", 1, "FY2026", datetime(2026, 1, 1), datetime(2027, 1, 1)),
        # A fiscal year starting in April is named by the year it ends in, as cycles are.
        ("FY2026", 4, "FY2026", datetime(2025, 4, 1), datetime(2026, 4, 1)),
        ("fiscal year 2026", 4, "FY2026", datetime(2025, 4, 1), datetime(2026, 4, 1)),
        ("this fiscal year", 4, "FY2027", datetime(2026, 4, 1), datetime(2027, 4, 1)),
        ("last fiscal year", 4, "FY2026", datetime(2025, 4, 1), datetime(2026, 4, 1)),
        ("Last 12 months", 1, "the 12 months to 2026-11-30", datetime(2025, 12, 1), datetime(2026, 12, 1)),
        ("last quarter", 1, "2026-Q3", datetime(2026, 7, 1), datetime(2026, 10, 1)),
    ],
)
def test_periods(text, month, label, start, end):
    period = parse_period(text, fiscal_start_month=month, now=NOW)
    assert (period.label, period.start, period.end) == (label, start, end)


def test_twelve_months_from_a_leap_day():
    period = parse_period("last 12 months", fiscal_start_month=1, now=datetime(2028, 2, 28, 9))
    assert (period.start, period.end) == (datetime(2027, 2, 28), datetime(2028, 2, 29))


@pytest.mark.parametrize("text", ["yesterday", "2026-Q5", "FY1999", "<@U1> q4", "x" * 500])
def test_a_period_that_does_not_parse_says_what_works(text):
    with pytest.raises(ValueError, match="last 12 months") as caught:
        parse_period(text, fiscal_start_month=1, now=NOW)
    assert "<@U1>" not in str(caught.value)


def test_an_increasing_kpi_reads_from_its_baseline():
    reading = read_kpi(60, [64, 71], target=75, higher_is_better=True)
    assert (reading.start, reading.end, reading.measured) == (60, 71, 2)
    assert reading.trend == Trend.IMPROVING and reading.on_target is False
    assert reading.attainment == pytest.approx(71 / 75 * 100)


def test_a_decreasing_kpi_improves_as_it_falls():
    # First-response time: 24 h down to 8 h against a 6 h target.
    reading = read_kpi(24, [12, 8], target=6, higher_is_better=False)
    assert reading.trend == Trend.IMPROVING
    assert reading.on_target is False
    assert reading.attainment == pytest.approx(100 - (8 - 6) / 6 * 100)
    worse = read_kpi(None, [6, 9], target=6, higher_is_better=False)
    assert worse.trend == Trend.WORSENING and worse.start == 6 and worse.on_target is False
    met = read_kpi(None, [9, 5], target=6, higher_is_better=False)
    assert met.on_target is True and met.attainment > 100


def test_one_measurement_is_not_a_trend():
    reading = read_kpi(None, [42], target=50, higher_is_better=True)
    assert reading.trend == Trend.SINGLE and reading.start == reading.end == 42


def test_no_measurement_in_the_period_keeps_the_last_known_value():
    assert read_kpi(30, [], target=50, higher_is_better=True).trend == Trend.NO_DATA
    assert read_kpi(30, [], target=50, higher_is_better=True).end == 30
    nothing = read_kpi(None, [], target=50, higher_is_better=True)
    assert nothing.end is None and nothing.on_target is None and nothing.attainment is None


def test_steady_and_a_zero_target():
    assert read_kpi(5, [5.0], target=0, higher_is_better=False).trend == Trend.STEADY
    assert attainment(3, 0, True) is None


def test_check_in_weeks_count_kept_missed_and_leave_the_running_week_alone():
    start, end = datetime(2026, 10, 1), datetime(2026, 10, 28, 12)  # Thu 1 Oct .. Wed 28 Oct
    times = [datetime(2026, 10, 2), datetime(2026, 10, 14), datetime(2026, 10, 15), datetime(2026, 10, 27)]
    # Weeks of 28 Sep (kept), 5 Oct (missed), 12 Oct (kept), 19 Oct (missed), 26 Oct (kept, running).
    assert check_in_weeks(start, end, times) == (3, 2)
    assert check_in_weeks(start, datetime(2026, 10, 20), []) == (0, 3)
    assert check_in_weeks(end, start, times) == (0, 0)
    # Check-ins outside the window count for nothing.
    assert check_in_weeks(start, datetime(2026, 10, 5), [datetime(2026, 9, 30)]) == (0, 1)


def test_standing_reads_in_years_and_months():
    assert standing(datetime(2025, 3, 15), NOW) == "standing 1 year 8 months"
    assert standing(datetime(2024, 11, 30), NOW) == "standing 2 years"
    assert standing(datetime(2026, 11, 2), NOW) == "new this month"


def test_churn_is_two_reviews_in_a_row_that_changed_the_set():
    q2, q3, q4 = datetime(2026, 4, 2), datetime(2026, 7, 2), datetime(2026, 10, 2)
    assert changed_at_last_two_reviews([(q3, False), (q3, True), (q4, True)])
    assert not changed_at_last_two_reviews([(q2, True), (q3, False), (q4, True)])
    assert not changed_at_last_two_reviews([(q4, True)])
    assert not changed_at_last_two_reviews([])


def test_first_week_steps_tick_from_counts():
    empty = FirstWeek.of(kra_count=0, kras_without_kpis=(), objectives_in_kra=0, sprints_serving=0)
    assert not any(empty.done.values()) and not empty.complete
    some = FirstWeek.of(kra_count=3, kras_without_kpis=(2,), objectives_in_kra=1, sprints_serving=0)
    assert some.done == {Step.KRAS: True, Step.KPIS: False, Step.OBJECTIVE: True, Step.SPRINT: False}
    done = FirstWeek.of(kra_count=4, kras_without_kpis=(), objectives_in_kra=2, sprints_serving=1)
    assert done.complete


def test_the_first_week_is_the_week_after_the_first_kra():
    assert in_first_week(None, NOW)
    assert in_first_week(datetime(2026, 11, 24, 13), NOW)
    assert not in_first_week(datetime(2026, 11, 23, 12), NOW)
