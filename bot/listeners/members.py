"""Asking Slack about a person before a service decides from the member cache: after ack() and
outside any transaction, users.info is asked when the stored row is stale (bot/domain/members.py
says when) and the answer kept (bot/services/members.py). The commands' router, the buttons and
menus that have no router, and the workflow steps all come through `refresh_member`."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.clock import stored_now
from bot.domain.members import fresh_until, is_stale
from bot.services.members import refreshed_at, remember_answer
from bot.services.workspaces import Caller

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

FRESH_MEMBERS = "fresh_members"  # the context key of the app's FreshMembers


class FreshMembers:
    """Until when each person's stored row is known to be fresh, in this process: a command by
    someone checked in the last day then costs no statement. Bounded; forgetting costs one."""

    def __init__(self, limit: int = 10_000) -> None:
        self._until: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def fresh(self, team_id: str, user_id: str, now: datetime) -> bool:
        with self._lock:
            until = self._until.get((team_id, user_id))
        return until is not None and now < until

    def remember(self, team_id: str, user_id: str, refreshed: datetime) -> None:
        with self._lock:
            if len(self._until) >= self._limit:
                self._until.clear()
            self._until[(team_id, user_id)] = fresh_until(refreshed)


def refresh_member(
    db: Database,
    client: WebClient,
    who: Caller,
    user_id: str | None = None,
    *,
    now: datetime | None = None,
    known: FreshMembers | None = None,
) -> None:
    """Ask Slack (users.info) about a person (the caller by default) whose stored row is missing or
    stale, and keep the answer. Listeners call it after ack() and before their unit of work, so no
    transaction waits on Slack; the services then decide from the stored row. When Slack fails,
    the stored row (however old) stands: a stale answer beats none."""
    user_id = user_id or who.user_id
    now = now or stored_now()
    if known is not None and known.fresh(who.team_id, user_id, now):
        return
    refreshed = refreshed_at(db, who, user_id)
    if is_stale(refreshed, now):
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return
        if not remember_answer(db, who, user, now):
            return
        refreshed = now
    if known is not None:
        known.remember(who.team_id, user_id, refreshed)
