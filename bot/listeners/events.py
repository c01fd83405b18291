"""Events: the Home tab is rebuilt whenever someone opens it."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.listeners.common import caller, unit_of_work
from bot.services import home
from storage.db import Database


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    if event.get("tab") not in (None, "home"):
        return
    with unit_of_work(db, caller(context)) as (session, workspace):
        home.publish(session, client, workspace, event["user"])
