"""App Home's *Change* of one's own reminders, parsed: every problem under its field, nothing
stored until the whole form is valid."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.preferences import MessageKind
from bot.domain.schedule_time import WEEKDAYS, format_time, parse_time
from bot.errors import Invalid
from bot.forms.state import flatten, text
from bot.ids import Block

TEAM_DAY = "team"


def parse_my_reminders(
    view: dict, work_days: Iterable[int]
) -> tuple[int | None, str | None, frozenset[MessageKind]]:
    """(own weekday or None for the team's, own "HH:MM" or None for the team's, kinds switched off)."""
    values = flatten(view)
    errors: dict[str, str] = {}
    day = values.get(Block.MY_DAY) or TEAM_DAY
    weekday = None
    if day != TEAM_DAY:
        weekday = int(day) if str(day).isdigit() else 0
        if weekday not in set(work_days):
            days = ", ".join(WEEKDAYS[d - 1][:3] for d in sorted(work_days))
            errors[Block.MY_DAY] = f"Pick a day of the team's work week ({days}), or the team's day."
    typed = text(values.get(Block.MY_TIME))
    time_of_day = None
    if typed:
        try:
            time_of_day = format_time(parse_time(typed))
        except ValueError as error:
            errors[Block.MY_TIME] = str(error)
    on = {MessageKind(v) for v in values.get(Block.MY_KINDS) or [] if v in {k.value for k in MessageKind}}
    if errors:
        raise Invalid("Please fix the fields marked.", fields=errors)
    return weekday, time_of_day, frozenset(MessageKind) - on
