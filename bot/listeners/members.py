"""The member cache the services decide rights from, kept fresh by the listeners: Slack is asked
after ack() and outside any transaction, and the answer stored for the services to read."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.clock import stored_now
from bot.services.workspaces import MEMBER_MAX_AGE, Caller, refreshed_at, remember_user_change, unit_of_work

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
            self._until[(team_id, user_id)] = refreshed + MEMBER_MAX_AGE


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
    older than a day, and keep the answer. Listeners call it after ack() and before their unit of
    work, so no transaction waits on Slack; the services then decide from the stored row. When
    Slack fails, the stored row (however old) stands: a stale answer beats none."""
    user_id = user_id or who.user_id
    now = now or stored_now()
    if known is not None and known.fresh(who.team_id, user_id, now):
        return
    refreshed = refreshed_at(db, who, user_id)
    if refreshed is None or now - refreshed >= MEMBER_MAX_AGE:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return
        with unit_of_work(db, who):
            pass  # a workspace's first command: its row exists before the member's is kept
        if not remember_user_change(db, who.team_id, user, enterprise_id=who.enterprise_id, now=now):
            return
        refreshed = now
    if known is not None:
        known.remember(who.team_id, user_id, refreshed)
