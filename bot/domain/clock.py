"""The one clock the product reads. Everything that needs "now" calls one of these (or is given
`now` by its caller), so a test moves all of them at once with time-machine (tests/conftest.py:
the `now` fixture) and nothing reads the wall clock behind its back. Durations and deadlines use
time.monotonic(), which is not "now" and stays where it is.

- `utc_now()`: aware UTC, for what is computed (jobs' `now`, dates in a person's zone);
- `stored_now()`: naive UTC in whole seconds, as the database's columns keep it (storage's
  column defaults, services' `now or stored_now()`, the API's clock);
- `as_stored(moment)`: a moment given by a caller, in the columns' form;
- `epoch_seconds()`: Unix seconds, as Slack writes a token's expiry.

tests/conformance/test_one_clock.py keeps any other read of the wall clock out of bot/ and storage/.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def stored_now() -> datetime:
    """The current instant as storage keeps it: naive UTC, whole seconds (SQLite has no time
    zones and PostgreSQL must agree with it)."""
    return utc_now().replace(tzinfo=None, microsecond=0)


def as_stored(moment: datetime) -> datetime:
    """`moment` as storage compares it: naive UTC (a naive moment is taken to be UTC already)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def epoch_seconds() -> float:
    """The current instant as Unix seconds (Slack's token expiry is written so)."""
    return time.time()
