"""Progress, pace and status: the exact arithmetic docs/commands.md states.

Everything here is pure: numbers in, numbers (or enums) out.
"""

import math
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache

from bot.domain.slack_text import user_text

# Pace thresholds (docs/commands.md, *Pace*): on track if p >= e - 0.10, at risk down to e - 0.25.
AT_RISK_GAP = 0.10
OFF_TRACK_GAP = 0.25
# Float subtraction makes e.g. 0.6 - 0.10 = 0.49999999999999994; a person who is exactly
# at the boundary must land on the friendlier side, so comparisons get this much slack.
EPSILON = 1e-9
MAX_PROGRESS = 1e12
_ZERO, _ONE = Decimal(0), Decimal(1)


class PaceStatus(StrEnum):
    """Where a key result's numbers stand against the calendar."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_CHECKIN = "no_checkin"

    @property
    def label(self) -> str:
        return _PACE_LABELS[self]

    @property
    def emoji(self) -> str:
        return _PACE_EMOJI[self]


_PACE_LABELS = {
    PaceStatus.ON_TRACK: "on track",
    PaceStatus.AT_RISK: "at risk",
    PaceStatus.OFF_TRACK: "off track",
    PaceStatus.NO_CHECKIN: "no check-in yet",
}
_PACE_EMOJI = {
    PaceStatus.ON_TRACK: ":large_green_circle:",
    PaceStatus.AT_RISK: ":large_yellow_circle:",
    PaceStatus.OFF_TRACK: ":red_circle:",
    PaceStatus.NO_CHECKIN: ":white_circle:",
}


class Confidence(StrEnum):
    """The owner's own call at a check-in. Shown beside pace, never replacing it."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def emoji(self) -> str:
        # Same colours as the pace with the same name, so the two read side by side.
        return PaceStatus(self.value).emoji

    @classmethod
    def parse(cls, text: str) -> "Confidence":
        """Accept "on-track", "on_track", "On Track", "ontrack", ... (any case)."""
        key = "".join(ch for ch in (text or "").lower() if ch not in "-_ \t")
        for member in cls:
            if key == member.value.replace("_", ""):
                return member
        raise ValueError(
            f"“{user_text((text or '').strip(), 40)}” is not a confidence; use on-track, at-risk or off-track"
        )


def _finite_decimal(x: float, name: str) -> Decimal:
    if type(x) is float and math.isfinite(x):  # the common case, first: digests convert thousands
        return _exact_decimal(x)
    if isinstance(x, bool) or not isinstance(x, int | float | Decimal):
        raise TypeError(f"{name} must be a number, not {type(x).__name__}")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number")
    return _exact_decimal(x)


@lru_cache(maxsize=8192, typed=True)
def _exact_decimal(x: float) -> Decimal:
    # str() first: Decimal(0.1) would carry the binary artefact, Decimal("0.1") does not.
    # Cached: a digest converts the same starts, targets and weights thousands of times.
    return Decimal(str(x))


def key_result_progress(start: float, target: float, current: float | None) -> float | None:
    """p = (current - start) / (target - start), never below 0, not capped above.

    Works for decreasing key results (target < start) too. None means "no check-in yet".
    """
    s = _finite_decimal(start, "start")
    t = _finite_decimal(target, "target")
    if s == t:
        raise ValueError("target must differ from start")
    if current is None:
        return None
    c = _finite_decimal(current, "current")
    # Decimal keeps 0.2-0.1 / 0.3-0.1 at exactly 0.5, which matters at the pace thresholds.
    p = float((c - s) / (t - s))
    # A tiny target - start (say 1e-300) could overflow to inf, which nothing can display;
    # MAX_PROGRESS is far beyond any real over-achievement, so the cap never shows.
    return min(MAX_PROGRESS, max(0.0, p)) + 0.0  # "+ 0.0" turns a -0.0 into 0.0


def milestone_progress(done: bool) -> float:
    """A done/not-done key result is all or nothing."""
    return 1.0 if done else 0.0


def milestone_done(value: float | None) -> bool:
    """A milestone's check-in is 1 (done) or 0 (not done); it is stored as 0 → 1 whatever was typed."""
    return value is not None and value >= 1


def value_progress(milestone: bool, start: float, target: float, value: float | None) -> float | None:
    """The progress (docs/commands.md, *Progress*) of a key result at `value`: the one rule every page, post, job and export
    uses. None before the first check-in, or for numbers that predate validation (a page shows
    them rather than crash)."""
    if value is None:
        return None
    if milestone:
        return milestone_progress(milestone_done(value))
    try:
        return key_result_progress(start, target, value)
    except (ValueError, TypeError):
        return None


def percent(p: float) -> int:
    """p as a whole percent, rounded half up (0.125 -> 13, 0.705 -> 71).

    Not clamped: callers pass progress that is already floored at 0, and changes
    ("-5 % since last week") may legitimately be negative (those round away from zero).
    """
    d = _finite_decimal(p, "progress") * 100
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clamp01(x: float) -> float:
    return min(1.0, max(0.0, x))


def objective_progress(items: Iterable[tuple[float | None, float]]) -> float:
    """Weighted mean of (progress, weight) pairs, each progress clamped to [0, 1].

    A key result without a check-in (None) counts as 0. No key results -> 0.0.
    """
    # Decimal, so that weights 3 and 1 over 0.7 and 0 give exactly 0.525 (53 %), not 0.52499….
    total_weight = weighted = _ZERO
    for progress, weight in items:
        w = _finite_decimal(weight, "weight")
        if w <= 0:
            raise ValueError("weight must be greater than 0")
        total_weight += w
        if progress is not None:
            weighted += min(max(_finite_decimal(progress, "progress"), _ZERO), _ONE) * w
    if not total_weight:
        return 0.0
    return clamp01(float(weighted / total_weight))


def expected_progress(now: datetime, start: datetime, end: datetime) -> float:
    """Share of the cycle elapsed at `now`, clamped to [0, 1]."""
    if end <= start:
        raise ValueError("cycle end must be after its start")
    return clamp01((now - start) / (end - start))


def pace_status(progress: float | None, expected: float) -> PaceStatus:
    """The pace (docs/commands.md, *Pace*) from (clamped) progress and expected progress."""
    if progress is None:
        return PaceStatus.NO_CHECKIN
    p = clamp01(float(progress))
    e = float(expected)
    if p >= e - AT_RISK_GAP - EPSILON:
        return PaceStatus.ON_TRACK
    if p >= e - OFF_TRACK_GAP - EPSILON:
        return PaceStatus.AT_RISK
    return PaceStatus.OFF_TRACK


def disagreement(pace: PaceStatus, confidence: Confidence | None) -> str | None:
    """A sentence for the digest when numbers and owner disagree, else None."""
    if confidence is None or pace is PaceStatus.NO_CHECKIN:
        return None
    if pace.value == confidence.value:
        return None
    return f"pace {pace.label}, confidence {confidence.label}"


def final_score(scored: "list[tuple[float | None, float | None]]") -> float:
    """A closed objective's score: its key results' final scores (0.0–1.0), weighted."""
    weights = [weight or 1.0 for _, weight in scored]
    total = sum((score or 0.0) * weight for (score, _), weight in zip(scored, weights, strict=True))
    return total / (sum(weights) or 1.0)
