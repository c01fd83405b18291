"""The weekly check-in modal and what people are told after checking in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.enums import KeyResultKind
from bot.domain.limits import NOTE_MAX, UNIT_MAX
from bot.domain.numbers import format_number
from bot.domain.progress import Confidence, percent, value_progress
from bot.ids import Action, Block, Callback
from bot.ui.blocks import actions, amount, button, context, plain_user_text, section, user_text
from bot.ui.dates import people_date
from bot.ui.inputs import modal, select_input, text_input
from bot.ui.okr import kr_ref, obj_ref, value_text
from bot.ui.progress import progress_bar

if TYPE_CHECKING:
    from bot.services.checkins import CheckInModal, Recorded
    from bot.ui.shapes import CheckInView, KeyResultView, ObjectiveView

CONFIDENCES = [(c.value, c.label.capitalize()) for c in Confidence]
MILESTONE_VALUES = [("1", "Done"), ("0", "Not done")]
ONE_LINE = "/okr checkin KR-n VALUE"


def _progress(kr: KeyResultView) -> float | None:
    return value_progress(
        kr.kind == KeyResultKind.MILESTONE, kr.start_value, kr.target_value, kr.current_value
    )


def _last(checkin: CheckInView | None, kr: KeyResultView, tz: ZoneInfo = UTC) -> str:
    if checkin is None:
        return "_No check-in yet._"
    parts = [f"*{value_text(kr, checkin.value)}*"]
    if checkin.confidence:
        try:
            confidence = Confidence(checkin.confidence)
            parts.append(f"{confidence.emoji} {confidence.label}")
        except ValueError:
            pass
    parts.append(people_date(checkin.created_at, tz=tz))
    note = f"\n> {user_text(checkin.note, 500)}" if checkin.note else ""
    return "Last: " + " · ".join(parts) + note


@dataclass(frozen=True)
class Paging:
    """Where a paged check-in form stands, carried in its private_metadata."""

    rest: list[int]  # ids of the key results on the pages still to come
    first: int  # place (from 1) of the next page's first key result
    total: int
    saved: int  # check-ins recorded by *Next* so far


def page_metadata(private_metadata: str, data: CheckInModal) -> str:
    """`private_metadata` (JSON or empty) with this page's paging added: what *Next* reads."""
    try:
        kept = json.loads(private_metadata or "{}")
    except ValueError:
        kept = {}
    if not isinstance(kept, dict):
        kept = {}
    kept.pop("pages", None)
    if data.rest or data.saved:
        first = data.first + len(data.items)
        kept["pages"] = {"rest": data.rest, "first": first, "total": data.total, "saved": data.saved}
    return json.dumps(kept, separators=(",", ":")) if kept else ""


def parse_paging(view: dict) -> Paging:
    """The paging a check-in form carries; an unpaged (or unreadable) one has nothing to come."""
    try:
        pages = json.loads(view.get("private_metadata") or "{}").get("pages") or {}
        rest = [i for i in pages.get("rest", []) if isinstance(i, int) and not isinstance(i, bool)]
        return Paging(
            rest, int(pages.get("first", 1)), int(pages.get("total", 0)), int(pages.get("saved", 0))
        )
    except (ValueError, AttributeError, TypeError):
        return Paging([], 1, 0, 0)


def page_problems(view: dict, fields: dict[str, str]) -> str:
    """Field errors of a page *Next* could not save, told in a DM: each under its field's label
    (the value's label names the key result)."""
    labels = {
        block.get("block_id"): (block.get("label") or {}).get("text", "")
        for block in view.get("blocks") or []
        if block.get("type") == "input"
    }
    refs = {
        block_id.split("_")[1]: label.split(" ")[0]
        for block_id, label in labels.items()
        if str(block_id).endswith("_value")
    }
    lines = ["*Next* saved nothing on this page; fix these and press it again:"]
    for block_id, message in fields.items():
        ref = refs.get(str(block_id).split("_")[1] if "_" in str(block_id) else "", "")
        label = labels.get(block_id, "")
        where = label if label.startswith(ref) else f"{ref} {label.lower()}".strip()
        lines.append(f"• {where}: {message}")
    return "\n".join(lines)


def checkin_modal(data: CheckInModal, tz: ZoneInfo = UTC, private_metadata: str = "") -> dict:
    """One page (at most ten key results) of the check-in form. `tz`: the reader's, for the dates
    of their last check-ins. `private_metadata`: where the form was opened from (a reminder DM to
    redraw once it is submitted); the paging is added to it."""
    intro = (
        "Your key results, most overdue first. Change a value, pick your confidence or add a note; "
        "rows you leave untouched are not checked in."
    )
    if data.rest:
        intro += " *Next* saves this page and shows the next."
    blocks: list[dict] = [section(intro)]
    for kr, objective in data.items:
        blocks += _rows(kr, objective, data.last.get(kr.id), tz)
    paged = data.rest or data.first > 1
    if paged:
        last_shown = data.first + len(data.items) - 1
        where = f"Key results {data.first}–{last_shown} of {data.total}."
        if data.saved:
            where += f" {data.saved} check-in{'s' if data.saved != 1 else ''} saved on earlier pages."
        blocks.append(context(where))
    if data.rest:
        blocks.append(actions(button("Next", Action.CHECKIN_NEXT, style="primary")))
    return modal(
        Callback.CHECKIN,
        "Weekly check-in",
        blocks,
        submit="Check in",
        private_metadata=page_metadata(private_metadata, data),
    )


def _rows(kr: KeyResultView, objective: ObjectiveView, last: CheckInView | None, tz: ZoneInfo) -> list[dict]:
    if kr.kind == KeyResultKind.MILESTONE:
        target = "milestone: done or not done"
    else:
        target = f"{amount(kr.start_value, kr.unit)} → {amount(kr.target_value, kr.unit)}"
    heading = (
        f"*`{kr_ref(kr)}` {user_text(kr.title, 150)}*  ·  `{progress_bar(_progress(kr))}`\n"
        f"{target} · in `{obj_ref(objective)}` {user_text(objective.title, 100)}\n{_last(last, kr, tz)}"
    )
    if kr.kind == KeyResultKind.MILESTONE:
        initial = None if kr.current_value is None else ("1" if kr.current_value >= 1 else "0")
        value = select_input(
            Block.CHECKIN_VALUE.of(id=kr.id),
            f"{kr_ref(kr)} status",
            MILESTONE_VALUES,
            initial=initial,
            optional=True,
        )
    else:
        unit = f" ({plain_user_text(kr.unit, UNIT_MAX)})" if kr.unit else ""
        value = text_input(
            Block.CHECKIN_VALUE.of(id=kr.id),
            f"{kr_ref(kr)} value now{unit}",
            initial=format_number(kr.current_value) if kr.current_value is not None else None,
            optional=True,
            max_length=64,
            placeholder=f"start: {format_number(kr.start_value)}, target: {format_number(kr.target_value)}",
        )
    return [
        section(heading),
        value,
        select_input(
            Block.CHECKIN_CONFIDENCE.of(id=kr.id),
            "Confidence",
            CONFIDENCES,
            initial=kr.last_confidence,
            optional=True,
        ),
        text_input(
            Block.CHECKIN_NOTE.of(id=kr.id), "Note", optional=True, multiline=True, max_length=NOTE_MAX
        ),
    ]


def streak_line(weeks: int) -> str:
    """Told to the person alone, after their own check-in: how many weeks in a row, kindly."""
    if weeks <= 0:
        return ""
    if weeks == 1:
        return "That's your check-in for this week. Thank you!"
    return f"That makes {weeks} weeks in a row you've checked in. Thank you!"


def recorded_message(recorded: Sequence[Recorded], weeks_in_a_row: int = 0, earlier: int = 0) -> str:
    """`weeks_in_a_row`: the person's run of weeks with a check-in (0: not said). `earlier`:
    check-ins the same form saved with *Next* before."""
    if not recorded and not earlier:
        return "Nothing new to record: those check-ins were already saved."
    lines = ["Checked in:"]
    if earlier:
        lines.append(f"• {earlier} key result{'s' if earlier != 1 else ''} on the form's earlier pages")
    for item in recorded:
        kr, check_in = item.key_result, item.check_in
        progress = _progress(kr)
        shown = f" ({percent(progress)}%)" if progress is not None else ""
        confidence = f" · {check_in.confidence.replace('_', ' ')}" if check_in.confidence else ""
        note = f" — {user_text(check_in.note, 200)}" if check_in.note else ""
        lines.append(
            f"• `{kr_ref(kr)}` {user_text(kr.title, 120)}: *{value_text(kr, check_in.value)}*{shown}{confidence}{note}"
        )
    if weeks_in_a_row > 0:
        lines.append(streak_line(weeks_in_a_row))
    return "\n".join(lines)
