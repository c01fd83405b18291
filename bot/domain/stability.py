"""Stable KRAs (a KRA is broad and stable: "stable across quarters … revisit them once a
year"): how long a KRA has stood, and whether a person's set keeps changing at their reviews."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.cycles import cycle_for

NEXT_YEAR_TEST = (
    "Would this KRA still make sense next year with different tactics? If not, it may be a tactic."
)

CHURN_NOTE = (
    "Your KRAs changed at your last two reviews. KRAs are meant to be stable across quarters: if they "
    "change every quarter, the role may still be taking shape. For each one, ask: would it still make "
    "sense next year with different tactics? If it would need rewriting, it was probably a tactic."
)


def months_between(start: datetime, now: datetime) -> int:
    months = (now.year - start.year) * 12 + now.month - start.month
    if now.day < start.day:
        months -= 1
    return max(0, months)


def standing(created_at: datetime, now: datetime) -> str:
    """ "standing 1 year 2 months", "standing 3 months", "new this month"."""
    months = months_between(created_at, now)
    if months < 1:
        return "new this month"
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return "standing " + " ".join(parts)


def changed_at_last_two_reviews(
    reviews: Iterable[tuple[datetime, bool]], fiscal_start_month: int = 1
) -> bool:
    """`reviews`: (when, whether the decision changed or retired a KRA), one per recorded
    decision. Decisions of one quarter make one review; True when the last two reviews a person
    held both changed their set."""
    changed_by_quarter: dict[str, tuple[datetime, bool]] = {}
    for when, changed in reviews:
        cycle = cycle_for(when.date(), fiscal_start_month)
        first, before = changed_by_quarter.get(cycle.name, (cycle.start_at, False))
        changed_by_quarter[cycle.name] = (first, before or changed)
    latest = sorted(changed_by_quarter.values(), reverse=True)[:2]
    return len(latest) == 2 and all(changed for _, changed in latest)
