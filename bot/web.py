"""The WSGI application: Slack's endpoint, the health check, and (when configured) OAuth."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, parse_qsl

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import text

from bot.api.app import ApiApp
from storage.db import Database

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused unread.

StartResponse = Callable[..., object]


class FormBodyHandler(SlackRequestHandler):
    """Bolt's WSGI handler, with its form bodies read whole.

    slack-bolt's `parse_body` (slack_bolt/request/internals.py, 1.x) takes any form body that
    contains the *word* "payload" for an interactivity payload, finds no `payload` field and returns
    {}: `/kra add payload quality` would never reach a listener and Slack would show the person an
    error. Here a form body without a `payload` field is parsed as the plain form it is.
    tests/test_bolt_fence.py fails once Bolt parses it right, so this can then go.
    """

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        body = request.get_body()
        query, headers = request.query_string, request.get_headers()
        bolt_request = BoltRequest(body=body, query=query, headers=headers)
        if bolt_request.body == {} and body and not body.startswith("{") and "payload" not in parse_qs(body):
            # Built from the dict so Bolt derives the context (team, user, channel) from the real
            # fields; the raw body stays what Slack signed, for the signature check.
            fixed = BoltRequest(
                body=dict(parse_qsl(body, keep_blank_values=True)),
                query=query,
                headers=headers,
                mode="socket_mode",
            )
            fixed.raw_body, fixed.mode = body, "http"
            bolt_request = fixed
        return self.app.dispatch(bolt_request)


class NorthlineWSGI:
    def __init__(self, app: App, db: Database, api: Callable | None = None):
        self.bolt = FormBodyHandler(app)
        self.db = db
        # The REST API (/api/v1). Checked after Slack's paths, so Slack's requests do no extra work.
        self.api = api if api is not None else ApiApp(db)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self.health(start_response)
        if path.startswith("/slack/"):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                return _plain(start_response, "413 Content Too Large", "request body too large")
            if method == "POST" and not _timestamp_is_numeric(environ):
                # Slack always sends a numeric timestamp; anything else is not Slack.
                return _plain(start_response, "401 Unauthorized", "")
            return self.bolt(environ, start_response)
        if path.startswith("/api/"):
            return self.api(environ, start_response)
        return _plain(start_response, "404 Not Found", "not found")

    def health(self, start_response: StartResponse) -> Iterable[bytes]:
        checks = {"database": "ok"}
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy; say which part
            checks["database"] = f"failed: {type(error).__name__}"
        healthy = all(value == "ok" for value in checks.values())
        body = json.dumps({"ok": healthy, "checks": checks}).encode()
        status = "200 OK" if healthy else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _timestamp_is_numeric(environ: dict) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    return timestamp is None or timestamp.strip().isdigit()


def _plain(start_response: StartResponse, status: str, message: str) -> Iterable[bytes]:
    body = message.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
