"""Re-publishing people's App Home after a change: read in a transaction, published after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.listeners.common import caller
from bot.services.home import hide_guide, home_data
from bot.services.workspaces import Caller, unit_of_work
from bot.ui.home import home_view

if TYPE_CHECKING:
    from storage.db import Database


def refresh(db: Database, client: WebClient, who: Caller, *user_ids: str) -> None:
    """Re-publish the Home of everyone a change touched, each read in its own transaction and
    published after it commits. Best effort: the change is already saved."""
    for user_id in dict.fromkeys(u for u in user_ids if u):
        with unit_of_work(db, who) as (session, workspace):
            data = home_data(session, workspace, user_id)
        outbound.publish_home(client, user_id, home_view(data))


def hide_guide_button(ack: Ack, client: WebClient, context: BoltContext, db: Database) -> None:
    """*Hide this guide* on App Home: hidden for this person in this workspace, Home redrawn."""
    ack()
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        hide_guide(session, workspace, who.user_id)
    refresh(db, client, who, who.user_id)
