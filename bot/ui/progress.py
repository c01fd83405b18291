"""The one progress bar: ten cells, e.g. ▓▓▓▓▓▓▓░░░ 70%."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.progress import percent

if TYPE_CHECKING:
    from bot.domain.progress import Confidence, PaceStatus

CELLS = 10


def progress_bar(progress: float | None) -> str:
    if progress is None:
        return "░" * CELLS + " –"
    shown = percent(progress)
    # Floor, so a bar is only full when the work is done.
    filled = max(0, min(CELLS, shown // 10))
    return "▓" * filled + "░" * (CELLS - filled) + f" {shown}%"


def progress_percent(progress: float | None) -> str:
    """Progress as words a screen reader or a notification can carry: "73%" (no bar)."""
    return "–" if progress is None else f"{percent(progress)}%"


def without_bars(text: str) -> str:
    """Text with every progress bar's cells removed, for notification (fallback) text."""
    return text.replace("▓", "").replace("░", "").replace("  ", " ")


# Two readings of a key result, each with its own word so they are never confused: *Pace* is
# computed from the numbers, *Confidence* is the owner's own call at the last check-in. The owner's
# call is shown only when it differs from the pace; when they agree it would only repeat it.
def pace_text(pace: PaceStatus) -> str:
    """ "Pace 🟢 on track"."""
    return f"Pace {pace.emoji} {pace.label}"


def confidence_text(pace: PaceStatus, confidence: Confidence | None) -> str:
    """ " · Confidence 🟡 at risk" when the owner's call differs from the pace, else ""."""
    if confidence is None or confidence.value == pace.value:
        return ""
    return f" · Confidence {confidence.emoji} {confidence.label}"
