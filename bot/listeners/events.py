"""Events: the Home tab on open; people's changes (user_change); uninstalls and revoked tokens."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from bot.listeners import homes
from bot.listeners.common import caller
from bot.services import lifecycle, members

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
    app.event("user_change")(user_changed)
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


def home_opened(event: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    if event.get("tab") not in (None, "home"):
        return
    homes.refresh(db, client, caller(context), event["user"])


def user_changed(event: dict, context: BoltContext, db: Database) -> None:
    # Bolt acks events before listeners run; this keeps the clock's cache of the person fresh
    # (time zone, vacation status, admin flag, deactivation) without a users.info call.
    user = event.get("user")
    user = user if isinstance(user, dict) else {}
    if not members.remember_user_change(db, context.team_id, user, enterprise_id=context.enterprise_id):
        log.debug("user_change for %s ignored: no installed workspace of ours keeps them", context.team_id)


def app_uninstalled(context: BoltContext, db: Database, installations: InstallationStore | None) -> None:
    # The data stays for the retention period; the tokens go at once (Bolt's revocation listener).
    lifecycle.app_uninstalled(db, context.team_id, context.enterprise_id)
    if installations is not None:
        TokenRevocationListeners(installations).handle_app_uninstalled_events(context)
    log.info("uninstalled from %s; data kept until purged", context.team_id)


def tokens_revoked(event: dict, context: BoltContext, installations: InstallationStore | None) -> None:
    if installations is not None:
        TokenRevocationListeners(installations).handle_tokens_revoked_events(event, context)
