"""`/okr remind`: a person's own reminder day, time and kinds of message (the rules are in
bot/domain/preferences.py; bot/services/preferences.py stores them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.domain.clock import utc_now
from bot.domain.preferences import RemindAction, parse_remind
from bot.domain.schedule_time import WorkCalendar
from bot.errors import Usage
from bot.forms.preferences import parse_my_reminders
from bot.ids import Action, Callback
from bot.listeners import homes
from bot.listeners.buttons import Click, button
from bot.listeners.common import caller, unit_of_work
from bot.listeners.router import Invocation
from bot.services import preferences
from bot.ui import preferences as ui

if TYPE_CHECKING:
    from storage.db import Database


def register(app: App | None) -> None:
    from bot.listeners import okr

    okr.ROUTER.add("remind", okr_remind, ui.USAGE_LINE)
    if app is not None:
        app.action(Action.HOME_REMINDERS)(open_my_reminders)
        app.view(Callback.MY_REMINDERS)(save_my_reminders)


@button
def open_my_reminders(click: Click) -> None:
    """App Home's *Change*: the form with one's own day, time and kinds."""
    with unit_of_work(click.db, click.who) as (session, workspace):
        mine = preferences.my_reminders(session, workspace, click.who.user_id, utc_now())
        work_days = WorkCalendar.of_workspace(workspace).work_days
    outbound.open_view(click.client, click.trigger_id, ui.reminders_modal(mine, work_days))


def save_my_reminders(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """Saves the form (errors under their field, nothing stored), then App Home shows it."""
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        weekday, time_of_day, muted = parse_my_reminders(view, WorkCalendar.of_workspace(workspace).work_days)
        preferences.save_mine(session, workspace, who.user_id, weekday, time_of_day, muted)
    ack()
    homes.refresh(db, client, who, who.user_id)


def okr_remind(call: Invocation) -> None:
    who = call.who
    now = utc_now()
    with unit_of_work(call.db, who) as (session, workspace):
        try:
            request = parse_remind(call.rest, WorkCalendar.of_workspace(workspace).work_days)
        except ValueError as error:
            said = f"{error}.\n\n" if str(error) else ""
            raise Usage(said + ui.REMIND_USAGE) from None
        reminded = preferences.remind(session, workspace, who.user_id, request, now)
    call.respond(**ui.my_reminders(_headline(request, reminded.changed), reminded.mine))


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
