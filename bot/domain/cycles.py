"""Cycles: quarters, calendar or fiscal.

Naming:
- fiscal_start_month == 1 (the default): calendar quarters, "2026-Q4".
- any other start month: fiscal quarters, "FY2027-Q1", the fiscal year named by the calendar
  year in which it ENDS (a fiscal year starting October 2026 is FY2027).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.domain.slack_text import user_text

MIN_YEAR = 2000
MAX_YEAR = 2100

# English month names, January first: the fiscal year starts in one of them.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _as_date(d: date) -> date:
    # datetime is a subclass of date but does not compare with one; take its calendar day.
    return d.date() if isinstance(d, datetime) else d


def _check_month(fiscal_start_month: int) -> None:
    if not 1 <= fiscal_start_month <= 12:
        raise ValueError("The fiscal-year start month must be between 1 and 12")


@dataclass(frozen=True)
class Cycle:
    """One quarter. `end` is exclusive: the first day of the next cycle."""

    name: str
    start: date
    end: date
    # Kept so that next()/previous() name their neighbours the same way.
    fiscal_start_month: int = 1

    def __str__(self) -> str:
        return self.name

    @property
    def start_at(self) -> datetime:
        """Start as a naive UTC datetime at midnight."""
        return datetime.combine(self.start, time.min)

    @property
    def end_at(self) -> datetime:
        """End (exclusive) as a naive UTC datetime at midnight."""
        return datetime.combine(self.end, time.min)

    @property
    def last_week_start(self) -> date:
        """First day of the cycle's last seven days (for the "close your objectives" prompt)."""
        return self.end - timedelta(days=7)

    def contains(self, d: date) -> bool:
        return self.start <= _as_date(d) < self.end

    def next(self) -> "Cycle":
        return cycle_for(self.end, self.fiscal_start_month)

    def previous(self) -> "Cycle":
        return cycle_for(self.start - timedelta(days=1), self.fiscal_start_month)


def _quarter_start(fiscal_year_start: int, fiscal_start_month: int, quarter: int) -> date:
    """First day of `quarter` of the fiscal year that begins in `fiscal_year_start`."""
    months = fiscal_start_month - 1 + 3 * (quarter - 1)
    return date(fiscal_year_start + months // 12, months % 12 + 1, 1)


def _build(fiscal_year_start: int, fiscal_start_month: int, quarter: int) -> Cycle:
    start = _quarter_start(fiscal_year_start, fiscal_start_month, quarter)
    if quarter < 4:
        end = _quarter_start(fiscal_year_start, fiscal_start_month, quarter + 1)
    else:
        end = _quarter_start(fiscal_year_start + 1, fiscal_start_month, 1)
    if fiscal_start_month == 1:
        name = f"{fiscal_year_start}-Q{quarter}"
    else:
        # A non-January fiscal year straddles two calendar years; it is named by the later one.
        name = f"FY{fiscal_year_start + 1}-Q{quarter}"
    return Cycle(name=name, start=start, end=end, fiscal_start_month=fiscal_start_month)


def cycle_for(d: date, fiscal_start_month: int = 1) -> Cycle:
    """The quarter that contains day `d`."""
    _check_month(fiscal_start_month)
    d = _as_date(d)
    offset = (d.month - fiscal_start_month) % 12
    fiscal_year_start = d.year if d.month >= fiscal_start_month else d.year - 1
    return _build(fiscal_year_start, fiscal_start_month, offset // 3 + 1)


_SEP = r"[\s\-_/.]*"
_YEAR_FIRST = re.compile(rf"(?P<fy>fy)?{_SEP}(?P<year>\d{{4}}){_SEP}q(?P<q>[1-4])", re.I | re.A)
_QUARTER_FIRST = re.compile(rf"q(?P<q>[1-4]){_SEP}(?P<fy>fy)?{_SEP}(?P<year>\d{{4}})", re.I | re.A)


def parse_cycle(text: str, fiscal_start_month: int = 1) -> Cycle:
    """Parse "2026-Q4", "2026q4", "q4-2026", "Q4 2026", "FY2027-Q1" (any case).

    With a fiscal start month other than January, "2027-Q1" and "FY2027-Q1" both mean the
    first quarter of the fiscal year that ends in 2027. With January, "FY2026-Q4" is accepted
    too and is simply 2026-Q4.
    """
    _check_month(fiscal_start_month)
    example = "2026-Q4" if fiscal_start_month == 1 else "FY2027-Q1 (or 2027-Q1)"
    cleaned = (text or "").strip()
    match = _YEAR_FIRST.fullmatch(cleaned) or _QUARTER_FIRST.fullmatch(cleaned)
    if match is None:
        shown = f"“{user_text(cleaned, 40)}” is not a cycle. " if cleaned else ""
        raise ValueError(f"{shown}Cycles look like {example}")
    year = int(match["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"Cycle years run from {MIN_YEAR} to {MAX_YEAR}. Cycles look like {example}")
    quarter = int(match["q"])
    # The named year is the one the fiscal year ends in; with January it is also its start.
    fiscal_year_start = year if fiscal_start_month == 1 else year - 1
    return _build(fiscal_year_start, fiscal_start_month, quarter)


def week_start(d: date) -> date:
    """The Monday of `d`'s week."""
    d = _as_date(d)
    return d - timedelta(days=d.weekday())
