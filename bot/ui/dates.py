"""A day as people read it: one style everywhere.

In mrkdwn (messages, App Home, a modal's mrkdwn sections and contexts) a day is Slack's date
token, `<!date^1796385600^{date_short_pretty}|Fri 4 Dec 2026>`: each reader's Slack writes it in
their own language and locale ("Dec 4, 2026", "4 déc. 2026", or "today"). Where Slack shows text
as it is (plain_text objects: headers, options, buttons, input labels; a notification's `text`;
files) the token would be shown raw, so those places take the fallback alone, `Fri 4 Dec 2026`.
See https://docs.slack.dev/messaging/formatting-message-text#date-formatting.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from bot.domain.days import plain_day

_NOON = time(12)


def _local(moment: datetime, zone: tzinfo) -> datetime:
    """A stored moment (naive ones are UTC, as stored) as the reader's clock shows it."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


def _day(day: date | datetime, zone: tzinfo) -> date:
    return _local(day, zone).date() if isinstance(day, datetime) else day


def _token(day: date, zone: tzinfo, fallback: str) -> str:
    # The token needs an instant: noon of that day in `zone`, so that a reader up to twelve hours
    # either side of it still sees the same day.
    unix = int(datetime.combine(day, _NOON, tzinfo=zone).timestamp())
    return f"<!date^{unix}^{{date_short_pretty}}|{fallback}>"


def people_date(day: date | datetime, *, mrkdwn: bool = True, tz: tzinfo | None = None) -> str:
    """`day` for people: Slack's date token in mrkdwn, the plain "Fri 4 Dec 2026" elsewhere.

    A datetime is read in `tz` (naive ones are UTC, as stored) and its calendar day shown."""
    zone = tz or UTC
    day = _day(day, zone)
    fallback = plain_day(day)
    return _token(day, zone, fallback) if mrkdwn else fallback


def people_range(
    start: date | datetime, end: date | datetime, *, mrkdwn: bool = True, tz: tzinfo | None = None
) -> str:
    """Two days, both included: "Fri 4 Dec → Thu 17 Dec 2026", the year once when both share it
    ("Mon 28 Dec 2026 → Fri 8 Jan 2027" when not). In mrkdwn each day is Slack's token, whose
    fallbacks read the same as the plain form."""
    zone = tz or UTC
    first, last = _day(start, zone), _day(end, zone)
    until = plain_day(last)
    since = plain_day(first) if first.year != last.year else plain_day(first).rsplit(" ", 1)[0]
    if not mrkdwn:
        return f"{since} → {until}"
    return f"{_token(first, zone, since)} → {_token(last, zone, until)}"


def people_time(moment: datetime, *, tz: tzinfo | None = None) -> str:
    """The time of day a stored moment is in `tz` (naive ones are UTC), on a 24-hour clock: "09:30"."""
    return f"{_local(moment, tz or UTC):%H:%M}"


def people_moment(moment: datetime, *, tz: tzinfo | None = None) -> str:
    """A day and its time of day in `tz`, the one way both are written: "Fri 4 Dec 2026 at 09:30"
    (the day as people_date writes it in mrkdwn)."""
    return f"{people_date(moment, tz=tz)} at {people_time(moment, tz=tz)}"


_TOKEN = re.compile(r"<!date\^-?\d+\^[^|>]*(?:\^[^|>]*)?\|([^>]*)>")


def plain_dates(text: str) -> str:
    """`text` with each of Slack's date tokens replaced by its fallback: for the places that show
    text as it is (a notification's `text`, plain_text objects) when it was written for mrkdwn."""
    return _TOKEN.sub(r"\1", text)
