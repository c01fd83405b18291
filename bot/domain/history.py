"""An objective's progress week by week, from its key results' check-ins: the digest chart's
lines and its "change since last week".

Pure: plain numbers and times in, progress out. Nothing here touches the database, so a chart
process can work out a chart's weeks beside drawing it, off the posting process's interpreter.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.progress import objective_progress, value_progress


@dataclass
class KeyResultHistory:
    """A key result's check-ins since a window opened (oldest first), for its progress at any
    moment by binary search; each check-in's progress is worked out once, when first asked for."""

    milestone: bool
    start: float
    target: float
    weight: float
    times: list[datetime]  # ordered by (created_at, id): the last one at or before a moment counts
    values: list[float | None]
    last_checkin_at: datetime | None  # its latest check-in, perhaps before the window
    current_value: float | None  # the value of that latest check-in
    _progress: dict[int, float | None] = field(default_factory=dict, repr=False, compare=False)

    def at(self, moment: datetime) -> float | None:
        """Progress at `moment`: after its last check-in up to then (None: none yet)."""
        index = bisect_right(self.times, moment) - 1
        if index >= 0 and self.values[index] is not None:
            value = self.values[index]
        elif self.last_checkin_at is not None and self.last_checkin_at <= moment:
            # Checked in before the window: the window starts before the cycle and a week ago,
            # so this is only an old value; the current one is the best we know.
            index, value = -1, self.current_value
        else:
            return None
        if index not in self._progress:
            self._progress[index] = value_progress(self.milestone, self.start, self.target, value)
        return self._progress[index]


def progress_at(key_results: list[KeyResultHistory], moment: datetime) -> float | None:
    """The objective's progress at `moment` (None when it has no key results)."""
    values = [(history.at(moment), history.weight) for history in key_results]
    if not values or all(p is None for p, _ in values):
        return None if not key_results else 0.0
    return objective_progress(values)


@dataclass
class ObjectiveHistory:
    """What an objective's weekly line needs: its key results' histories, its cycle, and its
    progress now (the line's last point)."""

    key_results: list[KeyResultHistory]
    cycle_start_at: datetime
    cycle_end_at: datetime
    now: datetime
    progress_now: float

    def weekly(self) -> list[tuple[date, float]]:
        """(day, progress) at each week from the cycle's start up to now, then now."""
        points = []
        moment = self.cycle_start_at
        while moment <= self.now and moment < self.cycle_end_at:
            points.append((moment.date(), progress_at(self.key_results, moment) or 0.0))
            moment += timedelta(days=7)
        points.append((self.now.date(), self.progress_now))
        return points
