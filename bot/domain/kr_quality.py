"""Key-result quality: notes for a key result as it is written, each with a suggested rewrite.
Coaching, never a refusal: everything the method allows is saved as typed.

A good key result is measurable (a number that moves, or a milestone: done / not done), has a
baseline and a target, names an outcome rather than a task ("Launch X" counted as a number is a
task), is time-bound by its cycle (no date of its own), and sits with 1–4 others (2–5 in all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.coaching import TASK_PHRASES, TASK_VERBS, has_deadline, starts_like_task
from bot.domain.numbers import format_number

MIN_PER_OBJECTIVE = 2
MAX_PER_OBJECTIVE = 5
_NUMBER = re.compile(r"\d")
# Verbs that make a thing people then use: its result is the use ("Weekly users of …").
_MAKING = frozenset(
    ["launch", "ship", "release", "build", "create", "develop", "deploy", "implement", "publish", "redesign"]
)


@dataclass(frozen=True)
class Note:
    text: str  # plain sentence; quotes the title
    rewrite: str = ""  # a suggested title, or "" when there is none to suggest


def key_result_notes(
    title: str, *, milestone: bool, start: float | None, target: float | None, unit: str = "", cycle: str = ""
) -> list[Note]:
    """Notes on one key result as typed (an empty list: nothing to say)."""
    title = " ".join((title or "").split())
    if not title:
        return []
    notes = []
    if not milestone and starts_like_task(title):
        notes.append(
            Note(
                f"{_quote(title)} reads like a task counted as a number. Name the result it should bring, "
                "with today's value and the target.",
                _outcome_rewrite(title, start, target, unit),
            )
        )
    if milestone and _NUMBER.search(title):
        notes.append(
            Note(
                f"{_quote(title)} has a number in it, but is a milestone (done / not done). As a number "
                "from today's value to the target, its progress shows week by week.",
                "",
            )
        )
    if not milestone and start == 0 and target == 1 and not unit:
        notes.append(
            Note(
                f"{_quote(title)} goes from 0 to 1 with no unit: that reads like done / not done. Tick "
                "“Milestone”, or give the number it moves.",
                "",
            )
        )
    if has_deadline(title):
        notes.append(
            Note(
                f"{_quote(title)} has a date of its own. Its cycle{' (' + cycle + ')' if cycle else ''} "
                "already sets the deadline.",
                _without_deadline(title),
            )
        )
    return notes


def count_note(count: int) -> str | None:
    """The 2–5 rule for an objective's key results."""
    if count == 1:
        return (
            f"One key result: most objectives read best with {MIN_PER_OBJECTIVE}–{MAX_PER_OBJECTIVE}, "
            "each a different angle on success."
        )
    if count > MAX_PER_OBJECTIVE:
        return f"{count} key results: {MIN_PER_OBJECTIVE}–{MAX_PER_OBJECTIVE} keep an objective's focus."
    return None


def as_text(note: Note) -> str:
    """A note with its rewrite, as one line."""
    return f"{note.text} Try: “{note.rewrite}”." if note.rewrite else note.text


def _quote(title: str) -> str:
    return f"“{title if len(title) <= 60 else title[:59] + '…'}”"


def _outcome_rewrite(title: str, start: float | None, target: float | None, unit: str) -> str:
    words = title.split()
    two = " ".join(words[:2]).lower()
    rest = words[2:] if two in TASK_PHRASES else words[1:]
    thing = " ".join(rest).strip(" .") or "it"
    verb = words[0].lower()
    span = ""
    if start is not None and target is not None and start != target:
        span = f" from {format_number(start, unit)} to {format_number(target, unit)}"
    if verb in _MAKING:
        return f"Weekly users of {thing}{span}"
    if verb in TASK_VERBS or two in TASK_PHRASES:
        return f"{thing[:1].upper()}{thing[1:]}: the result it brings{span}"
    return ""


_TRAILING_DEADLINE = re.compile(
    r"\s*(?:,\s*)?\b(?:by|before|until|due(?:\s+(?:by|on))?)\s+.*$|\s*\b\d{4}-\d{1,2}-\d{1,2}\b",
    re.IGNORECASE,
)


def _without_deadline(title: str) -> str:
    rewritten = _TRAILING_DEADLINE.sub("", title).strip(" ,.-")
    return rewritten if rewritten and rewritten != title else ""
