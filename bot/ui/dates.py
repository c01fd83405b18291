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

_NOON = time(12)


def _plain(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def people_date(day: date | datetime, *, mrkdwn: bool = True, tz: tzinfo | None = None) -> str:
    """`day` for people: Slack's date token in mrkdwn, the plain "Fri 4 Dec 2026" elsewhere.

    A datetime is read in `tz` (naive ones are UTC, as stored) and its calendar day shown. The
    token needs an instant: noon of that day in `tz` (UTC if none), so that a reader up to twelve
    hours either side of it still sees the same day."""
    zone = tz or UTC
    if isinstance(day, datetime):
        moment = day if day.tzinfo else day.replace(tzinfo=UTC)
        day = moment.astimezone(zone).date()
    fallback = _plain(day)
    if not mrkdwn:
        return fallback
    unix = int(datetime.combine(day, _NOON, tzinfo=zone).timestamp())
    return f"<!date^{unix}^{{date_short_pretty}}|{fallback}>"


_TOKEN = re.compile(r"<!date\^-?\d+\^[^|>]*(?:\^[^|>]*)?\|([^>]*)>")


def plain_dates(text: str) -> str:
    """`text` with each of Slack's date tokens replaced by its fallback: for the places that show
    text as it is (a notification's `text`, plain_text objects) when it was written for mrkdwn."""
    return _TOKEN.sub(r"\1", text)
