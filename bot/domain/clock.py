"""The one clock the product reads. Everything that needs "now" calls one of these (or is given
`now` by its caller), so a test moves all of them at once with time-machine (tests/conftest.py:
the `now` fixture) and nothing reads the wall clock behind its back. Durations and deadlines use
time.monotonic(), which is not "now" and stays where it is.
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


def epoch_seconds() -> float:
    """The current instant as Unix seconds (Slack's token expiry is written so)."""
    return time.time()
