"""The weekly check-in modal and what people are told after checking in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.enums import KeyResultKind
from bot.domain.limits import NOTE_MAX, UNIT_MAX
from bot.domain.numbers import format_number
from bot.domain.progress import Confidence, percent, value_progress
from bot.ids import Block, Callback
from bot.ui.blocks import amount, context, local_day, plain_user_text, section, user_text
from bot.ui.inputs import modal, select_input, text_input
from bot.ui.okr import kr_ref, obj_ref, value_text
from bot.ui.progress import progress_bar

if TYPE_CHECKING:
    from bot.services.checkins import CheckInModal, Recorded
    from storage.models import CheckIn, KeyResult, Objective

CONFIDENCES = [(c.value, c.label.capitalize()) for c in Confidence]
MILESTONE_VALUES = [("1", "Done"), ("0", "Not done")]
ONE_LINE = "/okr checkin KR-n VALUE"


def _progress(kr: KeyResult) -> float | None:
    return value_progress(
        kr.kind == KeyResultKind.MILESTONE, kr.start_value, kr.target_value, kr.current_value
    )


def _last(checkin: CheckIn | None, kr: KeyResult, tz: ZoneInfo = UTC) -> str:
    if checkin is None:
        return "_No check-in yet._"
    parts = [f"*{value_text(kr, checkin.value)}*"]
    if checkin.confidence:
        try:
            confidence = Confidence(checkin.confidence)
            parts.append(f"{confidence.emoji} {confidence.label}")
        except ValueError:
            pass
    parts.append(local_day(checkin.created_at, tz))
    note = f"\n> {user_text(checkin.note, 500)}" if checkin.note else ""
    return "Last: " + " · ".join(parts) + note


def checkin_modal(data: CheckInModal, tz: ZoneInfo = UTC, private_metadata: str = "") -> dict:
    """`tz`: the reader's, for the dates of their last check-ins. `private_metadata`: where the
    form was opened from (a reminder DM to redraw once it is submitted)."""
    blocks: list[dict] = [
        section(
            "Your key results, most overdue first. Change a value, pick your confidence or add a note; "
            "rows you leave untouched are not checked in."
        )
    ]
    for kr, objective in data.items:
        blocks += _rows(kr, objective, data.last.get(kr.id), tz)
    if data.left_out:
        blocks.append(
            context(
                f"{data.left_out} more not shown — check in on them with `{ONE_LINE}` (`/okr list mine` lists them)."
            )
        )
    return modal(
        Callback.CHECKIN, "Weekly check-in", blocks, submit="Check in", private_metadata=private_metadata
    )


def _rows(kr: KeyResult, objective: Objective, last: CheckIn | None, tz: ZoneInfo) -> list[dict]:
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


def recorded_message(recorded: Sequence[Recorded], weeks_in_a_row: int = 0) -> str:
    """`weeks_in_a_row`: the person's run of weeks with a check-in (0: not said)."""
    if not recorded:
        return "Nothing new to record: those check-ins were already saved."
    lines = ["Checked in:"]
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
