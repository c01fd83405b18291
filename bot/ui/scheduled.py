"""Every scheduled post: Block Kit plus a plain-text fallback, inside Slack's limits at any size.

Pure functions: facts in, ``{"text": ..., "blocks": [...]}`` out (the keyword arguments of a post).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.numbers import format_number
from bot.domain.progress import key_result_progress, milestone_progress
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import WEEKDAYS
from bot.domain.slack_text import truncate
from bot.ids import Action
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    TEXT_FALLBACK_CHARS,
    actions,
    button,
    context,
    divider,
    fit,
    header,
    section,
    split,
    user_text,
)
from bot.ui.progress import progress_bar
from storage.models import KeyResult, KeyResultKind

# Room left for the header, the intro and the buttons when a list is cut to Slack's 50 blocks,
# and for their text within a message's text budget.
_RESERVED = 4
_RESERVED_CHARS = 1000
# The digest thread's key results: at most about three replies, then "…and N more lines".
_THREAD_KEY_RESULT_CHARS = 3 * MESSAGE_TEXT_BUDGET - _RESERVED_CHARS


def kr_ref(kr: KeyResult) -> str:
    return format_ref(RefKind.KR, kr.number)


def kr_progress(kr: KeyResult) -> float | None:
    if kr.current_value is None:
        return None
    if kr.kind == KeyResultKind.MILESTONE:
        return milestone_progress(kr.current_value >= 1)
    try:
        return key_result_progress(kr.start_value, kr.target_value, kr.current_value)
    except (ValueError, TypeError):
        return None


def kr_value(kr: KeyResult) -> str:
    if kr.kind == KeyResultKind.MILESTONE:
        return "done" if (kr.current_value or 0) >= 1 else "not done yet"
    current = "–" if kr.current_value is None else format_number(kr.current_value, kr.unit)
    # "22 h, aiming down to 6 h, from 24 h": "22 h of 6 h" reads wrong when lower is better.
    way = "down" if kr.target_value < kr.start_value else "up"
    return (
        f"{current}, aiming {way} to {format_number(kr.target_value, kr.unit)}, "
        f"from {format_number(kr.start_value, kr.unit)}"
    )


def day_name(weekday: int) -> str:
    return WEEKDAYS[weekday - 1].capitalize()


# mrkdwn's *bold* and _italic_ marks (not the underscore inside America/Los_Angeles or not_in_channel).
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]+(?=\S)|(?<=\S)[*_]+(?![\w*_])")


def plain(text: str) -> str:
    """mrkdwn's emphasis marks taken out, for a notification's plain-text fallback."""
    return _EMPHASIS.sub("", text)


def _fallback(lines: Sequence[str]) -> str:
    return truncate("\n".join(plain(line) for line in lines), TEXT_FALLBACK_CHARS)


# --- check-in reminder ----------------------------------------------------------------------------


def checkin_reminder(
    key_results: Sequence[KeyResult], *, week_start: date, tz: ZoneInfo, synced: Collection[int] = ()
) -> dict:
    """The Monday DM: the owner's key results not checked in this week, and a *Check in* button.
    A key result bound to a data source (`synced`) updates its own number: the owner is asked only
    for their confidence and a note."""
    count = len(key_results)
    intro = (
        f"Time for your weekly check-in: {count} key result{'s' if count != 1 else ''} "
        f"{'have' if count != 1 else 'has'} no check-in since Monday {week_start:%d %b}."
    )
    rows = []
    for kr in key_results:
        last = (
            "never checked in"
            if kr.last_checkin_at is None
            else f"last check-in {_local_day(kr.last_checkin_at, tz)}"
        )
        objective = getattr(kr, "objective", None)
        under = (
            f" · {format_ref(RefKind.OBJ, objective.number)} {user_text(objective.title, 80)}"
            if objective
            else ""
        )
        asked = (
            "\n_The number updated itself from its data source: how confident are you?_"
            if synced and kr.id in synced
            else ""
        )
        rows.append(
            section(
                f"*`{kr_ref(kr)}` {user_text(kr.title, 150)}*\n{progress_bar(kr_progress(kr))} · {kr_value(kr)}\n"
                f"_{last}{under}_{asked}"
            )
        )
    button_block = actions(button("Check in", Action.OPEN_CHECKIN, "weekly", style="primary"))
    listed = fit(
        rows,
        MESSAGE_BLOCKS - _RESERVED,
        "…and {count} more: run `/okr checkin` or open App Home.",
        max_chars=MESSAGE_TEXT_BUDGET - _RESERVED_CHARS,
    )
    blocks = [header("Weekly check-in"), section(intro), *listed, button_block]
    text_lines = [intro] + [
        f"• {kr_ref(kr)} {user_text(kr.title, 100)}: {kr_value(kr)}" for kr in key_results[:30]
    ]
    if count > 30:
        text_lines.append(f"…and {count - 30} more.")
    text_lines.append("Check in with /okr checkin.")
    return {"text": _fallback(text_lines), "blocks": blocks}


def _local_day(moment: datetime, tz: ZoneInfo) -> str:
    from datetime import UTC

    return moment.replace(tzinfo=UTC).astimezone(tz).strftime("%a %d %b")


# --- telling a schedule's setter that it was switched off -----------------------------------------


_REASONS = {
    "channel_not_found": "the channel no longer exists (or I can't see it)",
    "not_in_channel": "I'm no longer a member of the channel",
    "is_archived": "the channel was archived",
    "channel_is_archived": "the channel was archived",
}
_WHAT = {"digest": "weekly digest", "sprint": "sprint-planning prompt"}


def schedule_disabled(kind: str, channel_id: str, error: str) -> dict:
    what = _WHAT.get(kind, f"{kind} posts")
    reason = _REASONS.get(error, f"Slack answered `{error}`")
    fix = f"Invite me back with `/invite @Northline` in <#{channel_id}>, then turn it on again with " + (
        "`/okr schedule digest DAY HH:MM`."
        if kind == "digest"
        else "`/sprint schedule LENGTH_WEEKS DAY HH:MM`."
    )
    text = f"I switched off the {what} of <#{channel_id}>: {reason}. {fix}"
    return {"text": text, "blocks": [section(f":warning: {text}")]}


# --- /okr schedule, /sprint schedule, /okr pause ---------------------------------------------------

OKR_SCHEDULE_USAGE = """*`/okr schedule` — when Northline posts for this channel and reminds people*
• `/okr schedule` — show this channel's weekly digest and the check-in reminder time
• `/okr schedule digest fri 16:00` — this channel's weekly digest (in your time zone)
• `/okr schedule checkin mon 10:00` — the workspace's check-in reminder (each owner's own time)
• `/okr schedule off` — no weekly digest in this channel · `/okr schedule checkin off` — no reminders
Days: mon … sun or full names; times: HH:MM on a 24-hour clock."""

SPRINT_SCHEDULE_USAGE = """*`/sprint schedule` — this channel's sprint cadence*
• `/sprint schedule` — show it
• `/sprint schedule 2 fri 10:00` — two-week sprints; the planning prompt is posted Friday 10:00 of \
the sprint's last week (your time zone)
• `/sprint schedule off` — no planning prompts in this channel
Length: 1 to 4 weeks; days: mon … sun or full names; times: HH:MM on a 24-hour clock."""

PAUSE_USAGE = """*`/okr pause` — no check-in reminders for you while you're away*
• `/okr pause` — until you `/okr resume`
• `/okr pause until 2026-12-24` — up to and including that day
• `/okr resume` — reminders again"""


def when(moment: datetime, tz: ZoneInfo) -> str:
    """ "Fri 4 Dec, 16:00" in `tz`."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def both_times(moment: datetime, channel_tz: ZoneInfo, caller_tz: ZoneInfo) -> str:
    """The same moment in the channel's time and in the caller's."""
    shown = f"{when(moment, channel_tz)} ({channel_tz.key})"
    if (
        channel_tz.key != caller_tz.key
        and moment.astimezone(channel_tz).utcoffset() != moment.astimezone(caller_tz).utcoffset()
    ):
        shown += f" — {when(moment, caller_tz)} your time ({caller_tz.key})"
    elif channel_tz.key != caller_tz.key:
        shown += " — the same time where you are"
    return shown


@dataclass
class ScheduleLine:
    """One schedule, described for a person: what, when (weekly), whether on, and the next post."""

    title: str
    weekly: str  # "Fridays at 16:00 (Europe/London)"
    enabled: bool
    next_post: str | None = None  # both_times(...) of the next occurrence
    note: str = ""  # "default", "switched off: I was removed from the channel", …


def schedule_answer(headline: str, lines: Sequence[ScheduleLine], footer: str = "") -> dict:
    blocks = [section(headline)] if headline else []
    text_lines = [headline] if headline else []
    for line in lines:
        state = "" if line.enabled else " — *off*"
        body = f"*{line.title}*: {line.weekly}{state}"
        if line.note:
            body += f"\n_{line.note}_"
        if line.enabled and line.next_post:
            body += f"\nNext: {line.next_post}"
        blocks.append(section(body))
        text_lines.append(body)
    if footer:
        blocks.append(context(footer))
        text_lines.append(footer)
    return {"response_type": "ephemeral", "text": _fallback(text_lines), "blocks": blocks}


def weekly(weekday: int, time_of_day: str, tz_name: str | None = None, *, every_weeks: int = 1) -> str:
    every = (
        f"{day_name(weekday)}s" if every_weeks == 1 else f"every {every_weeks} weeks on {day_name(weekday)}"
    )
    where = f" ({tz_name})" if tz_name else ""
    return f"{every} at {time_of_day}{where}"


# --- the channel digest ------------------------------------------------------------------------------

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


def _pace(status) -> str:
    return f"{status.pace.emoji} {status.pace.label}"


def _change(change: float | None) -> str:
    if change is None:
        return "new this week"
    points = round(change * 100)
    if points == 0:
        return "no change since last week"
    return f"{'+' if points > 0 else '−'}{abs(points)} {'pt' if abs(points) == 1 else 'pts'} since last week"


def _obj_ref(objective) -> str:
    return format_ref(RefKind.OBJ, objective.number)


def digest_parent(data) -> dict:
    """One short message: each objective with its bar, its change since last week, its pace."""
    intro = f"*Weekly digest for <#{data.channel_id}>* · week of {data.week_start.day} {data.week_start:%b}"
    if data.cycle is not None:
        intro += f" · {data.cycle.name}"
    rows = []
    count = len(data.objectives)
    text_lines = [f"Weekly digest: {count} objective{'s' if count != 1 else ''}. Details in the thread."]
    for item in data.objectives:
        objective = item.status.objective
        rows.append(
            section(
                f"*`{_obj_ref(objective)}` {user_text(objective.title, 150)}*\n"
                f"{progress_bar(item.status.progress)} · {_change(item.change)} · {_pace(item.status)}"
            )
        )
        text_lines.append(
            f"• {_obj_ref(objective)} {user_text(objective.title, 80)}: "
            f"{progress_bar(item.status.progress)}, {_change(item.change)}, {item.status.pace.label}"
        )
    if not rows:
        rows.append(section("No active objectives in this channel. `/okr new` adds one."))
    listed = fit(
        rows,
        MESSAGE_BLOCKS - 2,
        "…and {count} more objectives: `/okr list` shows them all.",
        max_chars=MESSAGE_TEXT_BUDGET - _RESERVED_CHARS,
    )
    blocks = [section(intro), *listed]
    more = data.left_out
    if more:
        blocks.append(
            context(f"…and {more} more objective{'s' if more != 1 else ''}: `/okr list` shows them all.")
        )
    else:
        blocks.append(context("Key results, notes, missing check-ins and the sprint goal are in the thread."))
    return {"text": _fallback(text_lines), "blocks": blocks[:MESSAGE_BLOCKS]}


def _kr_line(status, note, automatic: bool = False) -> str:
    kr = status.key_result
    line = f"`{kr_ref(kr)}` {user_text(kr.title, 120)} · {progress_bar(status.progress)} · {_pace(status)}"
    if automatic:
        line += " · updated by its data source"
    if status.confidence is not None:
        line += f" · owner says {status.confidence.emoji} {status.confidence.label}"
    line += f" · <@{kr.owner_id}>"
    if note is not None:
        line += f"\n      _“{user_text(note.note, 200)}”_"
    return line


def digest_thread(data) -> list[dict]:
    """The thread: key results with confidence and notes; then what needs attention. One reply
    when both fit in a message, else as many as Slack's limits (50 blocks, ~12,000 characters of
    text a message) need."""
    lines = []
    for item in data.objectives:
        objective = item.status.objective
        lines.append(f"*`{_obj_ref(objective)}` {user_text(objective.title, 150)}*")
        if not item.status.key_results:
            lines.append("      _no key results yet_")
        for status in item.status.key_results:
            lines.append(
                _kr_line(
                    status,
                    data.latest_notes.get(status.key_result.id),
                    status.key_result.id in getattr(data, "automatic", ()),
                )
            )
    key_results = [
        section("*Key results*, their confidence and latest notes"),
        *pack(
            lines,
            max_blocks=3 * (MESSAGE_BLOCKS - 1),
            max_chars=_THREAD_KEY_RESULT_CHARS,
            overflow="…and {count} more lines: `/okr show OBJ-n` has the rest.",
        ),
    ]

    attention: list[str] = []
    disagreements = data.disagreements
    if disagreements:
        attention.append("*Numbers and owners disagree*")
        for status, sentence in disagreements:
            kr = status.key_result
            attention.append(f"• `{kr_ref(kr)}` {user_text(kr.title, 100)}: {sentence} (<@{kr.owner_id}>)")
    if data.missing:
        attention.append(f"*No check-in since Monday {data.week_start.day} {data.week_start:%b}*")
        by_owner: dict[str, list[str]] = {}
        for kr in data.missing:
            by_owner.setdefault(kr.owner_id, []).append(f"`{kr_ref(kr)}`")
        for owner, refs in by_owner.items():
            shown = ", ".join(refs[:10]) + (f" and {len(refs) - 10} more" if len(refs) > 10 else "")
            attention.append(f"• <@{owner}>: {shown}")
    else:
        attention.append("*Every key result has a check-in this week.* :tada:")
    if data.sprint_ref:
        goal = user_text(data.sprint_goal or "", 300) or "_no goal set yet_"
        head = f"*Sprint `{data.sprint_ref}` {user_text(data.sprint_name or '', 100)}*: {goal}"
        attention.append(head)
        if data.sprint_aligned:
            refs = ", ".join(f"`{kr_ref(kr)}`" for kr in data.sprint_key_results[:10])
            attention.append(f"• :white_check_mark: aligned: it serves {refs}")
        else:
            attention.append(
                "• :warning: not aligned: its goal serves no active key result. `/sprint link KR-n` links one."
            )
    else:
        attention.append("*No active sprint* in this channel. `/sprint start` plans one.")
    needs_attention = pack(attention, max_blocks=MESSAGE_BLOCKS, overflow="…and {count} more lines.")
    # As few replies as hold it all: one when everything fits (one notification for the thread's
    # followers, one call to Slack), each within 50 blocks and Slack's text budget.
    return [
        {"text": _fallback(_texts(blocks)), "blocks": blocks}
        for blocks in split([*key_results, divider(), *needs_attention])
    ]


def _texts(blocks: Sequence[dict]) -> list[str]:
    return [block["text"]["text"] for block in blocks if isinstance(block.get("text"), dict)] + [
        element["text"] for block in blocks for element in block.get("elements", []) if "text" in element
    ]


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
        intro = f"*Sprint `{ref}` {user_text(sprint.name, 100)} ends {sprint.ends_on:%a} {sprint.ends_on.day} {sprint.ends_on:%b}.*"
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
    return {"text": _fallback(lines), "blocks": blocks}


# --- nudges and cycle prompts ---------------------------------------------------------------------------


def unaligned_sprint_nudge(detail) -> dict:
    sprint = detail.sprint
    ref = format_ref(RefKind.SPR, sprint.number)
    goal = user_text(sprint.goal, 500) or "_no goal set yet_"
    text = (
        f":compass: Halfway through sprint `{ref}` {user_text(sprint.name, 100)}, its goal serves no key result.\n"
        f"Goal: {goal}\nLink the key result it moves with `/sprint link KR-n`, so the team can see why it matters."
    )
    return {"text": _fallback([text.replace("*", "")]), "blocks": [section(text)]}


def off_track_nudge(key_results: Sequence[KeyResult]) -> dict:
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
    return {"text": _fallback([intro, *lines[:30]]), "blocks": blocks}


def kra_review_prompt(cycle) -> dict:
    text = (
        f"A new cycle, *{cycle.name}*, starts today: time for the quarterly review of your Key Result Areas. "
        "Run `/kra review` to keep, change or retire each of them."
    )
    return {"text": text.replace("*", ""), "blocks": [section(text)]}


def close_cycle_prompt(cycle, objectives: Sequence) -> dict:
    lines = [f"• `{format_ref(RefKind.OBJ, o.number)}` {user_text(o.title, 150)}" for o in objectives]
    intro = (
        f"*{cycle.name}* ends {cycle.end - timedelta(days=1):%a %d %b}: time to close "
        f"and score your objective{'s' if len(objectives) != 1 else ''} with `/okr close OBJ-n`."
    )
    blocks = [
        section(intro),
        *pack(lines, max_blocks=MESSAGE_BLOCKS - 1, overflow="…and {count} more: `/okr list mine`."),
    ]
    return {"text": _fallback([intro.replace("*", ""), *lines[:30]]), "blocks": blocks}


__all__ = [
    "checkin_reminder",
    "digest_parent",
    "digest_thread",
    "pack",
    "context",
    "day_name",
    "kr_progress",
    "kr_ref",
    "kr_value",
    "user_text",
    "schedule_disabled",
]
