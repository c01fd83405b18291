"""How long an API token lives: `90d`, `12w`, `1y` (`/okr token new NAME write 90d`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_LIFETIME = re.compile(r"([1-9][0-9]{0,3})([dwy])", re.IGNORECASE)
MAX_DAYS = 3 * 366  # three years: a token meant to outlive that should be made again
LIFETIME_HELP = (
    "a number and `d` (days), `w` (weeks) or `y` (years), at most 3 years, e.g. `90d`, `12w`, `1y`"
)


@dataclass(frozen=True)
class Lifetime:
    count: int
    unit: str  # "d", "w" or "y"

    def expires(self, now: datetime) -> datetime:
        """The moment a token made at `now` stops working; a year is the same date a year on
        (29 February becomes 28 February)."""
        if self.unit == "y":
            year = now.year + self.count
            day = min(now.day, 28) if now.month == 2 and now.day == 29 else now.day
            return now.replace(year=year, day=day)
        return now + timedelta(days=self.count * (7 if self.unit == "w" else 1))


def looks_like_lifetime(text: str) -> bool:
    """Whether `text` is meant as a lifetime (digits first), right or wrong."""
    return bool(text) and text[0].isdigit()


def parse_lifetime(text: str) -> Lifetime | None:
    """`90d` → Lifetime(90, "d"); None when it is not a lifetime or longer than three years."""
    match = _LIFETIME.fullmatch((text or "").strip())
    if not match:
        return None
    lifetime = Lifetime(int(match.group(1)), match.group(2).lower())
    days = {"d": 1, "w": 7, "y": 366}[lifetime.unit] * lifetime.count
    return lifetime if days <= MAX_DAYS else None
