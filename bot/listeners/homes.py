"""Re-publishing people's App Home after a change: read in a transaction, published after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.listeners.common import caller
from bot.services.home import hide_guide, homes_of
from bot.services.workspaces import Caller, unit_of_work
from bot.ui.home import home_view

if TYPE_CHECKING:
    from storage.db import Database


def refresh(db: Database, client: WebClient, who: Caller, *user_ids: str) -> None:
    """Re-publish the Home of everyone a change touched: all read in one transaction, opened once
    the change has committed (so a failure here cannot undo it), and published after it. Best
    effort: the change is already saved."""
    touched = [u for u in user_ids if u]
    if not touched:
        return
    with unit_of_work(db, who) as (session, workspace):
        homes = homes_of(session, workspace, touched)
    for user_id, data in homes.items():
        outbound.publish_home(client, user_id, home_view(data))


def hide_guide_button(ack: Ack, client: WebClient, context: BoltContext, db: Database) -> None:
    """*Hide this guide* on App Home: hidden for this person in this workspace, Home redrawn."""
    ack()
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        data = hide_guide(session, workspace, who.user_id)
    outbound.publish_home(client, who.user_id, home_view(data))
