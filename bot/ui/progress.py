"""The one progress bar: ten cells, e.g. ▓▓▓▓▓▓▓░░░ 70%."""

from __future__ import annotations

from bot.domain.progress import percent

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
