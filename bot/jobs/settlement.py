"""Settling a post left in doubt: was it posted or not? Slack is asked, not guessed.

Every scheduled message carries its delivery key as message metadata
(https://docs.slack.dev/messaging/message-metadata): ``event_type`` ``northline_delivery`` and
``event_payload`` ``{"key": "checkin/3/U0ALICE/2026-W49"}``. A claim never marked is settled by
reading the conversation back with conversations.history (``include_all_metadata``, from a little
before the claim time) and looking for that key:

- found: it went out; the engine marks it sent, without sending it again;
- not found: it never reached Slack; the engine sends it now;
- Slack could not be read (``missing_scope`` where the install has no ``channels:history`` /
  ``groups:history``, a 429 past the client's retries, a 5xx, a timeout): it stays in doubt,
  counted and logged, and is tried again later; nothing is sent blindly.

A DM is read back in the app's own conversation with the person (``im:history``; the channel id
comes from conversations.open). The engine claims the settlement before calling here
(bot/jobs/delivery.py ``settle``), so two runners never settle the same post at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.jobs.delivery import Key

if TYPE_CHECKING:
    from bot.jobs.engine import Outbox

log = logging.getLogger("northline.jobs.settlement")

EVENT_TYPE = "northline_delivery"
# Read from this long before the claim: our clock and Slack's may differ a little, and a wider
# window costs only a longer read (messages are matched by their key, not their time).
CLOCK_MARGIN = timedelta(minutes=5)
PAGE_SIZE = 200
MAX_PAGES = 10  # more than 2,000 messages since the claim: left in doubt rather than read on


def metadata(key: Key) -> dict[str, Any]:
    """The message metadata a scheduled post carries: its delivery key."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": str(key)}}


@dataclass(frozen=True)
class Found:
    """What reading the conversation back came to: the message's channel and ts when Slack has
    it, neither when it does not, `error` when Slack could not be read."""

    channel: str | None = None
    ts: str | None = None
    error: str | None = None


def find(outbox: Outbox, channel: str, key: Key, since: datetime) -> Found:
    """Look for the message carrying `key` in `channel` (a user id for a DM) since `since`
    (naive UTC, the claim time). Each call is paced by the workspace's bucket for its method."""
    try:
        conversation = _conversation(outbox, channel)
        if conversation is None:
            return Found(error="stopped")
        return _read_back(outbox, conversation, key, since)
    except SlackApiError as error:
        code = (error.response.get("error") if error.response is not None else None) or "unknown_error"
        status = getattr(error.response, "status_code", 200)
        return Found(error=f"{code} (HTTP {status})" if status != 200 else code)
    except Exception as error:  # noqa: BLE001 - a timeout or a dropped connection: still in doubt
        return Found(error=type(error).__name__)


def _conversation(outbox: Outbox, channel: str) -> str | None:
    """The conversation id to read: a DM's from conversations.open, a channel's as it is."""
    if channel[:1] not in ("U", "W"):
        return channel
    if not outbox.pacer.wait(outbox.team_id, "conversations.open", outbox.stop):
        return None
    return outbox.client.conversations_open(users=channel)["channel"]["id"]


def _read_back(outbox: Outbox, conversation: str, key: Key, since: datetime) -> Found:
    oldest = f"{(since.replace(tzinfo=UTC) - CLOCK_MARGIN).timestamp():.6f}"
    wanted = str(key)
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        if not outbox.pacer.wait(outbox.team_id, "conversations.history", outbox.stop):
            return Found(error="stopped")
        answer = outbox.client.conversations_history(
            channel=conversation,
            oldest=oldest,
            include_all_metadata=True,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
        for message in answer.get("messages") or []:
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == EVENT_TYPE
                and (meta.get("event_payload") or {}).get("key") == wanted
            ):
                return Found(channel=conversation, ts=message.get("ts"))
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not answer.get("has_more") or cursor is None:
            return Found()
    return Found(error=f"more than {MAX_PAGES * PAGE_SIZE} messages since the claim")
