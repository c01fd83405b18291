"""`/okr remind`: a person's own reminder day, time and kinds of message (the rules are in
bot/domain/preferences.py; bot/services/preferences.py stores them)."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import App

from bot.domain.preferences import RemindAction, parse_remind
from bot.domain.schedule_time import WorkCalendar
from bot.errors import Usage
from bot.listeners.common import unit_of_work
from bot.listeners.router import Invocation
from bot.services import preferences
from bot.ui import preferences as ui


def register(app: App | None) -> None:
    from bot.listeners import okr

    okr.add_subcommand("remind", okr_remind, ui.USAGE_LINE)


def okr_remind(call: Invocation) -> None:
    who = call.who
    now = datetime.now(UTC)
    with unit_of_work(call.db, who) as (session, workspace):
        try:
            request = parse_remind(call.rest, WorkCalendar.of_workspace(workspace).work_days)
        except ValueError as error:
            said = f"{error}.\n\n" if str(error) else ""
            raise Usage(said + ui.REMIND_USAGE) from None
        changed = request.action != RemindAction.SHOW and preferences.change(
            session, workspace, who.user_id, request
        )
    with unit_of_work(call.db, who) as (session, workspace):
        mine = preferences.my_reminders(session, workspace, who.user_id, now)
    call.respond(**ui.my_reminders(_headline(request, changed), mine))


def _headline(request, changed: bool) -> str:
    if request.action == RemindAction.SHOW:
        return ""
    if not changed:
        return "Nothing changed: that is how it already was."
    if request.action == RemindAction.SET:
        return "Your check-in reminder day and time are set."
    if request.action == RemindAction.RESET:
        return "Back to the team's day and time, every kind of message on."
    state = "off" if request.action == RemindAction.OFF else "on"
    return (
        f"Your {request.kind.label} are {state}."
        if request.kind.label.endswith("s")
        else (f"Your {request.kind.label} is {state}.")
    )
