from datetime import date, datetime, timedelta

import pytest

from bot.domain.cycles import Cycle, cycle_for, parse_cycle, week_start

# --- calendar quarters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name", "start", "end"),
    [
        (date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        (date(2026, 3, 31), "2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        (date(2026, 4, 1), "2026-Q2", date(2026, 4, 1), date(2026, 7, 1)),
        (date(2026, 6, 30), "2026-Q2", date(2026, 4, 1), date(2026, 7, 1)),
        (date(2026, 7, 1), "2026-Q3", date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 9, 30), "2026-Q3", date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 10, 1), "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        (date(2026, 12, 31), "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ],
)
def test_calendar_quarter_boundaries(day, name, start, end):
    cycle = cycle_for(day)
    assert (cycle.name, cycle.start, cycle.end) == (name, start, end)
    assert cycle.contains(day)


def test_end_is_exclusive():
    q4 = cycle_for(date(2026, 11, 15))
    assert q4.contains(date(2026, 10, 1))
    assert q4.contains(date(2026, 12, 31))
    assert not q4.contains(date(2027, 1, 1))
    assert not q4.contains(date(2026, 9, 30))


def test_contains_accepts_datetimes():
    q4 = cycle_for(date(2026, 11, 15))
    assert q4.contains(datetime(2026, 12, 31, 23, 59))
    assert not q4.contains(datetime(2027, 1, 1, 0, 0))


def test_cycle_for_accepts_a_datetime():
    assert cycle_for(datetime(2026, 12, 31, 23, 59)).name == "2026-Q4"


def test_start_at_and_end_at_are_naive_midnights():
    q4 = cycle_for(date(2026, 11, 15))
    assert q4.start_at == datetime(2026, 10, 1, 0, 0)
    assert q4.end_at == datetime(2027, 1, 1, 0, 0)
    assert q4.start_at.tzinfo is None and q4.end_at.tzinfo is None


def test_next_and_previous_cross_years():
    q4 = cycle_for(date(2026, 11, 15))
    assert q4.next().name == "2027-Q1"
    assert q4.next().previous() == q4
    q1 = cycle_for(date(2026, 2, 1))
    assert q1.previous().name == "2025-Q4"
    assert q1.previous().end == q1.start


def test_last_week_start():
    q4 = cycle_for(date(2026, 11, 15))
    assert q4.last_week_start == date(2026, 12, 25)
    assert q4.contains(q4.last_week_start)
    assert q4.end - q4.last_week_start == timedelta(days=7)


def test_str_is_the_name():
    assert str(cycle_for(date(2026, 11, 15))) == "2026-Q4"


def test_cycle_built_by_hand_compares_equal():
    assert Cycle("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)) == cycle_for(date(2026, 10, 1))


# --- fiscal quarters --------------------------------------------------------------------------


def test_april_fiscal_year():
    first = cycle_for(date(2026, 4, 1), fiscal_start_month=4)
    assert first.name == "FY2027-Q1"
    assert (first.start, first.end) == (date(2026, 4, 1), date(2026, 7, 1))
    last = cycle_for(date(2026, 3, 31), fiscal_start_month=4)
    assert last.name == "FY2026-Q4"
    assert (last.start, last.end) == (date(2026, 1, 1), date(2026, 4, 1))
    assert last.next() == first
    assert first.previous() == last


def test_october_fiscal_year_is_named_by_the_year_it_ends():
    cycle = cycle_for(date(2026, 10, 1), fiscal_start_month=10)
    assert cycle.name == "FY2027-Q1"
    assert cycle_for(date(2026, 12, 31), fiscal_start_month=10).name == "FY2027-Q1"
    assert cycle_for(date(2027, 1, 1), fiscal_start_month=10).name == "FY2027-Q2"
    assert cycle_for(date(2027, 9, 30), fiscal_start_month=10).name == "FY2027-Q4"


def test_fiscal_quarter_straddling_new_year():
    cycle = cycle_for(date(2027, 1, 15), fiscal_start_month=11)
    assert cycle.name == "FY2027-Q1"
    assert (cycle.start, cycle.end) == (date(2026, 11, 1), date(2027, 2, 1))


def test_fiscal_next_keeps_fiscal_naming():
    cycle = cycle_for(date(2027, 3, 1), fiscal_start_month=4)
    assert cycle.name == "FY2027-Q4"
    assert cycle.next().name == "FY2028-Q1"


def test_january_fiscal_year_keeps_calendar_names():
    assert cycle_for(date(2026, 10, 1), fiscal_start_month=1).name == "2026-Q4"


@pytest.mark.parametrize("month", [0, 13, -1])
def test_bad_fiscal_month(month):
    with pytest.raises(ValueError):
        cycle_for(date(2026, 1, 1), fiscal_start_month=month)
    with pytest.raises(ValueError):
        parse_cycle("2026-Q1", fiscal_start_month=month)


def test_every_day_of_a_year_is_in_exactly_one_quarter():
    for month in range(1, 13):
        day = date(2026, 1, 1)
        while day.year == 2026:
            cycle = cycle_for(day, month)
            assert cycle.contains(day)
            assert not cycle.previous().contains(day)
            assert not cycle.next().contains(day)
            assert cycle.start.day == 1 and cycle.end.day == 1
            day += timedelta(days=1)


# --- parse_cycle ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2026-Q4", "2026q4", "q4-2026", "Q4 2026", " 2026 Q4 ", "2026-q4", "2026/Q4", "Q4-2026"]
)
def test_parse_calendar_forms(text):
    cycle = parse_cycle(text)
    assert cycle == cycle_for(date(2026, 10, 1))
    assert cycle.name == "2026-Q4"


def test_parse_fy_form_with_january_means_the_calendar_year():
    assert parse_cycle("FY2026-Q4").name == "2026-Q4"


@pytest.mark.parametrize("text", ["FY2027-Q1", "fy2027q1", "2027-Q1", "Q1 FY2027", "q1-2027"])
def test_parse_fiscal_forms(text):
    cycle = parse_cycle(text, fiscal_start_month=4)
    assert cycle.name == "FY2027-Q1"
    assert (cycle.start, cycle.end) == (date(2026, 4, 1), date(2026, 7, 1))


def test_parse_fiscal_round_trips():
    for month in range(1, 13):
        cycle = cycle_for(date(2026, 8, 20), month)
        assert parse_cycle(cycle.name, month) == cycle


@pytest.mark.parametrize(
    "text", ["", "   ", "2026", "Q4", "2026-Q5", "2026-Q0", "26-Q4", "next quarter", "2026-Q4x"]
)
def test_parse_refuses_with_an_example(text):
    with pytest.raises(ValueError, match="Cycles look like 2026-Q4"):
        parse_cycle(text)


def test_parse_refusal_in_a_fiscal_workspace_shows_the_fiscal_example():
    with pytest.raises(ValueError, match="FY2027-Q1"):
        parse_cycle("soon", fiscal_start_month=4)


@pytest.mark.parametrize("text", ["1999-Q4", "2101-Q1", "Q1 3000"])
def test_parse_refuses_years_out_of_range(text):
    with pytest.raises(ValueError, match="2000 to 2100"):
        parse_cycle(text)


@pytest.mark.parametrize("text", ["2000-Q1", "2100-Q4"])
def test_parse_accepts_the_year_limits(text):
    assert parse_cycle(text).name == text


# --- week_start -------------------------------------------------------------------------------


def test_week_start_is_monday():
    assert week_start(date(2026, 11, 16)) == date(2026, 11, 16)  # a Monday
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)  # Sunday
    assert week_start(date(2026, 11, 18)) == date(2026, 11, 16)
    assert week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # across a year


def test_week_start_of_a_datetime_is_a_date():
    result = week_start(datetime(2026, 11, 18, 15, 30))
    assert result == date(2026, 11, 16)
    assert type(result) is date
