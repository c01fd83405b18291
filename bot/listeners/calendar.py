"""`/okr settings` and its modal: the workspace's calendar (bot/services/calendar.py decides)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.errors import Usage
from bot.forms.calendar import chosen_country, parse_settings
from bot.ids import Action, Callback
from bot.listeners.common import caller, unit_of_work
from bot.listeners.router import Invocation
from bot.services import calendar
from bot.ui import calendar as ui

if TYPE_CHECKING:
    from storage.db import Database


def register(app: App) -> None:
    from bot.listeners import okr

    okr.ROUTER.add("settings", okr_settings, ui.SETTINGS_USAGE)
    if app is not None:
        app.view(Callback.SETTINGS)(submit_settings)
        app.options(Action.PICK_TIMEZONE)(timezone_options)
        app.options(Action.PICK_HOLIDAY_COUNTRY)(country_options)
        app.options(Action.PICK_HOLIDAY_REGION)(region_options)
        app.action(Action.PICK_HOLIDAY_COUNTRY)(country_picked)


def okr_settings(call: Invocation) -> None:
    """Runs after ack(): the modal, editable for admins and read-only for everyone else."""
    if call.rest.strip():
        raise Usage("`/okr settings` takes nothing: it opens the workspace's settings.")
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        view = calendar.for_viewing(session, workspace, who.user_id)
    outbound.open_view(call.client, call.trigger_id, ui.settings_modal(view, view.picker_zone))


def timezone_options(ack: Ack, payload: dict) -> None:
    """The time zone picker's options as the admin types: nothing stored is read or changed."""
    query = payload.get("value")
    ack(**ui.zone_options(query if isinstance(query, str) else ""))


def _typed(payload: dict) -> str:
    query = payload.get("value")
    return query if isinstance(query, str) else ""


def country_options(ack: Ack, payload: dict) -> None:
    """The holiday country picker's options as the admin types a name: nothing stored is read."""
    ack(**ui.country_options(_typed(payload)))


def region_options(ack: Ack, payload: dict) -> None:
    """The holiday region picker's options: the country chosen in the form if Slack says which,
    else the one the form opened with (its private_metadata), ranks first. Nothing is read."""
    ack(**ui.region_options(_typed(payload), chosen_country(payload.get("view"))))


def country_picked(ack: Ack, body: dict, client: WebClient) -> None:
    """A holiday country picked in the open form: redrawn as it is, knowing that country, so
    that the region list offers its regions first. Nothing is stored until the form is saved."""
    ack()
    view = body.get("view") or {}
    country = chosen_country({"state": view.get("state")})
    outbound.update_view(client, view.get("id"), ui.settings_for_country(view, country), view.get("hash"))


def submit_settings(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_settings(view)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        saved = calendar.save(session, workspace, who.user_id, form)
    ack()
    outbound.dm(client, who.user_id, **ui.settings_saved(saved))
    outbound.announce(client, saved.announcement)
