"""The Web API client every part of Northline calls Slack through, and its one retry policy.

At most once beats at least once: a request is retried only when it certainly did not reach
Slack. A connection that failed before the request left (urllib wraps those in URLError) is
retried, and a 429 after its Retry-After. A reset after sending, a timeout or a 5xx could mean
the message went out, and a retry would post it twice: those are answered as failures instead.

Scheduled posts go through `PooledWebClient`: the same client, but its calls reuse their
connections (urllib3's pool) where slack_sdk's own opens a new one, and a TLS handshake with it,
for every call (urllib's `Connection: close`).
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterable
from http.client import HTTPMessage
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import urllib3
import urllib3.connection
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient, WebhookResponse

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
    pool: urllib3.PoolManager | None = None,
) -> WebClient:
    """slack_sdk's client with the one retry policy; with `pool`, one that reuses connections."""
    handlers = retry_handlers(rate_limit_retries, stop, pacer=pacer, pace_key=pace_key)
    if pool is not None:
        return PooledWebClient(pool, token=token, base_url=api_url, timeout=timeout, retry_handlers=handlers)
    return WebClient(token=token, base_url=api_url, timeout=timeout, retry_handlers=handlers)


# --- connections kept alive ------------------------------------------------------------------------


# A connection idle this long is closed rather than reused. A server closes idle connections
# too, at a time of its own: reusing one at that moment loses the request (a reset after sending,
# never retried), so the client gives them up well before any server would.
IDLE_SECONDS = 4.0


class _Kept:
    """A pooled connection that counts as dropped once idle for IDLE_SECONDS (urllib3 asks
    `is_connected` before it reuses one; it also sees one the server has already closed)."""

    _last_answer = 0.0

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            self._last_answer = time.monotonic()

    @property
    def is_connected(self) -> bool:
        fresh = time.monotonic() - self._last_answer < IDLE_SECONDS
        return fresh and super().is_connected  # type: ignore[misc]


class _KeptHTTPConnection(_Kept, urllib3.connection.HTTPConnection):
    pass


class _KeptHTTPSConnection(_Kept, urllib3.connection.HTTPSConnection):
    pass


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _KeptHTTPConnection


class _SecurePool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _KeptHTTPSConnection


def connection_pool(connections: int) -> urllib3.PoolManager:
    """Kept-alive connections to Slack shared by a process's clients, `connections` per host (the
    calls in flight at once; more are opened when needed and closed after use)."""
    pool = urllib3.PoolManager(num_pools=4, maxsize=max(1, connections), block=False, retries=False)
    pool.pool_classes_by_scheme = {"http": _Pool, "https": _SecurePool}
    return pool


class PooledWebClient(WebClient):
    """slack_sdk's WebClient whose calls go through a urllib3 pool instead of a new urllib
    connection each: everything else (arguments, retry handlers, responses, errors) is the SDK's.

    This leans on one internal of slack_sdk 3.x, `_perform_urllib_http_request_internal(url, req)`
    returning `{status, headers, body}` and raising urllib's HTTPError for a status outside 2xx;
    tests/unit/test_slack_client.py fails when that changes. The retry policy above holds as it
    did: a connection that could not be made is a URLError (retried); anything after the request
    may have left (a reset, a timeout) is raised as it is (a failure, never retried)."""

    def __init__(self, pool: urllib3.PoolManager, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool = pool

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or self.ssl is not None or not _pooled_url(url):
            return super()._perform_urllib_http_request_internal(url, req)
        status, headers, data = _send_pooled(self.pool, url, req, self.timeout)
        if headers.get_content_type() == "application/gzip":
            return {"status": status, "headers": headers, "body": data}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": status, "headers": headers, "body": data.decode(charset)}


class PooledWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient (a response_url's answer) through the same kind of pool: Bolt's
    respond() opens a new connection for every answer, a TLS handshake each against Slack.

    Leans on slack_sdk 3.x's `WebhookClient._perform_http_request_internal(url, req)` returning
    a WebhookResponse and raising urllib's HTTPError outside 2xx, as PooledWebClient does on
    WebClient's; tests/unit/test_slack_client.py fails when that changes."""

    def __init__(self, pool: urllib3.PoolManager, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool = pool

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if self.proxy is not None or self.ssl is not None or not _pooled_url(url):
            return super()._perform_http_request_internal(url, req)
        status, headers, data = _send_pooled(self.pool, url, req, self.timeout)
        body = data.decode(headers.get_content_charset() or "utf-8")
        return WebhookResponse(url=url, status_code=status, body=body, headers=dict(headers.items()))


def _pooled_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _send_pooled(
    pool: urllib3.PoolManager, url: str, req: Request, timeout: float
) -> tuple[int, HTTPMessage, bytes]:
    """One request through `pool`, answering as urllib would: (status, headers, body) for a 2xx,
    HTTPError for any other status. A connection that could not be made is a URLError (retried by
    the one policy); anything after the request may have left (a reset, a timeout) is raised as
    it is (a failure, never retried)."""
    try:
        response = pool.request(
            req.get_method(),
            url,
            body=req.data,
            headers=dict(req.header_items()),
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            redirect=False,
            retries=False,
        )
    except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as error:
        raise URLError(error) from error  # the request never left: retried
    except urllib3.exceptions.ReadTimeoutError as error:
        raise TimeoutError(str(error)) from error  # as urllib: it may have been delivered
    except urllib3.exceptions.ProtocolError as error:
        raise ConnectionError(str(error)) from error  # reset after sending: in doubt
    headers = HTTPMessage()
    for name, value in response.headers.items():
        headers[name] = value
    if not 200 <= response.status < 300:
        raise HTTPError(url, response.status, response.reason or "", headers, io.BytesIO(response.data))
    return response.status, headers, response.data


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
