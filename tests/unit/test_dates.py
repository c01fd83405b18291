"""One date style (bot/ui/dates.py): Slack's date token where mrkdwn is read, its fallback where
text is shown as it is."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.days import plain_day
from bot.ui.dates import people_date, people_range, people_time, plain_dates
from bot.ui.posts import fallback
from bot.ui.reminders import checkin_reminder


def test_a_day_is_slacks_token_with_a_plain_fallback():
    assert people_date(date(2026, 12, 4)) == "<!date^1796385600^{date_short_pretty}|Fri 4 Dec 2026>"


def test_plain_places_get_the_fallback_alone():
    assert people_date(date(2026, 12, 4), mrkdwn=False) == "Fri 4 Dec 2026"


def test_a_stored_moment_is_the_day_the_reader_lives_it():
    # 23:30 UTC on Thursday is Friday morning in Auckland: noon there is 23:00 UTC on Thursday.
    moment = datetime(2026, 12, 3, 23, 30)
    assert people_date(moment, tz=ZoneInfo("Pacific/Auckland")) == (
        "<!date^1796338800^{date_short_pretty}|Fri 4 Dec 2026>"
    )
    assert people_date(moment, mrkdwn=False) == "Thu 3 Dec 2026"


def test_tokens_become_their_fallback_for_notification_text():
    assert plain_dates("Week of <!date^1796040000^{date_short_pretty}|Mon 30 Nov 2026>: 1 left.") == (
        "Week of Mon 30 Nov 2026: 1 left."
    )


def test_the_reminders_notification_text_carries_no_token():
    message = checkin_reminder([], week_start=date(2026, 11, 30), tz=ZoneInfo("UTC"))
    assert "<!date" not in message["text"]
    assert "the week of Mon 23 Nov 2026." in message["text"]
    assert "<!date^1795435200^{date_short_pretty}|Mon 23 Nov 2026>" in message["blocks"][1]["text"]["text"]


def test_a_range_names_the_year_once_when_both_days_share_it():
    assert people_range(date(2026, 12, 4), date(2026, 12, 17), mrkdwn=False) == "Fri 4 Dec → Thu 17 Dec 2026"
    assert people_range(date(2026, 12, 28), date(2027, 1, 8), mrkdwn=False) == (
        "Mon 28 Dec 2026 → Fri 8 Jan 2027"
    )


def test_a_range_in_mrkdwn_is_two_tokens_whose_fallbacks_read_as_the_plain_range():
    shown = people_range(date(2026, 12, 4), date(2026, 12, 17))
    assert shown == (
        "<!date^1796385600^{date_short_pretty}|Fri 4 Dec> → <!date^1797508800^{date_short_pretty}|Thu 17 Dec 2026>"
    )
    assert plain_dates(shown) == people_range(date(2026, 12, 4), date(2026, 12, 17), mrkdwn=False)


def test_a_stored_moments_time_of_day_is_the_readers():
    moment = datetime(2026, 12, 3, 23, 30)  # naive: UTC, as stored
    assert people_time(moment) == "23:30"
    assert people_time(moment, tz=ZoneInfo("Pacific/Auckland")) == "12:30"


def test_services_and_ui_write_a_plain_day_the_same_way():
    assert plain_day(date(2026, 12, 4)) == people_date(date(2026, 12, 4), mrkdwn=False) == "Fri 4 Dec 2026"
    assert plain_day(date(2027, 1, 1)) == "Fri 1 Jan 2027"  # no leading zero


def test_a_notifications_fallback_carries_no_token():
    # posts.fallback builds every scheduled post's `text`: the day stays, the token goes.
    text = fallback([f"*Q4* ends {people_date(date(2026, 12, 31))}: time to close"])
    assert text == "Q4 ends Thu 31 Dec 2026: time to close"
