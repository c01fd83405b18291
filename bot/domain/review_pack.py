"""The arithmetic of a KRA review pack: which stretch of time it covers, how a KPI moved over
it, how an outcome reads against its target, which weeks kept their check-ins. Pure: plain
numbers and naive UTC datetimes in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.cycles import MAX_YEAR, MIN_YEAR, Cycle, cycle_for, parse_cycle, week_start
from bot.domain.slack_text import user_text

PERIOD_EXAMPLES = "a quarter (`2026-Q4`), a fiscal year (`FY2026`, `this fiscal year`, `last fiscal year`) or `last 12 months`"


@dataclass(frozen=True)
class Period:
    """`start` inclusive, `end` exclusive, both naive UTC midnights."""

    label: str
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time.min)


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def fiscal_year(name_year: int, fiscal_start_month: int = 1) -> Period:
    """FY`name_year`: named, as cycles are, by the calendar year in which it ends (with a January
    start, simply that calendar year)."""
    start_year = name_year if fiscal_start_month == 1 else name_year - 1
    start = date(start_year, fiscal_start_month, 1)
    end = date(start_year + 1, fiscal_start_month, 1)
    return Period(f"FY{name_year}", _midnight(start), _midnight(end))


def fiscal_year_of(d: date, fiscal_start_month: int = 1) -> Period:
    start_year = d.year if d.month >= fiscal_start_month else d.year - 1
    return fiscal_year(start_year if fiscal_start_month == 1 else start_year + 1, fiscal_start_month)


def last_twelve_months(now: datetime) -> Period:
    """The twelve months up to and including `now`'s day."""
    end = now.date() + timedelta(days=1)
    return Period(f"the 12 months to {now.date().isoformat()}", _midnight(_year_earlier(end)), _midnight(end))


_TWELVE_MONTHS = re.compile(r"(last|past)?[\s\-_]*12[\s\-_]*(months?|mo|m)", re.I | re.A)
_FISCAL_YEAR = re.compile(r"(fy|fiscal[\s\-_]*year)[\s\-_]*(?P<year>\d{4})?", re.I | re.A)
_BARE_YEAR = re.compile(r"\d{4}", re.A)


def _cycle_period(cycle: Cycle) -> Period:
    return Period(cycle.name, cycle.start_at, cycle.end_at)


def _relative_period(cleaned: str, *, fiscal_start_month: int, now: datetime) -> Period | None:
    """A period named relative to now ("last quarter", "this fiscal year", ...), else None."""
    lowered = cleaned.lower()
    if not cleaned or lowered in ("this quarter", "quarter"):
        return _cycle_period(cycle_for(now.date(), fiscal_start_month))
    if lowered == "last quarter":
        return _cycle_period(cycle_for(now.date(), fiscal_start_month).previous())
    if _TWELVE_MONTHS.fullmatch(cleaned):
        return last_twelve_months(now)
    if lowered in ("this fiscal year", "fiscal year", "this year", "fy"):
        return fiscal_year_of(now.date(), fiscal_start_month)
    if lowered in ("last fiscal year", "last year"):
        current = fiscal_year_of(now.date(), fiscal_start_month)
        return fiscal_year_of(current.start.date() - timedelta(days=1), fiscal_start_month)
    return None


def _year_period(cleaned: str, *, fiscal_start_month: int, now: datetime) -> Period | None:
    """A fiscal year, "FY2026" / "2026" / "fiscal year 2026" (bare "FY" is this one), else None."""
    year: str | None = None
    if fiscal := _FISCAL_YEAR.fullmatch(cleaned):
        year = fiscal["year"]
        if year is None:
            return fiscal_year_of(now.date(), fiscal_start_month)
    elif _BARE_YEAR.fullmatch(cleaned):
        year = cleaned
    if year is None:
        return None
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise ValueError(f"Years run from {MIN_YEAR} to {MAX_YEAR}. A period is {PERIOD_EXAMPLES}.")
    return fiscal_year(int(year), fiscal_start_month)


def parse_period(text: str, *, fiscal_start_month: int, now: datetime) -> Period:
    """ "" (this quarter), "2026-Q4" / "FY2027-Q1", "FY2026" / "2026" / "fiscal year 2026",
    "this fiscal year", "last fiscal year", "last 12 months". ValueError says what works."""
    cleaned = " ".join((text or "").split())
    for named in (_relative_period, _year_period):
        period = named(cleaned, fiscal_start_month=fiscal_start_month, now=now)
        if period is not None:
            return period
    try:
        cycle = parse_cycle(cleaned, fiscal_start_month)
    except ValueError:
        raise ValueError(
            f"“{user_text(cleaned, 40)}” is not a period. A period is {PERIOD_EXAMPLES}."
        ) from None
    return _cycle_period(cycle)


# --- KPIs -------------------------------------------------------------------------------------


class Trend(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    STEADY = "steady"
    SINGLE = "one measurement"
    NO_DATA = "no measurement"


@dataclass(frozen=True)
class KpiReading:
    """A KPI over a period. `start` is the last value known when it began (else its first value
    in it), `end` the last value in it; `measured` counts the measurements inside the period."""

    start: float | None
    end: float | None
    measured: int
    trend: Trend
    on_target: bool | None
    attainment: float | None  # percent of target, direction-aware (see attainment())


def attainment(value: float, target: float, higher_is_better: bool) -> float | None:
    """How `value` stands against `target`, as a percent where 100 is the target and more is
    better whichever way the KPI runs: first-response time 8 h against a 6 h target reads 67 %,
    3 h reads 150 %. None for a target of 0, which has no scale to read a share of."""
    if target == 0:
        return None
    sign = 1 if higher_is_better else -1
    return 100 + sign * (value - target) / abs(target) * 100


def meets(value: float, target: float, higher_is_better: bool) -> bool:
    return value >= target if higher_is_better else value <= target


def read_kpi(
    baseline: float | None, values: Sequence[float], target: float, higher_is_better: bool
) -> KpiReading:
    """`baseline`: the last value before the period; `values`: those inside it, oldest first."""
    if not values:
        known = baseline
        return KpiReading(
            start=known,
            end=known,
            measured=0,
            trend=Trend.NO_DATA,
            on_target=None if known is None else meets(known, target, higher_is_better),
            attainment=None if known is None else attainment(known, target, higher_is_better),
        )
    start = baseline if baseline is not None else values[0]
    end = values[-1]
    if baseline is None and len(values) == 1:
        trend = Trend.SINGLE
    else:
        delta = end - start
        if abs(delta) <= 1e-9 * max(1.0, abs(start)):
            trend = Trend.STEADY
        elif (delta > 0) == higher_is_better:
            trend = Trend.IMPROVING
        else:
            trend = Trend.WORSENING
    return KpiReading(
        start=start,
        end=end,
        measured=len(values),
        trend=trend,
        on_target=meets(end, target, higher_is_better),
        attainment=attainment(end, target, higher_is_better),
    )


# --- check-ins --------------------------------------------------------------------------------


def check_in_weeks(start: datetime, end: datetime, times: Sequence[datetime]) -> tuple[int, int]:
    """(kept, missed) weeks, Monday to Sunday, of a key result's window [start, end): a week with
    a check-in in it is kept; a week that has ended inside the window without one is missed; the
    week still running is neither."""
    if end <= start:
        return 0, 0
    kept = missed = 0
    week = _midnight(week_start(start.date()))
    checked = sorted(t for t in times if start <= t < end)
    index = 0
    while week < end:
        following = week + timedelta(days=7)
        found = False
        while index < len(checked) and checked[index] < following:
            found = found or checked[index] >= week
            index += 1
        if found:
            kept += 1
        elif following <= end:
            missed += 1
        week = following
    return kept, missed
