"""The WSGI application: Slack's endpoint, the health check, and (when configured) OAuth."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from slack_bolt import App
from sqlalchemy import text

from bot.api.app import ApiApp
from bot.bolt_fence import FormBodyHandler
from storage.db import Database

if TYPE_CHECKING:
    from bot.socket_mode import SlackLink

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused unread.

StartResponse = Callable[..., object]


class NorthlineWSGI:
    def __init__(
        self, app: App, db: Database, api: Callable | None = None, slack_link: SlackLink | None = None
    ):
        self.bolt = FormBodyHandler(app)
        self.db = db
        # In Socket Mode, the state of the connection to Slack (bot/socket_mode.py), for /healthz.
        self.slack_link = slack_link
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
        if self.slack_link is not None:
            checks["slack"] = self.slack_link.state
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
