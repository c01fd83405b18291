"""The channel digest: a short parent message (objectives, bars, pace) and its thread (key results,
confidence, notes, what needs attention), inside Slack's limits at any size.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.references import RefKind, format_ref
from bot.ids import Action
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    button,
    context,
    divider,
    fit,
    section,
    split,
    user_text,
)
from bot.ui.posts import (
    RESERVED_CHARS,
    fallback,
    kr_ref,
    pack,
)
from bot.ui.progress import confidence_text, pace_text, progress_bar, progress_percent, without_bars
from bot.ui.sources import provider

# The digest thread's key results: at most about three replies, then "…and N more lines".
_THREAD_KEY_RESULT_CHARS = 3 * MESSAGE_TEXT_BUDGET - RESERVED_CHARS


def _pace(status) -> str:
    return pace_text(status.pace)


def change_text(change: float | None) -> str:
    if change is None:
        return "new this week"
    points = round(change * 100)
    if points == 0:
        return "no change since last week"
    return f"{'+' if points > 0 else '−'}{abs(points)} {'pt' if abs(points) == 1 else 'pts'} since last week"


def _obj_ref(objective) -> str:
    return format_ref(RefKind.OBJ, objective.number)


def participation(checked_in: int, owners: int) -> str:
    """How many of the people owning the digest's key results checked in this week: a count,
    never names (the thread already lists what is missing)."""
    if owners <= 0:
        return ""
    return f"{checked_in} of {owners} owner{'s' if owners != 1 else ''} checked in this week"


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
                f"{progress_bar(item.status.progress)} · {change_text(item.change)} · {_pace(item.status)}",
                accessory=objective_row_action(objective),
            )
        )
        text_lines.append(
            f"• {_obj_ref(objective)} {user_text(objective.title, 80)}: "
            f"{progress_percent(item.status.progress)}, {change_text(item.change)}, {item.status.pace.label}"
        )
    if not rows:
        rows.append(section("No active objectives in this channel. `/okr new` adds one."))
    listed = fit(
        rows,
        MESSAGE_BLOCKS - 2,
        "…and {count} more objectives: `/okr list` shows them all.",
        max_chars=MESSAGE_TEXT_BUDGET - RESERVED_CHARS,
    )
    blocks = [section(intro), *listed]
    more = data.left_out
    if more:
        note = f"…and {more} more objective{'s' if more != 1 else ''}: `/okr list` shows them all."
    else:
        note = "Key results, notes, missing check-ins and the sprint goal are in the thread."
    told = participation(getattr(data, "owners_checked_in", 0), getattr(data, "owners", 0))
    footer = f"{told} · {note}" if told else note
    updated = updated_mark(data)
    if updated:
        footer += f" · {updated}"
        text_lines.append(updated)
    blocks.append(context(footer))
    if told:
        text_lines.append(told)
    return {"text": fallback(text_lines), "blocks": blocks[:MESSAGE_BLOCKS]}


def updated_mark(data) -> str:
    """ "updated 17:42" on a digest updated in place after a later check-in; "" on the first post."""
    at = getattr(data, "updated", None)
    return f"updated {at}" if at else ""


def _kr_line(status, note, origin: str | None = None) -> str:
    kr = status.key_result
    line = f"`{kr_ref(kr)}` {user_text(kr.title, 120)} · {progress_bar(status.progress)} · {_pace(status)}"
    if origin is not None:
        named = provider(origin)
        line += f" · updated from {named}" if named else " · updated by its data source"
    line += confidence_text(status.pace, status.confidence)
    line += f" · <@{kr.owner_id}>"
    if note is not None:
        line += f"\n      _“{user_text(note.note, 200)}”_"
    return line


def _key_result_lines(data) -> list[str]:
    """Each objective's heading, then one line per key result with its confidence and latest note."""
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
                    getattr(data, "automatic", {}).get(status.key_result.id),
                )
            )
    return lines


def _disagreement_lines(disagreements) -> list[str]:
    if not disagreements:
        return []
    lines = ["*Numbers and owners disagree*"]
    for status, sentence in disagreements:
        kr = status.key_result
        lines.append(f"• `{kr_ref(kr)}` {user_text(kr.title, 100)}: {sentence} (<@{kr.owner_id}>)")
    return lines


def _missing_lines(data) -> list[str]:
    """Who has not checked in this week, grouped by owner; or the all-clear."""
    if not data.missing:
        return ["*Every key result has a check-in this week.* :tada:"]
    lines = [f"*No check-in since Monday {data.week_start.day} {data.week_start:%b}*"]
    by_owner: dict[str, list[str]] = {}
    for kr in data.missing:
        by_owner.setdefault(kr.owner_id, []).append(f"`{kr_ref(kr)}`")
    for owner, refs in by_owner.items():
        shown = ", ".join(refs[:10]) + (f" and {len(refs) - 10} more" if len(refs) > 10 else "")
        lines.append(f"• <@{owner}>: {shown}")
    return lines


def _sprint_lines(data) -> list[str]:
    """The channel's active sprint and whether its goal serves a key result."""
    if not data.sprint_ref:
        return ["*No active sprint* in this channel. `/sprint start` plans one."]
    goal = user_text(data.sprint_goal or "", 300) or "_no goal set yet_"
    head = f"*Sprint `{data.sprint_ref}` {user_text(data.sprint_name or '', 100)}*: {goal}"
    if data.sprint_aligned:
        refs = ", ".join(f"`{kr_ref(kr)}`" for kr in data.sprint_key_results[:10])
        return [head, f"• :white_check_mark: aligned: it serves {refs}"]
    return [
        head,
        "• :warning: not aligned: its goal serves no active key result. `/sprint link KR-n` links one.",
    ]


def digest_thread(data) -> list[dict]:
    """The thread: key results with confidence and notes; then what needs attention. One reply
    when both fit in a message, else as many as Slack's limits (50 blocks, ~12,000 characters of
    text a message) need."""
    key_results = [
        section("*Key results*, their confidence and latest notes"),
        *pack(
            _key_result_lines(data),
            max_blocks=3 * (MESSAGE_BLOCKS - 1),
            max_chars=_THREAD_KEY_RESULT_CHARS,
            overflow="…and {count} more lines: `/okr show OBJ-n` has the rest.",
        ),
    ]
    attention = [*_disagreement_lines(data.disagreements), *_missing_lines(data), *_sprint_lines(data)]
    needs_attention = pack(attention, max_blocks=MESSAGE_BLOCKS, overflow="…and {count} more lines.")
    # As few replies as hold it all: one when everything fits (one notification for the thread's
    # followers, one call to Slack), each within 50 blocks and Slack's text budget.
    parts = split([*key_results, divider(), *needs_attention])
    updated = updated_mark(data)
    if updated:
        parts = [[*blocks, context(updated)] if len(blocks) < MESSAGE_BLOCKS else blocks for blocks in parts]
    return [{"text": fallback(_texts(blocks)), "blocks": blocks} for blocks in parts]


def _texts(blocks: Sequence[dict]) -> list[str]:
    texts = [block["text"]["text"] for block in blocks if isinstance(block.get("text"), dict)] + [
        element["text"] for block in blocks for element in block.get("elements", []) if "text" in element
    ]
    return [without_bars(text) for text in texts]


def objective_row_action(objective) -> dict:
    """A digest row's *Show*: the objective's card with the clicker's own actions, answered to them
    alone (rights and state are checked on the click, so an old digest stays safe)."""
    return button("Show", Action.SHOW_OBJECTIVE, _obj_ref(objective))
