"""Everything sprint-shaped people see: the Plan and Review modals, `/sprint show`, announcements,
and the Plan / Review buttons other posts (the planning prompt, Home) reuse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.domain.progress import PaceStatus, percent
from bot.domain.references import RefKind, format_ref
from bot.domain.slack_text import truncate
from bot.forms.sprint import GOAL_MAX, MAX_KEY_RESULTS, NAME_MAX, NOTE_MAX
from bot.ids import Action, Block, Callback
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    actions,
    button,
    context,
    ephemeral,
    fit,
    header,
    plain_user_text,
    section,
    user_text,
)
from bot.ui.inputs import date_input, modal, multi_select_input, note, radio_input, text_input
from bot.ui.progress import progress_bar
from storage.models import Sprint, SprintOutcome

if TYPE_CHECKING:
    from bot.services.sprints import Standing
    from storage.repositories.sprints import SprintDetail

USAGE = """*`/sprint` — this channel's sprint and the key results its goal serves*
• `/sprint start` — plan a sprint (opens a form: name, dates, goal, key results it serves)
• `/sprint goal TEXT` — set the current sprint's goal
• `/sprint link KR-12` · `/sprint unlink KR-12` — the key results the goal serves
• `/sprint show` — the goal, days left, the key results it serves and their pace
• `/sprint end` — close the sprint with a review (met, partly, missed, a note)
• `/sprint schedule [LENGTH_WEEKS DAY HH:MM | off]` — the channel's sprint cadence
• `/sprint help` — this text"""

OUTCOMES = [
    (SprintOutcome.MET.value, "Met"),
    (SprintOutcome.PARTLY.value, "Partly met"),
    (SprintOutcome.MISSED.value, "Missed"),
]
OUTCOME_LABEL = dict(OUTCOMES)
OUTCOME_EMOJI = {SprintOutcome.MET: ":white_check_mark:", SprintOutcome.PARTLY: ":large_yellow_circle:", SprintOutcome.MISSED: ":x:"}
OPTION_CHARS = 75


def sprint_ref(sprint: Sprint) -> str:
    return format_ref(RefKind.SPR, sprint.number)


def _status(s: Standing) -> str:
    if s.progress is None or s.pace is PaceStatus.NO_CHECKIN:
        return "no check-in yet"
    return f"{percent(s.progress)}%, {s.pace.label}"


def key_result_label(s: Standing) -> str:
    """A select option: "KR-12 Reach 50 NPS (34%, at risk)", the title cut so the status always shows."""
    prefix, suffix = f"{s.ref} ", f" ({_status(s)})"
    return prefix + plain_user_text(s.key_result.title, OPTION_CHARS - len(prefix) - len(suffix)) + suffix


def standing_line(s: Standing) -> str:
    objective = format_ref(RefKind.OBJ, s.objective.number)
    return (
        f"`{s.ref}` {user_text(s.key_result.title, 150)} · _{objective} {user_text(s.objective.title, 80)}_\n"
        f"{progress_bar(s.progress)} · {s.pace.emoji} {s.pace.label} · <@{s.key_result.owner_id}>"
    )


def days_left_text(sprint: Sprint, today: date) -> str:
    if today < sprint.starts_on:
        days = (sprint.starts_on - today).days
        return f"starts in {days} day{'s' if days != 1 else ''}"
    left = (sprint.ends_on - today).days
    if left > 1:
        return f"{left} days left"
    if left == 1:
        return "1 day left"
    if left == 0:
        return "ends today"
    return f"ended {-left} day{'s' if left != -1 else ''} ago: close it with `/sprint end`"


def _dates(sprint: Sprint) -> str:
    return f"{sprint.starts_on:%a %b %-d} → {sprint.ends_on:%a %b %-d, %Y}"


def alignment_text(detail: SprintDetail) -> str:
    count = len(detail.active_key_result_ids)
    if detail.aligned:
        return f":dart: *Aligned*: the goal serves {count} key result{'s' if count != 1 else ''}."
    return ":warning: *Not aligned*: the goal serves no active key result yet. Link one with `/sprint link KR-12`."


# --- modals ---------------------------------------------------------------------------------------


def start_modal(
    *, name: str, starts_on: date, ends_on: date, candidates: Sequence[Standing], private_metadata: str
) -> dict:
    blocks = [
        text_input(Block.SPRINT_NAME, "Name", initial=name[:NAME_MAX], max_length=NAME_MAX),
        date_input(Block.SPRINT_START, "Start", initial=starts_on.isoformat()),
        date_input(Block.SPRINT_END, "End", initial=ends_on.isoformat()),
        text_input(
            Block.SPRINT_GOAL,
            "Sprint goal",
            multiline=True,
            optional=True,
            max_length=GOAL_MAX,
            placeholder="What will be true at the end of this sprint?",
        ),
    ]
    if candidates:
        select = multi_select_input(
            Block.SPRINT_KEY_RESULTS,
            "Key results it serves",
            [(str(s.key_result.number), key_result_label(s)) for s in candidates],
            hint=f"Behind-pace key results come first. Pick up to {MAX_KEY_RESULTS}; "
            "a goal that serves one is aligned.",
        )
        select["element"]["max_selected_items"] = MAX_KEY_RESULTS
        blocks.append(select)
    else:
        blocks.append(note("No active key results yet to serve. Create some with `/okr new`, then `/sprint link KR-n`."))
    return modal(Callback.SPRINT_START, "Plan sprint", blocks, submit="Start sprint", private_metadata=private_metadata)


def review_modal(detail: SprintDetail, standings: Sequence[Standing], today: date, private_metadata: str) -> dict:
    sprint = detail.sprint
    goal = user_text(sprint.goal, 600) if sprint.goal else "_no goal was set_"
    blocks: list[dict] = [
        section(f"*`{sprint_ref(sprint)}` {user_text(sprint.name, 150)}*\n*Goal:* {goal}"),
        context(f"{_dates(sprint)} · {days_left_text(sprint, today)}"),
    ]
    if standings:
        lines = "\n".join(standing_line(s) for s in standings)
        blocks.append(section(f"*Key results it served* (their progress now is recorded with the review)\n{lines}"))
    else:
        blocks.append(context("This sprint served no key result."))
    blocks += [
        radio_input(Block.SPRINT_OUTCOME, "Was the sprint goal met?", OUTCOMES),
        text_input(
            Block.SPRINT_NOTE,
            "Note",
            multiline=True,
            optional=True,
            max_length=NOTE_MAX,
            placeholder="What helped, what got in the way, what to change next sprint",
        ),
    ]
    return modal(
        Callback.SPRINT_END,
        truncate(f"Review {sprint_ref(sprint)}", 24),
        blocks,
        submit="End sprint",
        private_metadata=private_metadata,
    )


# --- messages -------------------------------------------------------------------------------------


def sprint_blocks(detail: SprintDetail, standings: Sequence[Standing], today: date) -> list[dict]:
    sprint = detail.sprint
    goal = user_text(sprint.goal, 2000) if sprint.goal else "_No goal yet: set one with `/sprint goal TEXT`._"
    blocks = [
        header(f"{sprint_ref(sprint)} · {plain_user_text(sprint.name, 140)}"),
        section(f"*Goal:* {goal}"),
        context(f"<#{sprint.channel_id}> · {_dates(sprint)} · *{days_left_text(sprint, today)}* · started by <@{sprint.created_by}>"),
    ]
    blocks += [section(standing_line(s)) for s in standings]
    blocks.append(section(alignment_text(detail)))
    return blocks


def sprint_show(detail: SprintDetail, standings: Sequence[Standing], today: date) -> dict:
    sprint = detail.sprint
    blocks = fit(sprint_blocks(detail, standings, today), MESSAGE_BLOCKS, "…and {count} more.")
    goal = user_text(sprint.goal, 1000) or "no goal yet"
    fallback = f"{sprint_ref(sprint)} {user_text(sprint.name, 150)}: {goal} ({days_left_text(sprint, today)})"
    return ephemeral(fallback, blocks)


def started_message(detail: SprintDetail, standings: Sequence[Standing], today: date, actor_id: str) -> tuple[str, list[dict]]:
    sprint = detail.sprint
    text = f"<@{actor_id}> started {sprint_ref(sprint)} {user_text(sprint.name, 150)}: {user_text(sprint.goal, 500) or 'no goal yet'}"
    blocks = [section(f":rocket: <@{actor_id}> started a sprint."), *sprint_blocks(detail, standings, today)]
    return text, fit(blocks, MESSAGE_BLOCKS, "…and {count} more.")


def ended_message(detail: SprintDetail, standings: Sequence[Standing], actor_id: str) -> tuple[str, list[dict]]:
    sprint = detail.sprint
    outcome = SprintOutcome(sprint.outcome) if sprint.outcome else SprintOutcome.MISSED
    label = OUTCOME_LABEL[outcome.value].lower()
    text = f"<@{actor_id}> ended {sprint_ref(sprint)} {user_text(sprint.name, 150)}: goal {label}."
    goal = user_text(sprint.goal, 1500) if sprint.goal else "_no goal was set_"
    blocks = [
        section(f"{OUTCOME_EMOJI[outcome]} <@{actor_id}> ended *`{sprint_ref(sprint)}` {user_text(sprint.name, 150)}*: goal *{label}*.\n*Goal:* {goal}"),
    ]
    if sprint.review_note:
        blocks.append(section(f"*Review note:* {user_text(sprint.review_note, 2500)}"))
    if standings:
        blocks.append(section("*Key results it served, at the end*\n" + "\n".join(standing_line(s) for s in standings)))
    blocks.append(context("Plan the next one with `/sprint start`."))
    blocks.append(actions_plan(sprint.channel_id))
    return text, fit(blocks, MESSAGE_BLOCKS, "…and {count} more.")


def goal_set(detail: SprintDetail) -> str:
    text = f"Goal of `{sprint_ref(detail.sprint)}` {user_text(detail.sprint.name, 150)} set: {user_text(detail.sprint.goal, 600)}"
    if not detail.aligned:
        text += "\n:bulb: It serves no key result yet: `/sprint link KR-12` makes it aligned."
    return text


def linked(detail: SprintDetail, key_result_ref: str, title: str) -> str:
    return (
        f"`{sprint_ref(detail.sprint)}` now serves `{key_result_ref}` {user_text(title, 150)}. "
        f"{alignment_text(detail)}"
    )


def unlinked(detail: SprintDetail, key_result_ref: str, title: str) -> str:
    return f"`{sprint_ref(detail.sprint)}` no longer serves `{key_result_ref}` {user_text(title, 150)}. {alignment_text(detail)}"


def ended_confirmation(detail: SprintDetail) -> str:
    sprint = detail.sprint
    label = OUTCOME_LABEL[SprintOutcome(sprint.outcome).value].lower() if sprint.outcome else "recorded"
    return (
        f"Ended `{sprint_ref(sprint)}` {user_text(sprint.name, 150)} in <#{sprint.channel_id}>: goal {label}. "
        f"The review and the progress of {len(detail.links)} key result{'s' if len(detail.links) != 1 else ''} are recorded."
    )


def not_announced(channel_id: str) -> str:
    return f"I couldn't post in <#{channel_id}>; invite me there with `/invite @Northline` so the team sees sprint news."


# --- buttons for other posts (planning prompt, Home) -----------------------------------------------


def plan_button(channel_id: str, text: str = "Plan next sprint") -> dict:
    """Opens the Plan sprint modal for `channel_id` (Action.PLAN_SPRINT, value = the channel id)."""
    return button(text, Action.PLAN_SPRINT, channel_id, style="primary")


def review_button(sprint: Sprint, text: str = "Review sprint") -> dict:
    """Opens the Review modal of `sprint` (Action.REVIEW_SPRINT, value = "<channel id>:<sprint id>")."""
    return button(text, Action.REVIEW_SPRINT, f"{sprint.channel_id}:{sprint.id}")


def actions_plan(channel_id: str) -> dict:
    return actions(plan_button(channel_id))
