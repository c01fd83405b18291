"""When a weekly post is due: time zones on both sides of the date line, daylight-saving
changes, work weeks that are not Monday to Friday, and holidays (bot/domain/schedule_time.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule_time import (
    Decision,
    WeeklySlot,
    WorkCalendar,
    decide,
    latest_occurrence,
    local_datetime,
    next_occurrence,
    parse_time,
    parse_weekday,
    parse_work_days,
    period_of,
    zone,
)

EVERY_DAY = WorkCalendar.of("1,2,3,4,5,6,7")
MON_FRI = WorkCalendar.of("1,2,3,4,5")
SUN_THU = WorkCalendar.of("7,1,2,3,4")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- the same Monday on both sides of the date line --------------------------------------------


@pytest.mark.parametrize("tz", ["Pacific/Auckland", "Pacific/Tongatapu"])
def test_utc_plus_13_monday_ten_is_sunday_evening_in_utc(tz):
    slot = WeeklySlot(1, "10:00", tz)
    occurrence = latest_occurrence(slot, MON_FRI, at("2026-11-29T21:00:00+00:00"))
    assert occurrence.due == at("2026-11-29T21:00:00+00:00")
    assert occurrence.local.utcoffset() == timedelta(hours=13)
    assert occurrence.local.date() == date(2026, 11, 30)
    assert occurrence.period == "2026-W49"
    assert occurrence.decide(at("2026-11-29T21:00:00+00:00")) == Decision.SEND
    # One minute earlier, the latest occurrence is last week's, long past: never resent.
    earlier = latest_occurrence(slot, MON_FRI, at("2026-11-29T20:59:00+00:00"))
    assert earlier.period == "2026-W48"
    assert earlier.decide(at("2026-11-29T20:59:00+00:00")) == Decision.PAST


def test_utc_minus_10_same_monday_is_a_day_later_in_utc():
    slot = WeeklySlot(1, "10:00", "Pacific/Honolulu")
    # While Auckland's Monday reminder goes out, Honolulu is still on Sunday.
    early = latest_occurrence(slot, MON_FRI, at("2026-11-29T21:05:00+00:00"))
    assert early.period == "2026-W48"
    assert early.decide(at("2026-11-29T21:05:00+00:00")) == Decision.PAST
    occurrence = latest_occurrence(slot, MON_FRI, at("2026-11-30T20:05:00+00:00"))
    assert occurrence.due == at("2026-11-30T20:00:00+00:00")
    assert occurrence.local.utcoffset() == timedelta(hours=-10)
    assert occurrence.period == "2026-W49"  # the same week key as Auckland's
    assert occurrence.decide(at("2026-11-30T20:05:00+00:00")) == Decision.SEND


def test_both_ends_of_the_world_have_the_same_monday_week_start():
    auckland = latest_occurrence(
        WeeklySlot(1, "10:00", "Pacific/Auckland"), MON_FRI, at("2026-11-30T21:00:00+00:00")
    )
    honolulu = latest_occurrence(
        WeeklySlot(1, "10:00", "Pacific/Honolulu"), MON_FRI, at("2026-11-30T21:00:00+00:00")
    )
    assert auckland.week_start == honolulu.week_start == date(2026, 11, 30)


# --- daylight-saving Sundays -------------------------------------------------------------------------


def test_berlin_fall_back_sunday_ambiguous_time_takes_the_first():
    slot = WeeklySlot(7, "02:30", "Europe/Berlin")  # 02:30 happens twice on 2026-10-25
    occurrence = latest_occurrence(slot, EVERY_DAY, at("2026-10-25T03:00:00+00:00"))
    assert occurrence.due == at("2026-10-25T00:30:00+00:00")  # 02:30 CEST, the first one
    assert occurrence.local.utcoffset() == timedelta(hours=2)
    assert occurrence.period == "2026-W43"


def test_berlin_fall_back_sunday_later_time_is_in_winter_time():
    slot = WeeklySlot(7, "10:00", "Europe/Berlin")
    occurrence = latest_occurrence(slot, EVERY_DAY, at("2026-10-25T09:00:00+00:00"))
    assert occurrence.due == at("2026-10-25T09:00:00+00:00")  # 10:00 CET
    assert occurrence.decide(at("2026-10-25T09:00:00+00:00")) == Decision.SEND
    # A week earlier the same wall time was an hour earlier in UTC.
    before = latest_occurrence(slot, EVERY_DAY, at("2026-10-18T09:00:00+00:00"))
    assert before.due == at("2026-10-18T08:00:00+00:00")


def test_new_york_fall_back_sunday_ambiguous_time_takes_the_first():
    slot = WeeklySlot(7, "01:30", "America/New_York")
    occurrence = latest_occurrence(slot, EVERY_DAY, at("2026-11-01T07:00:00+00:00"))
    assert occurrence.due == at("2026-11-01T05:30:00+00:00")  # 01:30 EDT
    assert occurrence.period == "2026-W44"


def test_new_york_spring_forward_gap_moves_forward():
    slot = WeeklySlot(7, "02:30", "America/New_York")  # does not exist on 2026-03-08
    occurrence = latest_occurrence(slot, EVERY_DAY, at("2026-03-08T12:00:00+00:00"))
    assert occurrence.due == at("2026-03-08T07:30:00+00:00")
    assert (occurrence.local.hour, occurrence.local.minute) == (3, 30)
    assert occurrence.local.utcoffset() == timedelta(hours=-4)


def test_new_york_spring_forward_sunday_ten_is_in_summer_time():
    slot = WeeklySlot(7, "10:00", "America/New_York")
    occurrence = latest_occurrence(slot, EVERY_DAY, at("2026-03-08T14:30:00+00:00"))
    assert occurrence.due == at("2026-03-08T14:00:00+00:00")
    assert occurrence.decide(at("2026-03-08T14:30:00+00:00")) == Decision.SEND
    # At 13:30 UTC (09:30 EDT) this Sunday's has not come yet: last week's is the latest.
    assert latest_occurrence(slot, EVERY_DAY, at("2026-03-08T13:30:00+00:00")).period == "2026-W09"


def test_local_datetime_round_trips_every_quarter_hour_of_a_dst_day():
    tz = ZoneInfo("America/New_York")
    for minutes in range(0, 24 * 60, 15):
        wall = (datetime(2026, 3, 8) + timedelta(minutes=minutes)).time()
        moment = local_datetime(date(2026, 3, 8), wall, tz)
        assert moment.utcoffset() is not None
        assert moment.astimezone(UTC).astimezone(tz) == moment


# --- work weeks and holidays ---------------------------------------------------------------------


def test_sunday_to_thursday_week_keeps_a_sunday_slot_and_moves_a_friday_one():
    sunday = latest_occurrence(
        WeeklySlot(7, "09:00", "Asia/Jerusalem"), SUN_THU, at("2026-11-29T08:00:00+00:00")
    )
    assert sunday.local.date() == date(2026, 11, 29)
    friday = latest_occurrence(
        WeeklySlot(5, "16:00", "Asia/Jerusalem"), SUN_THU, at("2026-11-29T15:00:00+00:00")
    )
    # Friday 27 November is a day off there: the post moves to Sunday 29 November, same wall time,
    # and keeps the key of the week it belongs to.
    assert friday.local.date() == date(2026, 11, 29)
    assert (friday.local.hour, friday.local.minute) == (16, 0)
    assert friday.period == "2026-W48"
    assert friday.due == at("2026-11-29T14:00:00+00:00")
    assert friday.decide(at("2026-11-29T15:00:00+00:00")) == Decision.SEND


def test_sunday_to_thursday_week_monday_slot_on_a_monday():
    monday = latest_occurrence(WeeklySlot(1, "10:00", "Asia/Dubai"), SUN_THU, at("2026-11-30T06:30:00+00:00"))
    assert monday.due == at("2026-11-30T06:00:00+00:00")


def test_weekend_slot_moves_to_monday():
    saturday = latest_occurrence(
        WeeklySlot(6, "10:00", "Europe/London"), MON_FRI, at("2026-11-30T10:30:00+00:00")
    )
    assert saturday.local.date() == date(2026, 11, 30)
    assert saturday.period == "2026-W48"


def test_holiday_monday_moves_to_tuesday():
    calendar = WorkCalendar.of("1,2,3,4,5", "US")  # Monday 7 September 2026 is Labor Day
    slot = WeeklySlot(1, "10:00", "America/New_York")
    on_the_holiday = latest_occurrence(slot, calendar, at("2026-09-07T15:00:00+00:00"))
    assert on_the_holiday.period == "2026-W36"  # last week's, long past: nothing to send today
    assert on_the_holiday.decide(at("2026-09-07T15:00:00+00:00")) == Decision.PAST
    tuesday = latest_occurrence(slot, calendar, at("2026-09-08T14:30:00+00:00"))
    assert tuesday.due == at("2026-09-08T14:00:00+00:00")
    assert tuesday.period == "2026-W37"
    assert tuesday.week_start == date(2026, 9, 7)  # check-ins since the holiday Monday count
    assert tuesday.decide(at("2026-09-08T14:30:00+00:00")) == Decision.SEND


def test_holiday_country_is_case_insensitive_and_unknown_countries_have_no_holidays():
    assert not WorkCalendar.of("1,2,3,4,5", "us").is_working_day(date(2026, 9, 7))
    assert WorkCalendar.of("1,2,3,4,5", "XX").is_working_day(date(2026, 9, 7))


def test_christmas_to_new_year_moves_past_several_holidays():
    calendar = WorkCalendar.of("1,2,3,4,5", "GB")
    # Friday 25 December 2026 and Monday 28 December (Boxing Day substitute) are holidays.
    friday = latest_occurrence(
        WeeklySlot(5, "16:00", "Europe/London"), calendar, at("2026-12-29T16:30:00+00:00")
    )
    assert friday.local.date() == date(2026, 12, 29)
    assert friday.period == "2026-W52"


# --- the 6-hour rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late_by", "expected"),
    [
        (timedelta(0), Decision.SEND),
        (timedelta(hours=5), Decision.SEND),
        (timedelta(hours=5, minutes=59, seconds=59), Decision.SEND),
        (timedelta(hours=6), Decision.LATE),
        (timedelta(hours=7), Decision.LATE),
        (timedelta(hours=23, minutes=59), Decision.LATE),
        (timedelta(hours=24), Decision.PAST),
        (timedelta(days=6), Decision.PAST),
        (timedelta(minutes=-1), Decision.NOT_YET),
    ],
)
def test_send_within_six_hours_skip_after(late_by, expected):
    due = at("2026-11-30T10:00:00+00:00")
    assert decide(due, due + late_by) == expected


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        latest_occurrence(WeeklySlot(1, "10:00", "UTC"), MON_FRI, datetime(2026, 11, 30, 10))


def test_next_occurrence_is_after_now():
    slot = WeeklySlot(5, "16:00", "Europe/London")
    now = at("2026-11-30T10:00:00+00:00")
    upcoming = next_occurrence(slot, MON_FRI, now)
    assert upcoming.due == at("2026-12-04T16:00:00+00:00")
    assert next_occurrence(slot, MON_FRI, upcoming.due).due == at("2026-12-11T16:00:00+00:00")


# --- parsing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon", 1),
        ("Monday", 1),
        ("TUE", 2),
        ("wednesday", 3),
        ("thu", 4),
        ("Thurs", 4),
        ("fri", 5),
        ("sat", 6),
        ("SUNDAY", 7),
    ],
)
def test_day_names(text, expected):
    assert parse_weekday(text) == expected


@pytest.mark.parametrize("text", ["funday", "", "m", "1", "mondays", "𝓂𝑜𝓃"])
def test_bad_day_names(text):
    with pytest.raises(ValueError):
        parse_weekday(text)


@pytest.mark.parametrize("text", ["25:00", "24:00", "9", "9:5", "10:60", "ten", "", "10:00pm", "１０:００"])
def test_bad_times(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_times():
    assert parse_time("9:05").strftime("%H:%M") == "09:05"
    assert parse_time(" 23:59 ").strftime("%H:%M") == "23:59"


def test_work_days_never_empty():
    assert parse_work_days("") == frozenset({1, 2, 3, 4, 5})
    assert parse_work_days("7,1,2,3,4") == frozenset({7, 1, 2, 3, 4})
    assert parse_work_days("0,8,x") == frozenset({1, 2, 3, 4, 5})


def test_unknown_time_zone_falls_back():
    assert zone("Mars/Olympus_Mons", "Europe/Paris").key == "Europe/Paris"
    assert zone("", "").key == "UTC"


def test_period_follows_iso_weeks_across_the_year_end():
    assert period_of(date(2026, 12, 31)) == "2026-W53"
    assert period_of(date(2027, 1, 1)) == "2026-W53"
    assert period_of(date(2027, 1, 4)) == "2027-W01"


def test_local_date_is_the_persons_own_day():
    from datetime import date, datetime

    from bot.domain.schedule_time import local_date

    late = datetime(2026, 11, 30, 23, 30)  # naive: UTC, as storage keeps it
    assert local_date(late, "Asia/Tokyo") == date(2026, 12, 1)
    assert local_date(late, "America/Los_Angeles") == date(2026, 11, 30)
    assert local_date(late, ZoneInfo("Asia/Tokyo")) == date(2026, 12, 1)
    assert local_date(late, "Not/AZone") == date(2026, 11, 30)  # a name Python does not know: UTC
    assert local_date(late, None) == date(2026, 11, 30)
