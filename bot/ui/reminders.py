"""The Monday check-in reminder DM: Block Kit plus a plain-text fallback, inside Slack's limits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.references import RefKind, format_ref
from bot.ids import Action
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    actions,
    button,
    fit,
    header,
    section,
    user_text,
)
from bot.ui.posts import (
    RESERVED_BLOCKS,
    RESERVED_CHARS,
    fallback,
    kr_progress,
    kr_ref,
    kr_value,
)
from bot.ui.progress import progress_bar

if TYPE_CHECKING:
    from storage.models import KeyResult

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
        MESSAGE_BLOCKS - RESERVED_BLOCKS,
        "…and {count} more: run `/okr checkin` or open App Home.",
        max_chars=MESSAGE_TEXT_BUDGET - RESERVED_CHARS,
    )
    blocks = [header("Weekly check-in"), section(intro), *listed, button_block]
    text_lines = [intro] + [
        f"• {kr_ref(kr)} {user_text(kr.title, 100)}: {kr_value(kr)}" for kr in key_results[:30]
    ]
    if count > 30:
        text_lines.append(f"…and {count - 30} more.")
    text_lines.append("Check in with /okr checkin.")
    return {"text": fallback(text_lines), "blocks": blocks}


def _local_day(moment: datetime, tz: ZoneInfo) -> str:
    from datetime import UTC

    return moment.replace(tzinfo=UTC).astimezone(tz).strftime("%a %d %b")
