"""Fixed instants and the quarters around a day, named as the app names a cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.cycles import cycle_for


def quarter(day: date) -> str:
    """The calendar quarter holding `day`, named as the app names a cycle ("2026-Q4"): worked out
    here, not by the app's cycle_for, so that a test can catch the app choosing the wrong one."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def previous_quarter(day: date) -> str:
    """The quarter before the one holding `day`: 2027-01-20 → "2026-Q4"."""
    year, index = (day.year, (day.month - 1) // 3 + 1)
    return f"{year - 1}-Q4" if index == 1 else f"{year}-Q{index - 1}"


def next_quarter(day: date) -> str:
    """The quarter after the one holding `day`: 2026-12-31 → "2027-Q1"."""
    year, index = (day.year, (day.month - 1) // 3 + 1)
    return f"{year + 1}-Q1" if index == 4 else f"{year}-Q{index + 1}"


NOW = datetime(2026, 11, 18, 12, 0, 0)  # a Wednesday in the middle of 2026-Q4


API_CYCLE = cycle_for(NOW.date()).name


# Monday 30 November 2026, 10:05 in London (UTC in winter).
MONDAY_LONDON = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# Friday 4 December 2026, 16:05 in London.
FRIDAY_LONDON = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)
