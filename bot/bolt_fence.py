"""Every place Northline leans on slack-bolt's internals, fenced in one module.

slack-bolt is pinned to the minor release these were written against (pyproject.toml), and
tests/conformance/test_bolt_fence.py checks each internal they rely on, so an upgrade that changes one fails
there, loudly, rather than as a slow ack or a lost command in production:

- ListenerPool / SignallingAck: Bolt's thread runner submits a listener to `listener_executor` and
  polls for its ack every 10 ms; the pool hands the ack back at once instead.
- AnsweringListener: installed over `App._listeners` (their class swapped for one that answers
  errors raised after ack() itself), because Bolt's runner can drop such an ack.
- bolt_request: Bolt's `parse_body` loses any form body containing the word "payload".
- PooledRespond: Bolt's `Respond` builds a new WebhookClient (a new connection) for every answer;
  this one builds the message with Bolt's `_build_message` and sends it through a pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.context.respond.internals import _build_message
from slack_bolt.listener.custom_listener import CustomListener
from slack_sdk.webhook import WebhookResponse

from bot.slack_client import PooledWebhookClient

if TYPE_CHECKING:
    import urllib3

ACK_WAIT_SECONDS = 3.0  # Bolt's own limit for a listener's ack()


class SignallingAck(Ack):
    """Bolt's ack() that also says when it has been called."""

    def __init__(self):
        super().__init__()
        self.called = threading.Event()

    def __call__(self, *args, **kwargs) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.called.set()


class ListenerPool(ThreadPoolExecutor):
    """The listeners' threads, handing each request its ack the moment the listener calls ack().

    Bolt's runner submits a listener here and then looks for its ack every 10 ms, so every answer
    waited up to 10 ms for nothing: 3-4× a bare Bolt app's ack time. Here submit() returns once
    the request's ack (registered from the request's own thread by `expect_ack`) has been called
    or its listener has ended, and Bolt finds the answer at its first look.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._expected = threading.local()

    def expect_ack(self, ack: SignallingAck) -> None:
        self._expected.ack = ack

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        ack = getattr(self._expected, "ack", None)
        if ack is not None:
            self._expected.ack = None
            future.add_done_callback(lambda _: ack.called.set())  # ended without ack(): Bolt answers
            ack.called.wait(ACK_WAIT_SECONDS)
        return future


class AnsweringListener(CustomListener):
    answer_error: Callable = staticmethod(lambda *args: None)  # set by answer_errors_after_ack

    """A listener whose errors after ack() are answered here rather than by Bolt's runner.

    Bolt's thread runner hands a post-ack error to the error handler and then sets the ack's
    response to None; when that happens within its 10 ms poll, the HTTP request never sees the
    ack and Slack gets a 404 after 3 s. Errors before ack() still go through Bolt (and
    handle_error), which is what shapes `response_action: errors` for modals.
    """

    def run_ack_function(self, *, request: BoltRequest, response: BoltResponse) -> BoltResponse | None:
        try:
            return super().run_ack_function(request=request, response=response)
        except Exception as error:
            if request.context.ack is None or request.context.ack.response is None:
                raise
            self.answer_error(error, request.body, None, request.context, self.logger)
            return None


def answer_errors_after_ack(app: App, handler: Callable) -> None:
    """Every listener registered so far answers its own errors after ack() with `handler`."""
    AnsweringListener.answer_error = staticmethod(handler)
    for listener in app._listeners:
        if isinstance(listener, CustomListener):
            listener.__class__ = AnsweringListener


def bolt_request(body: str, query: str, headers: dict[str, str]) -> BoltRequest:
    """The BoltRequest of an HTTP request, with its form body read whole (bot/web.py's Slack
    resource builds every request with it).

    slack-bolt's `parse_body` (slack_bolt/request/internals.py, 1.x) takes any form body that
    contains the *word* "payload" for an interactivity payload, finds no `payload` field and returns
    {}: `/kra add payload quality` would never reach a listener and Slack would show the person an
    error. Here a form body without a `payload` field is parsed as the plain form it is.
    tests/conformance/test_bolt_fence.py fails once Bolt parses it right, so this can then go.

    The fix upstream: in `parse_body`, test for a `payload` *field*, not the substring:
    `params = dict(parse_qsl(body, keep_blank_values=True))`, then `json.loads(params["payload"])`
    when it is there, else `params`; its regression test, a slash command whose text (or channel
    name, e.g. #payload-team) contains "payload".
    """
    request = BoltRequest(body=body, query=query, headers=headers)
    if request.body == {} and body and not body.startswith("{") and "payload" not in parse_qs(body):
        # Built from the dict so Bolt derives the context (team, user, channel) from the real
        # fields; the raw body stays what Slack signed, for the signature check.
        fixed = BoltRequest(
            body=dict(parse_qsl(body, keep_blank_values=True)),
            query=query,
            headers=headers,
            mode="socket_mode",
        )
        fixed.raw_body, fixed.mode = body, "http"
        request = fixed
    return request


class PooledRespond(Respond):
    """Bolt's respond(), its answer posted through `pool` (bot/slack_client.py PooledWebhookClient)
    rather than by a new WebhookClient with a new connection each time. The message is built as
    Bolt builds it (`_build_message`, with the same arguments as Bolt's Respond.__call__);
    tests/conformance/test_bolt_fence.py checks both."""

    def __init__(self, response_url: str, pool: urllib3.PoolManager):
        super().__init__(response_url=response_url)
        self._pool = pool

    def __call__(self, text: str | dict = "", **fields) -> WebhookResponse:
        message = _build_message(**text) if isinstance(text, dict) else _build_message(text=text, **fields)
        return PooledWebhookClient(self._pool, url=self.response_url).send_dict(message)
