"""Posting from the clock: one wrapper that never raises for a Slack answer, and a Web API client
that rides out a fan-out's rate limits.

Slack pushing back, and what the scheduler does (docs/operations.md, "The scheduler"):

| Slack says                                            | outcome         | then                                       |
|-------------------------------------------------------|-----------------|--------------------------------------------|
| ok                                                    | SENT            | delivery marked sent                       |
| 429 (honoured Retry-After up to CLOCK_RATE_RETRIES)   | retried inside the client; if still refused: NOT_SENT, claim released, next tick retries |
| channel_not_found, not_in_channel, is_archived        | CHANNEL_GONE    | the channel's schedule disabled, its setter told by DM |
| account_inactive, user_not_found, user_disabled …     | PERSON_GONE     | delivery marked skipped                    |
| token_revoked, token_expired, invalid_auth …          | WORKSPACE_GONE  | claim released; the workspace's other posts in this run are not tried; logged once |
| any other error, a timeout                            | FAILED          | delivery marked failed and logged; the fan-out goes on |
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import urllib3
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs.pacing import Pacer
from bot.slack_client import build_web_client, connection_pool

log = logging.getLogger(__name__)

CLOCK_RATE_RETRIES = 20
# A client built without the process's pool keeps this many connections of its own.
CONNECTIONS_PER_CLIENT = 4
CHANNEL_GONE_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"})
PERSON_GONE_ERRORS = frozenset(
    {"account_inactive", "user_not_found", "user_disabled", "users_not_found", "cannot_dm_bot", "user_is_bot"}
)
# chat.update: the message, or the channel it was in, is no more (deleted, archived). The error
# enum of chat.update in Slack's Web API description (web_api_openapi_v2.json) has
# message_not_found, cant_update_message, edit_window_closed, channel_not_found and is_inactive.
MESSAGE_GONE_ERRORS = CHANNEL_GONE_ERRORS | frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "is_inactive"}
)
NOT_SENT_ERRORS = frozenset({"ratelimited", "rate_limited"})
# The workspace's token no longer works: nothing was posted, and nothing more will be until it is
# installed again (docs.slack.dev/reference/methods/chat.postMessage, "Errors").
WORKSPACE_GONE_ERRORS = frozenset(
    {
        "token_revoked",
        "token_expired",
        "invalid_auth",
        "not_authed",
        "account_inactive_workspace",
        "team_access_not_granted",
        "app_uninstalled",
    }
)


class Outcome(StrEnum):
    SENT = "sent"
    CHANNEL_GONE = "channel_gone"
    PERSON_GONE = "person_gone"
    NOT_SENT = "not_sent"  # refused for now (rate limit): certainly not posted, may be retried
    STOPPED = "stopped"  # not attempted: the process is stopping; the next run sends it
    WORKSPACE_GONE = "workspace_gone"  # the token was refused: certainly not posted; the rest skipped
    FAILED = "failed"


@dataclass
class PostResult:
    outcome: Outcome
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SENT


def post(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: list[dict] | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> PostResult:
    """chat.postMessage, classified. Never raises for what Slack answers or for a network error."""
    try:
        response = client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False, **extra
        )
    except SlackApiError as error:
        return classify_error(error, channel)
    except Exception as error:  # noqa: BLE001 - a timeout or a dropped connection: may or may not have posted
        log.warning("chat.postMessage to %s failed: %s", channel, type(error).__name__)
        return PostResult(Outcome.FAILED, channel=channel, error=type(error).__name__)
    return PostResult(Outcome.SENT, channel=response.get("channel") or channel, ts=response.get("ts"))


def update(
    client: WebClient, *, channel: str, ts: str, text: str, blocks: list[dict] | None = None
) -> PostResult:
    """chat.update of a message the app posted, classified like ``post``; a message or channel
    that is no more comes back as CHANNEL_GONE (see MESSAGE_GONE_ERRORS). Never raises."""
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        result = classify_error(error, channel)
        if result.error in MESSAGE_GONE_ERRORS:
            result.outcome = Outcome.CHANNEL_GONE
        return result
    except Exception as error:  # noqa: BLE001 - as in post()
        log.warning("chat.update in %s failed: %s", channel, type(error).__name__)
        return PostResult(Outcome.FAILED, channel=channel, error=type(error).__name__)
    return PostResult(Outcome.SENT, channel=channel, ts=ts)


def upload(
    client: WebClient,
    *,
    channel: str,
    content: bytes,
    filename: str,
    title: str,
    thread_ts: str | None = None,
    alt_text: str | None = None,
) -> PostResult:
    """files_upload_v2 into a channel (and thread), classified like ``post``."""
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=content,
            filename=filename,
            title=title,
            alt_txt=alt_text,
        )
    except SlackApiError as error:
        return classify_error(error, channel)
    except Exception as error:  # noqa: BLE001 - as in post()
        log.warning("file upload to %s failed: %s", channel, type(error).__name__)
        return PostResult(Outcome.FAILED, channel=channel, error=type(error).__name__)
    return PostResult(Outcome.SENT, channel=channel, ts=thread_ts)


class Poster(Protocol):
    """Where a scheduled message goes out: the engine's paced Outbox, or Direct (a post on demand)."""

    def post(
        self, *, channel: str, text: str, blocks: list[dict] | None = None, **extra: Any
    ) -> PostResult: ...

    def upload(self, **kwargs: Any) -> PostResult: ...


class Direct:
    """A client with nobody else to share its rate with: `/okr digest`, typed by a person."""

    def __init__(self, client: WebClient):
        self.client = client

    def post(self, *, channel: str, text: str, blocks: list[dict] | None = None, **extra: Any) -> PostResult:
        return post(self.client, channel=channel, text=text, blocks=blocks, **extra)

    def upload(self, **kwargs: Any) -> PostResult:
        return upload(self.client, **kwargs)


def classify_error(error: SlackApiError, channel: str) -> PostResult:
    response = error.response
    code = (response.get("error") if response is not None else None) or "unknown_error"
    status = getattr(response, "status_code", 200)
    if status == 429 or code in NOT_SENT_ERRORS:
        outcome = Outcome.NOT_SENT
    elif code in WORKSPACE_GONE_ERRORS:
        outcome = Outcome.WORKSPACE_GONE
    elif code in CHANNEL_GONE_ERRORS:
        outcome = Outcome.CHANNEL_GONE
    elif code in PERSON_GONE_ERRORS:
        outcome = Outcome.PERSON_GONE
    else:
        outcome = Outcome.FAILED
    level = logging.INFO if outcome == Outcome.PERSON_GONE else logging.WARNING
    log.log(level, "posting to %s: Slack answered %s (%s)", channel, code, outcome.value)
    data = response.data if response is not None and isinstance(response.data, dict) else {}
    return PostResult(outcome, channel=channel, error=code, response=data)


# --- the clock's client: the one retry policy (bot/slack_client.py), patient with 429s ---------


def build_clock_client(
    token: str | None,
    api_url: str,
    *,
    stop: threading.Event | None = None,
    timeout: int = 15,
    pacer: Pacer | None = None,
    pace_key: str | None = None,
    pool: urllib3.PoolManager | None = None,
) -> WebClient:
    """The Web API client for scheduled fan-outs: up to CLOCK_RATE_RETRIES honoured 429s a call,
    each pausing the workspace `pace_key` in `pacer` when given; its connections kept alive in
    `pool` (the process's, shared by every workspace's client) or a pool of its own."""
    return build_web_client(
        token,
        api_url,
        timeout=timeout,
        rate_limit_retries=CLOCK_RATE_RETRIES,
        stop=stop,
        pacer=pacer,
        pace_key=pace_key,
        pool=pool if pool is not None else connection_pool(CONNECTIONS_PER_CLIENT),
    )
