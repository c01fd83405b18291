"""A day written out for people where Slack shows text as it is: "Fri 4 Dec 2026".

The one plain form of bot/ui/dates.py (which gives Slack's date token where mrkdwn is read). It
lives here so that a service writing text that is plain by nature (a workflow step's output, an
error message) words a day the same way without importing ui."""

from __future__ import annotations

from datetime import date


def plain_day(day: date) -> str:
    """`Fri 4 Dec 2026`: weekday, day without a leading zero, month, year; never read the wrong
    way round, whatever the reader's habit."""
    return f"{day:%a} {day.day} {day:%b %Y}"
