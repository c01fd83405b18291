"""The weekly check-in reminder DM: Block Kit plus a plain-text fallback, inside Slack's limits.

Each key result listed gets one row to check in from the message itself: a confidence choice,
a box for a new value (Enter sends it: dispatch_action), *No change* and *Add a note*. After a
click the message is built again from the same key results: the ones checked in this week show
as done, with what was recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.enums import KeyResultKind
from bot.domain.limits import UNIT_MAX
from bot.domain.progress import Confidence
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import period_of
from bot.ids import Action, Block
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    actions,
    button,
    context,
    header,
    plain_text,
    plain_user_text,
    section,
    text_size,
    user_text,
)
from bot.ui.checkin import streak_line
from bot.ui.dates import people_date, plain_dates
from bot.ui.digest import change_text
from bot.ui.posts import RESERVED_CHARS, fallback, kr_progress, kr_ref, kr_value
from bot.ui.progress import progress_bar

if TYPE_CHECKING:
    from bot.ui.shapes import KeyResultView

# A row is three blocks (the key result with its confidence, the value box, the buttons); the
# header, the intro, the "N more" note and the full form's button take four: 15 rows in 50.
ROW_BLOCKS = 3
ROWS_MAX = (MESSAGE_BLOCKS - 4) // ROW_BLOCKS
CONFIDENCES = [(c.value, c.label.capitalize()) for c in Confidence]


@dataclass(frozen=True)
class WeekExtras:
    """What else the week asks of the person (bot/jobs/weekly.py), shown as sections of the
    reminder instead of separate DMs. Plain values and detached rows."""

    off_track: Sequence[KeyResultView] = ()
    review: object | None = None  # the Cycle whose start calls for `/kra review`
    closing: object | None = None  # the Cycle whose objectives are to be closed and scored
    closing_objectives: Sequence = ()
    sprints: Sequence[tuple[str, str, str]] = ()  # (SPR-n, channel id, goal)
    failing: Sequence[tuple[KeyResultView, str]] = ()  # (key result, the source's last error)

    def sections(self) -> list[str]:
        """One mrkdwn text per section, in the order they are shown."""
        parts = []
        if self.off_track:
            lines = "\n".join(
                f"• `{kr_ref(kr)}` {user_text(kr.title, 100)} · {kr_value(kr)}" for kr in self.off_track[:10]
            )
            parts.append(
                "*Off track at the last two check-ins, and no sprint works on it:*\n"
                + lines
                + "\nBring it to your team's next sprint planning (`/sprint link KR-n`), or adjust the target."
            )
        if self.review is not None:
            parts.append(
                f"*A new cycle, {self.review.name}, starts {people_date(self.review.start)}:* time for the quarterly "
                "review of your Key Result Areas with `/kra review`."
            )
        if self.closing is not None:
            refs = ", ".join(f"`{format_ref(RefKind.OBJ, o.number)}`" for o in self.closing_objectives[:10])
            parts.append(
                f"*{self.closing.name} ends {people_date(self.closing.end - timedelta(days=1))}:* close and score "
                f"{refs} with `/okr close OBJ-n`."
            )
        for ref, channel_id, goal in self.sprints[:5]:
            parts.append(
                f"*Your sprint `{ref}` in <#{channel_id}> serves no key result:* “{user_text(goal, 200)}”. "
                "Link it with `/sprint link KR-n`."
            )
        for kr, error in self.failing[:5]:
            parts.append(
                f"*The data source of `{kr_ref(kr)}` is failing:* {user_text(error, 300)}. `/okr sync` tries again."
            )
        return parts


# --- check-in reminder ----------------------------------------------------------------------------


def checkin_reminder(
    key_results: Sequence[KeyResultView],
    *,
    week_start: date,
    tz: ZoneInfo,
    synced: Collection[int] = (),
    done: Collection[int] = (),
    gone: int = 0,
    weeks_in_a_row: int = 0,
    extras: WeekExtras | None = None,
    again: bool = False,
) -> dict:
    """The DM listing `key_results` (`done`: those checked in this week; `gone`: how many it
    listed before that were closed or removed since). A key result bound to a data source
    (`synced`) updates its own number: the owner is asked only for their confidence.
    `weeks_in_a_row`: the owner's run, told after a check-in they just made here (0: not said).
    `extras`: what else the week asks of them, as sections; `again`: the week's one second nudge."""
    pending = [kr for kr in key_results if kr.id not in done]
    intro = _intro(len(pending), len(key_results) - len(pending), gone, week_start)
    if again:
        intro = "A second nudge, the only one this week. " + intro
    extra = extras.sections() if extras is not None else []
    if weeks_in_a_row:
        intro += "\n" + streak_line(weeks_in_a_row)
    rows = [_done_row(kr, tz) if kr.id in done else _row(kr, tz, kr.id in synced) for kr in key_results]
    listed, left_out = _fit(rows, reserved=len(extra))
    blocks = [header("Weekly check-in"), section(intro), *[b for row in listed for b in row]]
    blocks += [section(part) for part in extra]
    if left_out:
        blocks.append(
            context(
                f"…and {left_out} more not shown here: *Check in* opens the form with all of them, "
                "or use `/okr checkin KR-n VALUE`."
            )
        )
    if pending or left_out:
        week = period_of(week_start)
        blocks.append(
            actions(
                button("Check in", Action.OPEN_CHECKIN, "weekly", style="primary"),
                button("Remind me later today", Action.REMINDER_LATER, week),
                button("Tomorrow", Action.REMINDER_TOMORROW, week),
                button("Skip this week", Action.REMINDER_SKIP, week),
            )
        )
    text_lines = [intro, *(part.replace("*", "") for part in extra)] + [
        f"• {kr_ref(kr)} {user_text(kr.title, 100)}: {kr_value(kr)}" for kr in pending[:30]
    ]
    if len(pending) > 30:
        text_lines.append(f"…and {len(pending) - 30} more.")
    if pending:
        text_lines.append("Check in with /okr checkin.")
    return {"text": fallback([plain_dates(line) for line in text_lines]), "blocks": blocks}


def _intro(pending: int, done: int, gone: int, week_start: date) -> str:
    plural = "s" if pending != 1 else ""
    if not done and not gone:
        return (
            f"Time for your weekly check-in: {pending} key result{plural} "
            f"{'have' if pending != 1 else 'has'} no check-in this week; the last one due was "
            f"for the week of {people_date(week_start - timedelta(days=7))}. "
            "*No change* keeps a number as it is; or type the new one and press Enter."
        )
    parts = [f"{done} checked in this week" if done else "", f"{pending} left" if pending else ""]
    if gone:
        parts.append(f"{gone} closed or removed since this reminder was sent")
    told = ", ".join(p for p in parts if p)
    if not pending:
        return f"All done for the week of {people_date(week_start)}: {told}."
    return f"Week of {people_date(week_start)}: {told}."


def _fit(rows: list[list[dict]], reserved: int = 0) -> tuple[list[list[dict]], int]:
    """As many rows as fit in the blocks (less `reserved` for the week's sections) and the text
    Slack takes; how many were left out."""
    kept: list[list[dict]] = []
    size = reserved * 600  # a section's text, at most (ten lines of a hundred characters, or less)
    for row in rows[: (MESSAGE_BLOCKS - 4 - reserved) // ROW_BLOCKS]:
        size += text_size(row)
        if size > MESSAGE_TEXT_BUDGET - RESERVED_CHARS:
            break
        kept.append(row)
    return kept, len(rows) - len(kept)


def _heading(kr: KeyResultView, tz: ZoneInfo) -> str:
    objective = getattr(kr, "objective", None)
    under = (
        f" · {format_ref(RefKind.OBJ, objective.number)} {user_text(objective.title, 60)}"
        if objective
        else ""
    )
    last = (
        "never checked in"
        if kr.last_checkin_at is None
        else f"last check-in {_local_day(kr.last_checkin_at, tz)}"
    )
    return (
        f"*`{kr_ref(kr)}` {user_text(kr.title, 120)}*\n{progress_bar(kr_progress(kr))} · {kr_value(kr)}\n"
        f"_{last}{under}_"
    )


def _row(kr: KeyResultView, tz: ZoneInfo, synced: bool) -> list[dict]:
    confidence = _confidence_select(kr.last_confidence)
    asked = "\n_The number updated itself from its data source: how confident are you?_" if synced else ""
    row = [section(_heading(kr, tz) + asked, accessory=confidence, block_id=Block.REMINDER_ROW.of(id=kr.id))]
    if not synced:
        row.append(_value_box(kr))
    row.append(
        actions(
            button("Confirm" if synced else "No change", Action.REMINDER_SAME, str(kr.id)),
            button("Add a note", Action.REMINDER_NOTE, str(kr.id)),
            block_id=Block.REMINDER_BUTTONS.of(id=kr.id),
        )
    )
    return row


def _confidence_select(initial: str | None) -> dict:
    """StaticSelectElement(…).to_dict() written out; starts at the last confidence."""
    options = [{"text": plain_text(label), "value": value} for value, label in CONFIDENCES]
    select: dict = {
        "type": "static_select",
        "action_id": Action.REMINDER_CONFIDENCE,
        "placeholder": plain_text("Confidence"),
        "options": options,
    }
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        select["initial_option"] = chosen
    return select


def _value_box(kr: KeyResultView) -> dict:
    """An input block that sends its value on Enter (dispatch_action), written out. Text, not a
    number_input: it takes what the form and `/okr checkin` take ("1,500", "45%", "done")."""
    if kr.kind == KeyResultKind.MILESTONE:
        label, placeholder = f"{kr_ref(kr)} now", "done or not done, then Enter"
    else:
        unit = f" ({plain_user_text(kr.unit, UNIT_MAX)})" if kr.unit else ""
        label, placeholder = f"{kr_ref(kr)} new value{unit}", "type the value now, then Enter"
    return {
        "type": "input",
        "block_id": Block.REMINDER_VALUE.of(id=kr.id),
        "dispatch_action": True,
        "label": plain_text(label),
        "element": {
            "type": "plain_text_input",
            "action_id": Action.REMINDER_VALUE,
            "max_length": 64,
            "placeholder": plain_text(placeholder),
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        },
        "optional": True,
    }


def _done_row(kr: KeyResultView, tz: ZoneInfo) -> list[dict]:
    confidence = ""
    if kr.last_confidence in {c.value for c in Confidence}:
        chosen = Confidence(kr.last_confidence)
        confidence = f" · {chosen.emoji} {chosen.label}"
    when = _local_day(kr.last_checkin_at, tz) if kr.last_checkin_at else ""
    return [
        section(
            f":white_check_mark: *`{kr_ref(kr)}` {user_text(kr.title, 120)}*\n"
            f"Checked in {when}: *{kr_value(kr)}*{confidence}",
            block_id=Block.REMINDER_ROW.of(id=kr.id),
        )
    ]


def _local_day(moment: datetime, tz: ZoneInfo) -> str:
    return people_date(moment, tz=tz)


# --- objectives the person follows ------------------------------------------------------------------

FOLLOWED_SHOWN = 10


@dataclass(frozen=True)
class Movement:
    """One followed objective's week, in plain values."""

    number: int
    title: str
    progress: float
    change: float | None  # since a week ago; None: no history then


def followed_section(movements: Sequence[Movement]) -> list[dict]:
    """ "Objectives you follow": each one's progress and its change over the week (one block)."""
    if not movements:
        return []
    lines = ["*Objectives you follow*"]
    for item in movements[:FOLLOWED_SHOWN]:
        lines.append(
            f"• `{format_ref(RefKind.OBJ, item.number)}` {user_text(item.title, 80)}: "
            f"{progress_bar(item.progress)} · {change_text(item.change)}"
        )
    if len(movements) > FOLLOWED_SHOWN:
        lines.append(f"…and {len(movements) - FOLLOWED_SHOWN} more: `/okr show OBJ-n` has each.")
    return [section("\n".join(lines), block_id=Block.REMINDER_FOLLOWED)]


def with_followed(build: Callable[[], dict], movements: Sequence[Movement]) -> dict:
    """The reminder `build` makes, with the followed objectives' section after its key results
    when the message has room for it (Slack's 50 blocks, its text budget)."""
    return _with_section(build(), followed_section(movements))


def keep_followed(message: dict, shown: Sequence[dict] | None) -> dict:
    """The reminder drawn again after a click in it, keeping the followed objectives' section
    the message showed (`shown`: its blocks as Slack sent them with the click)."""
    kept = [b for b in shown or () if isinstance(b, dict) and b.get("block_id") == Block.REMINDER_FOLLOWED]
    return _with_section(message, kept[:1])


def _with_section(message: dict, extra: list[dict]) -> dict:
    blocks = message.get("blocks") or []
    if not extra or len(blocks) + len(extra) > MESSAGE_BLOCKS:
        return message
    if text_size(blocks) + text_size(extra) > MESSAGE_TEXT_BUDGET - RESERVED_CHARS:
        return message
    keep_last = 1 if blocks and blocks[-1].get("type") == "actions" else 0
    at = len(blocks) - keep_last
    text = fallback([message["text"], *(plain_dates(block["text"]["text"]) for block in extra)])
    return {**message, "text": text, "blocks": [*blocks[:at], *extra, *blocks[at:]]}
