"""What Ask Northline sends to a language model: the asker's words and facts already found by the
deterministic answers (bot.services.ask), as a bounded JSON object. Pure: no query, no network.

docs/ai.md lists these fields; tests/e2e/test_assistant_ai.py checks that a request holds no other.
Nothing is sent that the asker's own answer would not show them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.domain.ask import QUESTION_MAX
from bot.domain.progress import percent

if TYPE_CHECKING:
    from bot.services.ask import Answer, Brief, Item

NOTE_CHARS = 300  # an owner's note, as the answers show it
TITLE_CHARS = 200
BRIEF_LINES = 15  # lines under each of the brief's headings that are sent

SYSTEM = (
    "You are Ask Northline, the assistant of a team's OKR tool in Slack. Answer only from the JSON "
    "facts you are given: objectives (OBJ-n), key results (KR-n), key result areas (KRA-n), sprints "
    "(SPR-n), their progress, pace, owners' confidence and owners' check-in notes. Name the "
    "references you rely on. If the facts do not answer the question, say so in one sentence and "
    'suggest asking "help". Never invent numbers, people or links. Write plain text for Slack: short '
    "paragraphs or '-' bullets, at most 180 words, no links, no @-mentions, no headings."
)
BRIEF_TASK = (
    "Write this channel's weekly brief for busy readers from the facts: what moved, what is at risk "
    "and why (quote owners' notes briefly), blockers mentioned, and what to decide. Keep every "
    "reference (KR-n, OBJ-n, SPR-n). Do not add anything the facts do not say."
)

# The fields of one line of facts; docs/ai.md lists the same.
ITEM_FIELDS = (
    "ref",
    "title",
    "objective",
    "area",
    "owner",
    "progress_percent",
    "progress_a_week_ago_percent",
    "pace",
    "owner_confidence",
    "why",
    "note",
)


def item_facts(item: Item) -> dict:
    """One line of an answer as facts; empty fields are left out."""
    facts = {
        "ref": item.ref,
        "title": item.title[:TITLE_CHARS],
        "objective": item.parent_ref,
        "area": item.kra_ref,
        "owner": item.owner_id or "",
        "progress_percent": None if item.progress is None else percent(item.progress),
        "progress_a_week_ago_percent": None if item.before is None else percent(item.before),
        "pace": item.pace.label if item.pace is not None else "",
        "owner_confidence": item.confidence.label if item.confidence is not None else "",
        "why": item.why,
        "note": (item.note or "")[:NOTE_CHARS],
    }
    return {name: value for name, value in facts.items() if value not in ("", None)}


def answer_facts(about: str, answer: Answer) -> dict:
    return {
        "about": about,
        "total": answer.total,
        "items": [item_facts(item) for item in answer.items],
    }


def free_question(question_text: str, cycle: str, sections: list[tuple[str, Answer]]) -> list[dict[str, str]]:
    """A question the grammar does not know, with the facts the asker may see."""
    facts = {"cycle": cycle, "sections": [answer_facts(about, answer) for about, answer in sections]}
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _user(question_text[:QUESTION_MAX], facts)},
    ]


def brief(brief: Brief, cycle: str) -> list[dict[str, str]]:
    """The week's brief of a channel, to be worded from its deterministic result."""
    facts = {
        "cycle": cycle,
        "active_objectives": brief.objective_count,
        "moved": [item_facts(i) for i in brief.moved[:BRIEF_LINES]],
        "at_risk": [item_facts(i) for i in brief.at_risk[:BRIEF_LINES]],
        "blockers": [item_facts(i) for i in brief.blockers[:BRIEF_LINES]],
        "to_decide": [item_facts(i) for i in brief.decide[:BRIEF_LINES]],
    }
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _user(BRIEF_TASK, facts)},
    ]


def _user(question: str, facts: dict) -> str:
    return f"Question: {question}\n\nFacts (JSON):\n{json.dumps(facts, ensure_ascii=False)}"


REWRITE_TASK = (
    "Each key result below got notes from the method's checks, most with a suggested rewrite. For each "
    "one, propose a better title: an outcome (not a task) with today's value and the target, keeping "
    "its numbers and unit. One line each, 'Key result <position>: <title>', then at most one short "
    "sentence why. Nothing else."
)


def rewrites(objective_title: str, cycle: str, key_results: list[dict]) -> list[dict[str, str]]:
    """The key results of a saved objective that the quality checks noted (`key_result_facts`),
    to have their rewrites worded."""
    facts = {"objective": objective_title[:TITLE_CHARS], "cycle": cycle, "key_results": key_results}
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _user(REWRITE_TASK, facts)},
    ]


def key_result_facts(
    position: int,
    title: str,
    *,
    milestone: bool,
    start: float | None,
    target: float | None,
    unit: str,
    notes: list[tuple[str, str]],
) -> dict:
    """One noted key result as typed: `notes` are (note, suggested rewrite) from bot.domain.kr_quality."""
    facts = {
        "position": position,
        "title": title[:TITLE_CHARS],
        "milestone": milestone,
        "start": start,
        "target": target,
        "unit": unit,
        "notes": [text for text, _ in notes],
        "suggested_rewrite": next((rewrite for _, rewrite in notes if rewrite), ""),
    }
    return {name: value for name, value in facts.items() if value not in ("", None)}
