"""The channel digest: a short parent message that leads with what changed this week and what is
at risk (and why), then each objective's bar; its thread holds the detail (the other key results
with confidence and notes, who has not checked in, the sprint), inside Slack's limits at any size.
A key result appears in one place only: in the parent's lead, or in the thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.progress import percent
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
    text_size,
    user_text,
)
from bot.ui.dates import people_date
from bot.ui.posts import (
    RESERVED_CHARS,
    fallback,
    kr_ref,
    pack,
)
from bot.ui.progress import confidence_text, pace_text, progress_bar, progress_percent

if TYPE_CHECKING:
    from bot.services.ask import Item
from bot.ui.sources import provider

# The digest thread's key results: at most about three replies, then "…and N more lines".
_THREAD_KEY_RESULT_CHARS = 3 * MESSAGE_TEXT_BUDGET - RESERVED_CHARS
# Key results under each of the parent's two lead headings; the rest are in the thread.
LEAD_ITEMS = 8
_LEAD_TITLE_CHARS = 100
_LEAD_NOTE_CHARS = 150


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


def lead(data) -> tuple[list[Item], list[Item]]:
    """The key results the parent leads with, from the week's brief (bot/services/ask.py, the
    rules Ask Northline answers with): what moved this week and what is at risk, at most
    LEAD_ITEMS each. A key result at risk is told as such, never also as moved."""
    brief = getattr(data, "brief", None)
    if brief is None:
        return [], []
    risky = {item.ref for item in brief.at_risk}
    moved = [item for item in brief.moved if item.ref not in risky]
    return moved[:LEAD_ITEMS], brief.at_risk[:LEAD_ITEMS]


def led_refs(data) -> set[str]:
    """The KR-n the parent shows: the thread leaves them out."""
    moved, at_risk = lead(data)
    return {item.ref for item in (*moved, *at_risk)}


def _lead_line(item: Item, *, moved: Item | None, unchecked: set[str], origins: dict[str, str]) -> str:
    """One key result in the parent: how it moved this week (`moved`, its brief item), why it
    is at risk. No owner is named there: the channel's message counts, it does not point at
    people (their names are in the thread's list of missing check-ins)."""
    line = f"• `{item.ref}` {user_text(item.title, _LEAD_TITLE_CHARS)}"
    told = []
    if moved is not None and moved.before is not None and moved.progress is not None:
        told.append(f"{percent(moved.before)}% → {percent(moved.progress)}%")
    if item.why:
        told.append(item.why)
    if told:
        line += ": " + "; ".join(told)
    if item.ref in unchecked:
        line += "; no check-in this week"
    if item.ref in origins:
        line += _origin_text(origins[item.ref])
    if item.note:
        line += f"\n      _“{user_text(item.note, _LEAD_NOTE_CHARS)}”_"
    return line


def _lead_blocks(data) -> list[dict]:
    """What changed this week, then what is at risk and why: the parent's first words (none for
    a channel with no objectives: it says so instead)."""
    brief = getattr(data, "brief", None)
    if brief is None or not data.objectives:
        return []
    moved, at_risk = lead(data)
    unchecked = {kr_ref(kr) for kr in data.missing}
    automatic = getattr(data, "automatic", {})
    origins = {
        kr_ref(status.key_result): automatic[status.key_result.id]
        for item in data.objectives
        for status in item.status.key_results
        if status.key_result.id in automatic
    }
    blocks = []
    quiet = (
        "Each key result checked in this week is at risk: below."
        if brief.moved
        else "No check-ins this week."
    )
    movement = {item.ref: item for item in brief.moved}
    for title, items, total, empty in (
        ("What changed this week", moved, len(moved), quiet),
        ("At risk, and why", at_risk, len(brief.at_risk), "Nothing is at risk."),
    ):
        lines = [f"*{title}*" + ("" if items else f"\n_{empty}_")]
        lines += [
            _lead_line(item, moved=movement.get(item.ref), unchecked=unchecked, origins=origins)
            for item in items
        ]
        if total > len(items):
            lines.append(f"_…and {total - len(items)} more in the thread._")
        blocks += pack(lines, max_blocks=LEAD_ITEMS, overflow="…and {count} more lines in the thread.")
    return blocks


def _headline(data) -> str:
    count = len(data.objectives)
    text = f"Weekly digest: {count} objective{'s' if count != 1 else ''}"
    brief = getattr(data, "brief", None)
    if brief is not None:
        text += f", {len(brief.moved)} key result{'s' if len(brief.moved) != 1 else ''} moved"
        text += f", {len(brief.at_risk)} at risk"
    return text + ". Details in the thread."


def digest_parent(data) -> dict:
    """One short message: what changed and what is at risk, then each objective with its bar, its
    change since last week and its pace."""
    week = people_date(data.week_start, tz=getattr(data, "tz", None))
    intro = f"*Weekly digest for <#{data.channel_id}>* · week of {week}"
    if data.cycle is not None:
        intro += f" · {data.cycle.name}"
    rows = []
    text_lines = [_headline(data)]
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
    leading = [section(intro), *_lead_blocks(data)]
    listed = fit(
        rows,
        MESSAGE_BLOCKS - 1 - len(leading),
        "…and {count} more objectives: `/okr list` shows them all.",
        max_chars=MESSAGE_TEXT_BUDGET - RESERVED_CHARS - text_size(leading),
    )
    blocks = [*leading, *listed]
    more = data.left_out
    if more:
        note = f"…and {more} more objective{'s' if more != 1 else ''}: `/okr list` shows them all."
    else:
        note = "The other key results, their notes, missing check-ins and the sprint are in the thread."
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
        line += _origin_text(origin)
    line += confidence_text(status.pace, status.confidence)
    line += f" · <@{kr.owner_id}>"
    if note is not None:
        line += f"\n      _“{user_text(note.note, 200)}”_"
    return line


def _origin_text(origin: str) -> str:
    """ " · updated from Jira": a number that came from a data source says so."""
    named = provider(origin)
    return f" · updated from {named}" if named else " · updated by its data source"


def _key_result_lines(data, above: set[str]) -> list[str]:
    """Each objective's heading, then one line per key result not already in the parent (`above`)
    with its confidence and latest note. An objective whose key results are all above is left
    out; one with some above says how many."""
    unchecked = {kr.id for kr in data.missing}
    lines = []
    for item in data.objectives:
        objective = item.status.objective
        statuses = item.status.key_results
        rest = [status for status in statuses if kr_ref(status.key_result) not in above]
        if statuses and not rest:
            continue
        lines.append(f"*`{_obj_ref(objective)}` {user_text(objective.title, 150)}*")
        if not statuses:
            lines.append("      _no key results yet_")
        for status in rest:
            kr = status.key_result
            line = _kr_line(status, data.latest_notes.get(kr.id), getattr(data, "automatic", {}).get(kr.id))
            if kr.id in unchecked and getattr(kr, "last_checkin_at", None) is not None:
                line = line.replace(f" · <@{kr.owner_id}>", f" · no check-in this week · <@{kr.owner_id}>", 1)
            lines.append(line)
        if len(rest) < len(statuses):
            lines.append(f"      _and {len(statuses) - len(rest)} in the digest above_")
    return lines or ["_Every key result is in the digest above._"]


def _missing_lines(data) -> list[str]:
    """Who has not checked in this week: each owner and how many (the key results are marked
    where they are shown); or the all-clear."""
    if not data.missing:
        return ["*Every key result has a check-in this week.* :tada:"]
    since = people_date(data.week_start, tz=getattr(data, "tz", None))
    lines = [f"*No check-in since {since}*"]
    by_owner: dict[str, int] = {}
    for kr in data.missing:
        by_owner[kr.owner_id] = by_owner.get(kr.owner_id, 0) + 1
    for owner, count in by_owner.items():
        lines.append(f"• <@{owner}>: {count} key result{'s' if count != 1 else ''}")
    return lines


def _sprint_lines(data) -> list[str]:
    """The channel's active sprint and whether its goal serves a key result."""
    if not data.sprint_ref:
        return ["*No active sprint* in this channel. `/sprint start` plans one."]
    goal = user_text(data.sprint_goal or "", 300) or "_no goal set yet_"
    head = f"*Sprint `{data.sprint_ref}` {user_text(data.sprint_name or '', 100)}*: {goal}"
    if data.sprint_aligned:
        count = len(data.sprint_key_results)
        served = f"{count} active key result{'s' if count != 1 else ''}"
        return [head, f"• :white_check_mark: aligned: it serves {served}"]
    return [
        head,
        "• :warning: not aligned: its goal serves no active key result. `/sprint link KR-n` links one.",
    ]


def digest_thread(data) -> list[dict]:
    """The thread: the key results the parent does not show, with confidence and notes; then who
    has not checked in and the sprint. One reply when both fit in a message, else as many as
    Slack's limits (50 blocks, ~12,000 characters of text a message) need."""
    above = led_refs(data)
    heading = "*Key results*, their confidence and latest notes"
    if above:
        heading = "*The other key results*, their confidence and latest notes"
    key_results = [
        section(heading),
        *pack(
            _key_result_lines(data, above),
            max_blocks=3 * (MESSAGE_BLOCKS - 1),
            max_chars=_THREAD_KEY_RESULT_CHARS,
            overflow="…and {count} more lines: `/okr show OBJ-n` has the rest.",
        ),
    ]
    attention = [*_missing_lines(data), *_sprint_lines(data)]
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
    return texts  # fallback() makes them plain


def objective_row_action(objective) -> dict:
    """A digest row's *Show*: the objective's card with the clicker's own actions, answered to them
    alone (rights and state are checked on the click, so an old digest stays safe)."""
    return button("Show", Action.SHOW_OBJECTIVE, _obj_ref(objective))
