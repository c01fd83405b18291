"""A sliding-window rate limit from two fixed-window counts (the estimate Cloudflare and Redis's
rate limiters use): the previous minute's count weighted by the share of it still inside the
last sixty seconds, plus the current minute's. A burst at the end of one minute still counts at
the start of the next, yet only two numbers are kept per key."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Counts:
    previous: int  # requests admitted in the window before this one
    current: int  # requests admitted in this window, this one included


def window_start(now: datetime, window: timedelta = WINDOW) -> datetime:
    """The fixed window `now` falls in (a whole minute for the default)."""
    seconds = int(window.total_seconds())
    epoch = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((now - epoch).total_seconds())
    return epoch + timedelta(seconds=elapsed - elapsed % seconds)


def estimate(counts: Counts, elapsed: float, window: float) -> float:
    """Requests in the `window` seconds ending now, `elapsed` seconds into the current window."""
    return counts.previous * max(0.0, 1.0 - elapsed / window) + counts.current


def admits(counts: Counts, limit: int, elapsed: float, window: float) -> bool:
    """Whether this request (already in `counts.current`) stays within `limit`."""
    return estimate(counts, elapsed, window) <= limit


def retry_after(counts: Counts, limit: int, elapsed: float, window: float) -> int:
    """Whole seconds from now until one more request would be admitted, at least 1; `counts` is
    what was admitted without the refused request. Worked in fractions: 20 s must not become 21."""
    need = limit - 1  # the estimate must fall to this for one more to fit
    span, now = Fraction(window), Fraction(elapsed)
    if counts.current <= need:
        # Within this window, as the previous window's weight falls (to 0 at its end).
        moment = (
            span * (counts.previous - (need - counts.current)) / counts.previous if counts.previous else 0
        )
        return max(1, math.ceil(moment - now))
    # In the next window this window's count is the one that slides out.
    moment = span * (counts.current - need) / counts.current
    return max(1, math.ceil(span - now + moment))
