"""A person's own reminders, the pure rules: parsing `/okr remind`, the slot, snoozes, the second nudge."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.domain.preferences import (
    MessageKind,
    Preferences,
    RemindAction,
    follow_up,
    later_today,
    parse_muted,
    parse_remind,
    reminder_slot,
    tomorrow,
)
from bot.domain.schedule_time import WorkCalendar
from bot.errors import Invalid
from bot.forms.preferences import parse_my_reminders

WEEK = frozenset({1, 2, 3, 4, 5})
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = WorkCalendar()


@pytest.mark.parametrize(
    ("text", "action", "weekday", "time_of_day", "kind"),
    [
        ("", RemindAction.SHOW, None, None, MessageKind.CHECKIN),
        ("show", RemindAction.SHOW, None, None, MessageKind.CHECKIN),
        ("tue 9:30", RemindAction.SET, 2, "09:30", MessageKind.CHECKIN),
        ("Thursday 16:00", RemindAction.SET, 4, "16:00", MessageKind.CHECKIN),
        ("off", RemindAction.OFF, None, None, MessageKind.CHECKIN),
        ("on", RemindAction.ON, None, None, MessageKind.CHECKIN),
        ("off nudges", RemindAction.OFF, None, None, MessageKind.NUDGES),
        ("ON review", RemindAction.ON, None, None, MessageKind.REVIEWS),
        ("reset", RemindAction.RESET, None, None, MessageKind.CHECKIN),
    ],
)
def test_parse_remind(text, action, weekday, time_of_day, kind):
    request = parse_remind(text, WEEK)
    assert (request.action, request.weekday, request.time_of_day, request.kind) == (
        action,
        weekday,
        time_of_day,
        kind,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sat 10:00", "Saturday is not in the team's work week (mon, tue, wed, thu, fri)"),
        ("mon 24:00", "is not a time"),
        ("someday 10:00", "is not a day"),
        ("off everything", "is not a kind of message"),
        ("mon", ""),
        ("mon 10:00 extra", ""),
        ("off nudges please", ""),
    ],
)
def test_parse_remind_refuses(text, says):
    # No message at all means "show the usage alone" (listeners/remind.py): assert exactly that.
    with pytest.raises(ValueError, match=re.escape(says) if says else "^$"):
        parse_remind(text, WEEK)


def test_a_saturday_team_may_pick_saturday():
    assert parse_remind("sat 10:00", {6, 7}).weekday == 6


def test_stored_switches_ignore_what_they_do_not_know():
    assert parse_muted("nudges,,bogus,checkin") == {MessageKind.NUDGES, MessageKind.CHECKIN}


def test_the_slot_is_the_persons_own_inside_the_work_week_else_the_teams():
    mine = Preferences(weekday=3, time_of_day="08:15")
    assert reminder_slot(mine, 1, "10:00", LONDON, CALENDAR).weekday == 3
    assert reminder_slot(mine, 1, "10:00", LONDON, CALENDAR).time_of_day == "08:15"
    # The team dropped Wednesday from its week since: the team's day, still the person's time.
    four_days = WorkCalendar(frozenset({1, 2, 4, 5}))
    assert (reminder_slot(mine, 1, "10:00", LONDON, four_days).weekday) == 1
    assert reminder_slot(Preferences(), 2, "11:00", NEW_YORK, CALENDAR).time_of_day == "11:00"


def test_later_today_is_three_hours_on():
    now = datetime(2026, 11, 30, 10, 5, 30, tzinfo=UTC)  # Monday 10:05 London
    assert later_today(now, LONDON, CALENDAR, "10:00") == datetime(2026, 11, 30, 13, 5, tzinfo=UTC)


def test_later_today_stops_at_the_end_of_the_day_or_becomes_tomorrow():
    assert later_today(datetime(2026, 11, 30, 16, 0, tzinfo=UTC), LONDON, CALENDAR, "10:00") == datetime(
        2026, 11, 30, 18, 0, tzinfo=UTC
    )
    # 17:45: a quarter of an hour left is too little; Tuesday at the reminder's time.
    assert later_today(datetime(2026, 11, 30, 17, 45, tzinfo=UTC), LONDON, CALENDAR, "10:00") == datetime(
        2026, 12, 1, 10, 0, tzinfo=UTC
    )


def test_tomorrow_skips_days_off_and_holidays():
    friday = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert tomorrow(friday, LONDON, CALENDAR, "09:00") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    christmas_eve = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)  # Thursday; 25th and 28th are holidays
    english = WorkCalendar.of("1,2,3,4,5", "GB", "ENG")
    assert tomorrow(christmas_eve, LONDON, english, "09:00") == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)


def test_tomorrow_keeps_the_wall_time_across_a_dst_change():
    saturday = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # New York falls back on Sunday 1 November
    assert tomorrow(saturday, NEW_YORK, CALENDAR, "09:30") == datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def test_the_second_nudge_is_two_work_days_on():
    assert follow_up(date(2026, 11, 30), "10:00", LONDON, CALENDAR) == datetime(
        2026, 12, 2, 10, 0, tzinfo=UTC
    )
    # From Thursday: Friday, then Monday; never the weekend.
    assert follow_up(date(2026, 12, 3), "10:00", LONDON, CALENDAR) == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_a_snooze_belongs_to_its_week_and_a_skip_cancels_it():
    until = datetime(2026, 12, 1, 10, 0)
    prefs = Preferences(snoozed_until=until, snoozed_period="2026-W49")
    assert prefs.snooze_for("2026-W49") == until.replace(tzinfo=UTC)
    assert prefs.snooze_for("2026-W50") is None
    skipped = Preferences(snoozed_until=until, snoozed_period="2026-W49", skipped_period="2026-W49")
    assert skipped.snooze_for("2026-W49") is None


def test_preferences_of_a_stored_row():
    row = SimpleNamespace(
        reminder_weekday=2,
        reminder_time="09:30",
        muted="reviews",
        snoozed_until=None,
        snoozed_period=None,
        skipped_period="2026-W49",
    )
    prefs = Preferences.of(row)
    assert not prefs.wants(MessageKind.REVIEWS) and prefs.wants(MessageKind.CHECKIN)
    assert prefs.skips("2026-W49") and not prefs.skips("2026-W50")
    assert Preferences.of(None) == Preferences()


def _state(day, time_of_day, kinds) -> dict:
    return {
        "state": {
            "values": {
                "my_day": {"input": {"type": "static_select", "selected_option": {"value": day}}},
                "my_time": {"input": {"type": "plain_text_input", "value": time_of_day}},
                "my_kinds": {
                    "input": {"type": "checkboxes", "selected_options": [{"value": k} for k in kinds]}
                },
            }
        }
    }


def test_the_home_form_reads_day_time_and_kinds():
    assert parse_my_reminders(
        _state("team", None, ["checkin", "nudges", "sprints", "reviews", "sources"]), WEEK
    ) == (
        None,
        None,
        frozenset(),
    )
    assert parse_my_reminders(_state("2", " 7:05 ", ["checkin"]), WEEK) == (
        2,
        "07:05",
        frozenset(MessageKind) - {MessageKind.CHECKIN},
    )


def test_the_home_form_puts_each_problem_under_its_field():
    with pytest.raises(Invalid) as raised:
        parse_my_reminders(_state("6", "7 pm", []), WEEK)
    assert set(raised.value.fields) == {"my_day", "my_time"}
    assert "team's work week" in raised.value.fields["my_day"]
