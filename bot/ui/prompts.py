"""Scheduled prompts and nudges: the sprint-planning prompt, the unaligned-sprint and off-track
nudges, the quarterly KRA review and the close-the-cycle prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.references import RefKind, format_ref
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    actions,
    context,
    section,
    user_text,
)
from bot.ui.dates import people_date
from bot.ui.posts import (
    fallback,
    kr_progress,
    kr_ref,
    kr_value,
    pack,
)
from bot.ui.progress import progress_bar

if TYPE_CHECKING:
    from bot.ui.shapes import KeyResultView

# --- sprint-planning prompt ---------------------------------------------------------------------------


def sprint_prompt(channel_id: str, detail, behind: Sequence, *, has_own: bool = True) -> dict:
    """The sprint ending (goal, review button), key results behind pace, *Plan next sprint*.
    `has_own`: whether the channel has key results of its own (else: how to link some)."""
    from bot.ui.sprint import plan_button, review_button

    blocks: list[dict] = []
    lines: list[str] = []
    if detail is not None:
        sprint = detail.sprint
        ref = format_ref(RefKind.SPR, sprint.number)
        goal = user_text(sprint.goal, 500) or "_no goal was set_"
        aligned = (
            "serves " + ", ".join(f"`{kr_ref(link.key_result)}`" for link in detail.links[:10])
            if detail.aligned
            else ":warning: its goal serves no key result"
        )
        intro = f"*Sprint `{ref}` {user_text(sprint.name, 100)} ends {people_date(sprint.ends_on)}.*"
        blocks.append(section(f"{intro}\nGoal: {goal}\n{aligned}", accessory=review_button(sprint)))
        lines += [intro.replace("*", "").replace("`", ""), f"Goal: {user_text(sprint.goal, 300) or 'none'}"]
    else:
        intro = "*Time to plan the next sprint* (by this channel's cadence)."
        blocks.append(section(intro))
        lines.append("Time to plan the next sprint.")
    if behind:
        suggestion_lines = [
            f"• `{s.ref}` {user_text(s.key_result.title, 120)} · {progress_bar(s.progress)} · {s.pace.emoji} {s.pace.label}"
            for s in behind
        ]
        blocks.append(
            section("*Behind pace: candidates for the next sprint goal*\n" + "\n".join(suggestion_lines))
        )
        lines += ["Behind pace:"] + [
            f"- {s.ref} {user_text(s.key_result.title, 80)} ({s.pace.label})" for s in behind
        ]
    elif not has_own:
        none = (
            "This channel has no key results of its own yet, so there is nothing to suggest. "
            "Give an objective this channel as its team channel (`/okr new`, or `/okr edit OBJ-n`), "
            "then link the next sprint to its key results with `/sprint link KR-n`."
        )
        blocks.append(section(none))
        lines.append(none.replace("`", ""))
    else:
        blocks.append(context("No key result of this channel's is behind pace. :tada:"))
    blocks.append(actions(plan_button(channel_id)))
    lines.append("Plan the next sprint with /sprint start.")
    return {"text": fallback(lines), "blocks": blocks}


# --- nudges and cycle prompts ---------------------------------------------------------------------------


def unaligned_sprint_nudge(detail) -> dict:
    sprint = detail.sprint
    ref = format_ref(RefKind.SPR, sprint.number)
    goal = user_text(sprint.goal, 500) or "_no goal set yet_"
    text = (
        f":compass: Halfway through sprint `{ref}` {user_text(sprint.name, 100)}, its goal serves no key result.\n"
        f"Goal: {goal}\nLink the key result it moves with `/sprint link KR-n`, so the team can see why it matters."
    )
    return {"text": fallback([text.replace("*", "")]), "blocks": [section(text)]}


def off_track_nudge(key_results: Sequence[KeyResultView]) -> dict:
    lines = [
        f"• `{kr_ref(kr)}` {user_text(kr.title, 120)} · {progress_bar(kr_progress(kr))} · {kr_value(kr)}"
        for kr in key_results
    ]
    intro = (
        f"{'These key results have' if len(key_results) != 1 else 'This key result has'} been off track at the "
        "last two check-ins, and no sprint is working on "
        f"{'them' if len(key_results) != 1 else 'it'}. Bring it to your team's next sprint planning "
        "(`/sprint link KR-n` in the team channel), or adjust the target."
    )
    blocks = [section(intro), *pack(lines, max_blocks=MESSAGE_BLOCKS - 1, overflow="…and {count} more.")]
    return {"text": fallback([intro, *lines[:30]]), "blocks": blocks}


def kra_review_prompt(cycle) -> dict:
    text = (
        f"A new cycle, *{cycle.name}*, starts today: time for the quarterly review of your Key Result Areas. "
        "Run `/kra review` to keep, change or retire each of them."
    )
    return {"text": text.replace("*", ""), "blocks": [section(text)]}


def close_cycle_prompt(cycle, objectives: Sequence) -> dict:
    lines = [f"• `{format_ref(RefKind.OBJ, o.number)}` {user_text(o.title, 150)}" for o in objectives]
    intro = (
        f"*{cycle.name}* ends {people_date(cycle.end - timedelta(days=1))}: time to close "
        f"and score your objective{'s' if len(objectives) != 1 else ''} with `/okr close OBJ-n`."
    )
    blocks = [
        section(intro),
        *pack(lines, max_blocks=MESSAGE_BLOCKS - 1, overflow="…and {count} more: `/okr list mine`."),
    ]
    return {"text": fallback([intro.replace("*", ""), *lines[:30]]), "blocks": blocks}
