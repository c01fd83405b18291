"""The quarter's own window in a source's query or path: `{cycle_start}`, `{cycle_end}` and
`{week_start}`, ISO dates from the workspace's calendar (bot/domain/cycles.py), put in when the
source is read, so "since the quarter began" is written once and moves on with the quarters.

`{cycle_end}` is the first day of the next quarter (the end is exclusive): write `< {cycle_end}`.
Only `{name}` with a bare name is a placeholder, so PromQL's `{job="api"}` and JSON in SQL stay
as written; an unknown name is refused when the binding is saved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain.cycles import cycle_for, week_start

NAMES = ("cycle_start", "cycle_end", "week_start")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Window:
    cycle_start: date
    cycle_end: date  # exclusive: the next quarter's first day
    week_start: date

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).isoformat() for name in NAMES}


def window_for(day: date, fiscal_start_month: int = 1) -> Window:
    cycle = cycle_for(day, fiscal_start_month)
    return Window(cycle.start, cycle.end, week_start(day))


def unknown_placeholder(text: str | None) -> str | None:
    """Why `text` cannot be read, or None: it names a placeholder Northline does not fill."""
    for match in _PLACEHOLDER.finditer(text or ""):
        if match.group(1) not in NAMES:
            shown = ", ".join(f"{{{name}}}" for name in NAMES)
            return f"{{{match.group(1)}}} is not a placeholder Northline fills; use {shown}"
    return None


def substitute(text: str, window: Window) -> str:
    """`text` with each known placeholder replaced by its date (unknown ones were refused)."""
    values = window.values()
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)
