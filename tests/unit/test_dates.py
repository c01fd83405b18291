"""One date style (bot/ui/dates.py): Slack's date token where mrkdwn is read, its fallback where
text is shown as it is."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.ui.dates import people_date, plain_dates
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
