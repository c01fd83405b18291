"""What every scheduled post shares: key-result lines, section packing, the plain-text fallback.

Pure functions, like the rest of bot/ui: facts in, blocks and text out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.enums import KeyResultKind
from bot.domain.progress import milestone_done, value_progress
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import WEEKDAYS
from bot.domain.slack_text import truncate
from bot.ui.blocks import (
    MESSAGE_TEXT_BUDGET,
    TEXT_FALLBACK_CHARS,
    amount,
    context,
    section,
)
from bot.ui.dates import plain_dates
from bot.ui.progress import without_bars

if TYPE_CHECKING:
    from bot.ui.shapes import KeyResultView

# Room left for the header, the intro and the buttons when a list is cut to Slack's 50 blocks,
# and for their text within a message's text budget.
RESERVED_BLOCKS = 4
RESERVED_CHARS = 1000


def kr_ref(kr: KeyResultView) -> str:
    return format_ref(RefKind.KR, kr.number)


def kr_progress(kr: KeyResultView) -> float | None:
    milestone = kr.kind == KeyResultKind.MILESTONE
    return value_progress(milestone, kr.start_value, kr.target_value, kr.current_value)


def kr_value(kr: KeyResultView) -> str:
    if kr.kind == KeyResultKind.MILESTONE:
        return "done" if milestone_done(kr.current_value) else "not done yet"
    current = "–" if kr.current_value is None else amount(kr.current_value, kr.unit)
    # "22 h, aiming down to 6 h, from 24 h": "22 h of 6 h" reads wrong when lower is better.
    way = "down" if kr.target_value < kr.start_value else "up"
    return (
        f"{current}, aiming {way} to {amount(kr.target_value, kr.unit)}, "
        f"from {amount(kr.start_value, kr.unit)}"
    )


def day_name(weekday: int) -> str:
    return WEEKDAYS[weekday - 1].capitalize()


# mrkdwn's *bold* and _italic_ marks (not the underscore inside America/Los_Angeles or not_in_channel).
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]+(?=\S)|(?<=\S)[*_]+(?![\w*_])")


def plain(text: str) -> str:
    """mrkdwn's emphasis marks, progress bars' cells (their "73%" kept) and Slack's date tokens
    (their fallbacks kept) taken out, for a notification's plain-text fallback."""
    return _EMPHASIS.sub("", plain_dates(without_bars(text)))


def fallback(lines: Sequence[str]) -> str:
    return truncate("\n".join(plain(line) for line in lines), TEXT_FALLBACK_CHARS)


_SECTION_ROOM = 2900  # under Slack's 3,000 characters a section, with room for a cut marker


def pack(
    lines: Sequence[str], *, max_blocks: int, overflow: str, max_chars: int = MESSAGE_TEXT_BUDGET
) -> list[dict]:
    """Lines into as few sections as fit (each under 3,000 characters), at most `max_blocks`
    blocks and `max_chars` characters of text, the last one saying how many lines were left out."""
    sections: list[tuple[str, int]] = []  # (text, how many lines it holds)
    current: list[str] = []
    size = 0
    for line in lines:
        line = truncate(line, 1000)
        if current and size + len(line) + 1 > _SECTION_ROOM:
            sections.append(("\n".join(current), len(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        sections.append(("\n".join(current), len(current)))
    total = sum(len(text) for text, _ in sections)
    if len(sections) <= max_blocks and total <= max_chars:
        return [section(text) for text, _ in sections]
    room = max_chars - len(overflow) - 10  # the note's own text, with its count
    blocks: list[dict] = []
    used = size = 0
    for text, count in sections[: max_blocks - 1]:
        size += len(text)
        if size > room:
            break
        blocks.append(section(text))
        used += count
    blocks.append(context(overflow.format(count=len(lines) - used)))
    return blocks
