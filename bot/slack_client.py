"""The Web API client every part of Northline calls Slack through, and its one retry policy.

At most once beats at least once: a request is retried only when it certainly did not reach
Slack. A connection that failed before the request left (urllib wraps those in URLError) is
retried, and a 429 after its Retry-After. A reset after sending, a timeout or a 5xx could mean
the message went out, and a retry would post it twice: those are answered as failures instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot import metrics

if TYPE_CHECKING:
    from bot.jobs.pacing import Pacer

log = logging.getLogger(__name__)


class StoppableRateLimitHandler(RateLimitErrorRetryHandler):
    """Honours Retry-After like slack_sdk's, but its wait ends when the clock is told to stop, and
    once stopping it retries no more (the post then counts as not sent and is retried on restart).

    With a pacer, a 429 pauses the workspace's bucket for that method, so every thread posting to
    that workspace waits out the Retry-After, not just the one that was refused; other
    workspaces go on at their own pace."""

    def __init__(
        self,
        max_retry_count: int,
        stop: threading.Event | None = None,
        *,
        pacer: Pacer | None = None,
        pace_key: str | None = None,
    ):
        super().__init__(max_retry_count=max_retry_count)
        self.stop = stop or threading.Event()
        self.pacer = pacer
        self.pace_key = pace_key

    def can_retry(self, *, state, request, response=None, error=None) -> bool:
        # Every 429 is counted here, the last one given up on included (bot/metrics.py).
        if response is not None and response.status_code == 429:
            metrics.count_rate_limited(request.url.rstrip("/").rsplit("/", 1)[-1])
        return super().can_retry(state=state, request=request, response=response, error=error)

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if self.stop.is_set():
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        retry_after = 1.0
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                try:
                    retry_after = float(values[0] if isinstance(values, list) else values)
                except (TypeError, ValueError, IndexError):
                    retry_after = 1.0
                break
        if self.pacer is not None and self.pace_key is not None:
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            self.pacer.back_off(self.pace_key, method, max(0.0, retry_after) + 0.05)
            self.pacer.wait(self.pace_key, method, self.stop)
        else:
            self.stop.wait(max(0.0, retry_after) + 0.05)
        state.increment_current_attempt()


def retry_handlers(
    rate_limit_retries: int = 10,
    stop: threading.Event | None = None,
    *,
    pacer: Pacer | None = None,
    pace_key: str | None = None,
) -> list[RetryHandler]:
    """The one retry policy (this module's docstring)."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2, error_types=[URLError]),
        StoppableRateLimitHandler(rate_limit_retries, stop, pacer=pacer, pace_key=pace_key),
    ]


def build_web_client(
    token: str | None,
    api_url: str,
    *,
    timeout: int = 10,
    rate_limit_retries: int = 10,
    stop: threading.Event | None = None,
    pacer: Pacer | None = None,
    pace_key: str | None = None,
) -> WebClient:
    handlers = retry_handlers(rate_limit_retries, stop, pacer=pacer, pace_key=pace_key)
    return WebClient(token=token, base_url=api_url, timeout=timeout, retry_handlers=handlers)


def channel_names(client: WebClient, channel_ids: Iterable[str]) -> dict[str, str]:
    """Each channel's name from conversations.info, for the channels the app may read: a public
    channel (channels:read) or a private one it was added to (groups:read). One it cannot see is
    left out. Any other refusal (an install from before those scopes: missing_scope) would
    answer every channel alike, so the lookup stops there and the rest stay unnamed."""
    names: dict[str, str] = {}
    for channel_id in dict.fromkeys(channel_ids):
        try:
            names[channel_id] = client.conversations_info(channel=channel_id)["channel"]["name"]
        except SlackApiError as error:
            reason = error.response.get("error") if error.response is not None else None
            if reason != "channel_not_found":
                log.warning("could not read channel names: %s", reason or error)
                break
    return names
