"""Assessment: the progress, pace and status of stored objectives and key results at a moment.

Progress and pace come only from bot.domain.progress; `assess()` is the one place that applies
them to stored rows, and every page (lists, show, Home, digests, the REST API) calls it with its
`now`. The use cases that change objectives live in bot.services.okrs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.domain.clock import stored_now
from bot.domain.cycles import Cycle, cycle_for, parse_cycle
from bot.domain.progress import (
    Confidence,
    PaceStatus,
    clamp01,
    expected_progress,
    objective_progress,
    pace_status,
    value_progress,
)
from storage.models import KeyResult, KeyResultKind, Objective, Status, Workspace


@dataclass
class KeyResultStatus:
    key_result: KeyResult
    progress: float | None  # floored at 0, not capped; None before the first check-in
    pace: PaceStatus
    confidence: Confidence | None

    @property
    def clamped(self) -> float:
        return clamp01(self.progress or 0.0)


@dataclass
class ObjectiveStatus:
    objective: Objective
    key_results: list[KeyResultStatus]
    progress: float  # weighted mean of clamped progress, in [0, 1]
    pace: PaceStatus
    expected: float
    cycle: Cycle | None = None


def cycle_of(objective: Objective, workspace: Workspace) -> Cycle | None:
    try:
        return parse_cycle(objective.cycle, workspace.fiscal_year_start_month)
    except ValueError:
        return None


def current_cycle(workspace: Workspace, now: datetime | None = None) -> Cycle:
    return cycle_for((now or stored_now()).date(), workspace.fiscal_year_start_month)


def expected_for(cycle: Cycle | None, now: datetime) -> float:
    if cycle is None:
        return 0.0
    return expected_progress(now, cycle.start_at, cycle.end_at)


def confidence_of(key_result: KeyResult) -> Confidence | None:
    try:
        return Confidence(key_result.last_confidence) if key_result.last_confidence else None
    except ValueError:
        return None


def progress_at(key_result: KeyResult, value: float | None) -> float | None:
    """The progress (docs/commands.md, *Progress*) of a key result at `value` (its latest check-in, or one from its history);
    None before the first check-in. The one place every page, job and export computes it."""
    milestone = key_result.kind == KeyResultKind.MILESTONE
    return value_progress(milestone, key_result.start_value, key_result.target_value, value)


def key_result_status(key_result: KeyResult, expected: float) -> KeyResultStatus:
    progress = progress_at(key_result, key_result.current_value)
    return KeyResultStatus(key_result, progress, pace_status(progress, expected), confidence_of(key_result))


def assess(
    objective: Objective, key_results: Sequence[KeyResult], workspace: Workspace, now: datetime | None = None
) -> ObjectiveStatus:
    """Progress, expected progress and pace of an objective and each of its key results at `now`."""
    now = now or stored_now()
    cycle = cycle_of(objective, workspace)
    expected = expected_for(cycle, now)
    statuses = [key_result_status(kr, expected) for kr in key_results]
    counted = [s for s in statuses if s.key_result.status != Status.ARCHIVED]
    progress = objective_progress((s.progress, s.key_result.weight or 1.0) for s in counted)
    if any(s.progress is not None for s in counted):
        pace = pace_status(progress, expected)
    else:
        pace = PaceStatus.NO_CHECKIN
    return ObjectiveStatus(objective, statuses, progress, pace, expected, cycle)


def proposed_score(status: KeyResultStatus) -> float:
    """The final score offered when closing: clamped progress, rounded half up to one decimal."""
    score = Decimal(str(status.clamped)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(score)
