"""The member cache the services decide rights from, kept fresh by the listeners: Slack is asked
after ack() and outside any transaction, and the answer stored for the services to read."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.workspaces import Caller, is_fresh, remember_user_change, unit_of_work
from bot.services.workspaces import now as current_time

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)


def refresh_member(
    db: Database, client: WebClient, who: Caller, user_id: str | None = None, *, now: datetime | None = None
) -> None:
    """Ask Slack (users.info) about a person (the caller by default) whose stored row is missing or
    older than a day, and keep the answer. Listeners call it after ack() and before their unit of
    work, so no transaction waits on Slack; the services then decide from the stored row. When
    Slack fails, the stored row (however old) stands: a stale answer beats none."""
    user_id = user_id or who.user_id
    now = now or current_time()
    with unit_of_work(db, who) as (session, workspace):
        if is_fresh(session, workspace, user_id, now):
            return
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        return
    remember_user_change(db, who.team_id, user, enterprise_id=who.enterprise_id, now=now)
