"""Answers to `/okr remind`, to the reminder's snooze buttons, and the admins' count of kinds
switched off in `/okr settings`. Pure functions of plain values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.preferences import MessageKind
from bot.domain.schedule_time import WEEKDAYS
from bot.ids import Action, Block, Callback
from bot.ui.blocks import button, context, ephemeral, header, plain_text, section
from bot.ui.dates import people_moment, plain_dates
from bot.ui.inputs import _input, modal, select_input

REMIND_USAGE = """*`/okr remind` — your own reminders*
• `/okr remind` — show your reminder day and time and what you switched off
• `/okr remind tue 09:30` — your check-in reminder on another day of the team's work week, at a time of your own day
• `/okr remind off` · `/okr remind on` — your weekly check-in reminder off or on
• `/okr remind off nudges` · `/okr remind on nudges` — one kind of message: checkin, nudges, sprints, reviews, sources
• `/okr remind reset` — back to the team's day and time, everything on"""

USAGE_LINE = (
    "• `/okr remind [DAY HH:MM | off [KIND] | on [KIND] | reset]` — your own reminder day, time and kinds"
)


def _day(weekday: int) -> str:
    return WEEKDAYS[weekday - 1].capitalize()


def my_reminders(headline: str, mine) -> dict:
    """`mine` is bot.services.preferences.MyReminders."""
    slot = f"{_day(mine.slot.weekday)} at {mine.slot.time_of_day} ({mine.tz.key})"
    if not mine.team_enabled:
        when = "The team's weekly check-in reminder is switched off (`/okr schedule`)."
    elif MessageKind.CHECKIN in mine.muted:
        when = f"Your weekly check-in reminder is *off*; `/okr remind on` brings it back ({slot})."
    else:
        own = (
            f" (the team's is {_day(mine.team_weekday)} at {mine.team_time})"
            if mine.own_day_or_time
            else " (the team's)"
        )
        when = (
            f"Your weekly check-in reminder: *{slot}*{own}. Next: {people_moment(mine.next_due, tz=mine.tz)}."
        )
    kinds = "\n".join(
        f"{'• off' if kind in mine.muted else '• on'} — {kind.label} (`{kind.value}`)" for kind in MessageKind
    )
    text = "\n".join(part for part in (headline, when) if part)
    blocks = [section(text), section(kinds), context("`/okr remind help` shows how to change them.")]
    return ephemeral(plain_dates(text), blocks)


def reminders_line(mine) -> str:
    """App Home's one line about the person's own reminders, and how to change them."""
    if not mine.team_enabled:
        when = "The team's weekly check-in reminder is off"
    elif MessageKind.CHECKIN in mine.muted:
        when = "Your weekly check-in reminder is off"
    else:
        when = f"Your weekly check-in reminder: {_day(mine.slot.weekday)} at {mine.slot.time_of_day} ({mine.tz.key})"
    off = [kind.label for kind in MessageKind if kind in mine.muted and kind != MessageKind.CHECKIN]
    switched = f" · switched off: {', '.join(off)}" if off else ""
    return f":alarm_clock: {when}{switched}. Change it with `/okr remind`."


def reminders_modal(mine, work_days) -> dict:
    """App Home's *Change*: one's own day (of the team's work week) and time, and the kinds on."""
    team_day = f"The team's ({_day(mine.team_weekday)})"
    days = [("team", team_day)] + [(str(d), _day(d)) for d in sorted(work_days)]
    own_day = str(mine.slot.weekday) if mine.slot.weekday != mine.team_weekday else "team"
    own_time = mine.slot.time_of_day if mine.slot.time_of_day != mine.team_time else None
    options = [{"text": plain_text(kind.label.capitalize()), "value": kind.value} for kind in MessageKind]
    on = [o for o in options if MessageKind(o["value"]) not in mine.muted]
    kinds: dict = {"type": "checkboxes", "action_id": Action.INPUT, "options": options}
    if on:
        kinds["initial_options"] = on
    # Slack's time picker submits `selected_time` ("HH:MM"); none chosen means the team's time.
    time_picker: dict = {
        "type": "timepicker",
        "action_id": Action.INPUT,
        "placeholder": plain_text("The team's time"),
    }
    if own_time:
        hh, mm = own_time.split(":")
        time_picker["initial_time"] = f"{int(hh):02d}:{mm}"
    blocks = [
        select_input(Block.MY_DAY, "Check-in reminder: day", days, initial=own_day),
        _input(
            Block.MY_TIME,
            "Check-in reminder: time",
            time_picker,
            optional=True,
            hint=f"In your own time zone ({mine.tz.key}). Empty: the team's, {mine.team_time}.",
        ),
        _input(Block.MY_KINDS, "Messages I get", kinds, optional=True, hint="Unticked: switched off."),
    ]
    return modal(Callback.MY_REMINDERS, "My reminders", blocks, submit="Save")


def change_button() -> dict:
    return button("Change", Action.HOME_REMINDERS)


def snoozed(until: datetime, tz: ZoneInfo) -> dict:
    """The reminder after *Remind me later today* or *Tomorrow*: it says when it comes back."""
    text = f"I'll remind you again {people_moment(until, tz=tz)}."
    return {"text": plain_dates(text), "blocks": [header("Weekly check-in"), section(f":zzz: {text}")]}


def skipped() -> dict:
    text = "Skipped for this week: no more reminders about it. See you next week."
    return {"text": text, "blocks": [header("Weekly check-in"), section(f":fast_forward: {text}")]}


def muted_counts(counts: Mapping[MessageKind, int]) -> str:
    """One line for `/okr settings`: how many people switched each kind off (admins see it)."""
    parts = [f"{kind.label}: {counts.get(kind, 0)}" for kind in MessageKind]
    return "People who switched a kind of message off (`/okr remind off KIND`): " + " · ".join(parts) + "."
