"""Socket Mode that waits for Slack: `northline serve` with SLACK_APP_TOKEN.

slack_sdk's client asks `apps.connections.open` for a WebSocket URL and connects to it; when Slack
cannot be reached at start it raises (urllib's stack trace, and the process ends), and when a
connection is lost later its own monitor tries again every few seconds, forever, logging each
failure. Here one loop owns the connection instead: it connects, watches, and after a failure logs
one line saying Slack is unreachable and when it tries again, waiting longer each time (doubling,
up to a cap). `SlackLink` holds what the loop last saw, for /healthz.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("northline.socket_mode")
# slack_sdk's own account of each failed try (a request that found no server, a ping into a dead
# socket) would repeat, in several lines a try, what the one line of SocketModeRunner says.
_OPEN_LOG = logging.getLogger("northline.socket_mode.open")
_OPEN_LOG.setLevel(logging.CRITICAL)
_SDK_LOG = logging.getLogger("northline.socket_mode.sdk")
_CONNECTION_NOISE = (
    "Failed to check the state of sock",
    "Failed to retrieve WSS URL",
    "Error code:",
    "on_error invoked",
)


class _QuietConnectionChecks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_CONNECTION_NOISE)


_SDK_LOG.addFilter(_QuietConnectionChecks())

CONNECTING, CONNECTED, UNREACHABLE, REFUSED = "connecting", "ok", "unreachable", "refused"


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait after the n-th failure in a row: first, doubled each time, at most `cap`."""

    first: float = 1.0
    cap: float = 60.0

    def after(self, failures: int) -> float:
        return min(self.cap, self.first * 2 ** max(failures - 1, 0))


class SlackLink:
    """The state of the connection to Slack as the loop last saw it: connecting, ok, unreachable, or
    refused (Slack answered, but would not open a connection: a wrong or revoked app-level token)."""

    def __init__(self) -> None:
        self._state = CONNECTING
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def set(self, state: str) -> None:
        with self._lock:
            self._state = state


# apps.connections.open's answers that mean the token, not the network (docs.slack.dev/reference/
# methods/apps.connections.open): trying again will not help until the operator changes it.
TOKEN_REFUSED = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "not_allowed_token_type",
        "token_revoked",
        "account_inactive",
        "missing_scope",
    }
)


def _slack_error(error: SlackApiError) -> str | None:
    response = error.response
    return response.get("error") if response is not None and isinstance(response.data, dict) else None


def describe(error: BaseException) -> str:
    """A failure to reach Slack in a few words, never a stack trace (nor a token: none is in these)."""
    if isinstance(error, SlackApiError):
        return str(_slack_error(error) or f"HTTP {error.response.status_code}")
    reason = getattr(error, "reason", None)  # urllib's URLError wraps the socket's error
    if reason is not None and not isinstance(reason, str):
        error = reason
    text = str(error).strip()
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__


def _handler(app: App, app_token: str, web_client: WebClient, ping_interval: float) -> SocketModeHandler:
    # auto_reconnect off: SocketModeRunner reconnects, with backoff, and says so once. A dead
    # connection is found by its pings: five unanswered in a row and slack_sdk lets it go.
    return SocketModeHandler(
        app,
        app_token,
        logger=_SDK_LOG,
        web_client=web_client,
        auto_reconnect_enabled=False,
        ping_interval=ping_interval,
    )


HandlerFactory = Callable[[App, str, WebClient, float], SocketModeHandler]


class SocketModeRunner:
    """Keeps one Socket Mode connection to Slack until `stop` is set."""

    def __init__(
        self,
        app: App,
        app_token: str,
        api_url: str,
        *,
        link: SlackLink | None = None,
        backoff: Backoff = Backoff(),
        check_every: float = 1.0,
        ping_interval: float = 10.0,
        handler_factory: HandlerFactory = _handler,
    ):
        # apps.connections.open is asked by this client alone, without the app client's retries:
        # the loop below is the one retry policy here.
        web_client = WebClient(base_url=api_url, timeout=10, retry_handlers=[], logger=_OPEN_LOG)
        self.handler = handler_factory(app, app_token, web_client, ping_interval)
        self.failures = 0
        self.link = link or SlackLink()
        self.backoff = backoff
        self.check_every = check_every

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if self.handler.client.is_connected():
                    stop.wait(self.check_every)
                    continue
                if self.link.state == CONNECTED:
                    log.warning("the connection to Slack was lost; reconnecting")
                    self.link.set(CONNECTING)
                wait = self._connect()
                if wait:
                    stop.wait(wait)
        finally:
            self.handler.close()

    def _connect(self) -> float:
        """Connect once: 0 when connected, else the seconds to wait before the next try."""
        client = self.handler.client
        try:
            client.wss_uri = None  # a fresh URL each time: Slack's are single-use
            client.connect()
            if not client.is_connected():  # the handshake was answered, but not with 101
                raise ConnectionError("Slack did not open the WebSocket")
        except SlackApiError as error:
            if _slack_error(error) in TOKEN_REFUSED:
                return self._failed(
                    REFUSED, "Slack refused the app-level token (%s); check SLACK_APP_TOKEN", error
                )
            return self._failed(UNREACHABLE, "Slack is unreachable (%s)", error)
        except Exception as error:  # noqa: BLE001 - any other failure to connect is "unreachable": say so, retry
            return self._failed(UNREACHABLE, "Slack is unreachable (%s)", error)
        self.failures = 0
        self.link.set(CONNECTED)
        log.info("connected to Slack over Socket Mode")
        return 0.0

    def _failed(self, state: str, message: str, error: Exception) -> float:
        """One line saying what failed and when the next try is; the wait before it."""
        self.failures += 1
        wait = self.backoff.after(self.failures)
        self.link.set(state)
        log.warning(message + "; trying again in %s s", describe(error), _seconds(wait))
        return wait


def _seconds(value: float) -> str:
    return f"{value:g}"
