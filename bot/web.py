"""The one WSGI app of the web process, on Falcon: Slack's endpoints through Bolt's Falcon adapter,
the health check, and the REST API (bot/api/). `create_web(app, db)` builds it; gunicorn
(bot/wsgi.py), `northline serve` and the tests serve what it returns.

Slack's path stays as short as Falcon allows: the API's middleware returns at once for any other
resource, and nothing on /slack/* reads the database before Bolt does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import falcon
from slack_bolt import App
from slack_bolt.adapter.falcon import SlackAppResource
from slack_bolt.request import BoltRequest
from sqlalchemy import text

from bot import metrics
from bot.api import app as api
from bot.bolt_fence import bolt_request
from bot.domain.clock import stored_now
from bot.services import tokens
from storage.db import Database

if TYPE_CHECKING:
    from bot.socket_mode import SlackLink

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused unread.
EVENTS_PATH = "/slack/events"


def create_web(
    app: App | None,
    db: Database,
    *,
    limits: tokens.Limits | None = None,
    clock: Callable[[], datetime] = stored_now,
    slack_link: SlackLink | None = None,
) -> falcon.App:
    """The web process's app. `app` is None where only /healthz and the API are wanted; in Socket
    Mode, `slack_link` is the state of the connection to Slack, which /healthz reports."""
    web = falcon.App()
    web.add_route("/healthz", Health(db, slack_link))
    web.add_route("/metrics", Metrics())
    if app is not None:
        slack = SlackResource(app)
        web.add_route(EVENTS_PATH, slack)
        if app.oauth_flow is not None:
            web.add_route(app.oauth_flow.install_path, slack)
            web.add_route(app.oauth_flow.redirect_uri_path, slack)
    api.install(web, db, limits=limits, clock=clock)
    web.add_sink(_not_found, "/")
    return web


def _slack_guard(req: falcon.Request, resp: falcon.Response, resource, params) -> None:
    """Refuse unread what cannot be Slack: a body over 1 MB, a non-numeric request timestamp."""
    try:
        length = int(req.env.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > MAX_BODY_BYTES:
        _plain(resp, falcon.HTTP_413, "request body too large")
    elif req.method == "POST" and not _timestamp_is_numeric(req.get_header("X-Slack-Request-Timestamp")):
        _plain(resp, falcon.HTTP_401, "")  # Slack always sends a numeric timestamp
    else:
        return
    resp.complete = True


@falcon.before(_slack_guard)
class SlackResource(SlackAppResource):
    """Bolt's Falcon resource, with form bodies read whole (bot/bolt_fence.py says why)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if resp.complete:  # refused by the guard
            return
        super().on_get(req, resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if resp.complete:
            return
        super().on_post(req, resp)

    def _to_bolt_request(self, req: falcon.Request) -> BoltRequest:
        length = int(req.env.get("CONTENT_LENGTH") or 0)
        body = req.bounded_stream.read(length).decode("utf-8") if length else ""
        return bolt_request(body, req.query_string, {k.lower(): v for k, v in req.headers.items()})


class Metrics:
    """GET /metrics: Prometheus's exposition text (bot/metrics.py)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = metrics.CONTENT_TYPE
        resp.data = metrics.render()


class Health:
    """GET /healthz: 200 when the database answers (and, in Socket Mode, Slack is connected)."""

    def __init__(self, db: Database, slack_link: SlackLink | None):
        self.db, self.slack_link = db, slack_link

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        checks = {"database": "ok"}
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy; say which part
            checks["database"] = f"failed: {type(error).__name__}"
        if self.slack_link is not None:
            checks["slack"] = self.slack_link.state
        healthy = all(value == "ok" for value in checks.values())
        resp.status = falcon.HTTP_200 if healthy else falcon.HTTP_503
        resp.content_type = falcon.MEDIA_JSON
        resp.data = json.dumps({"ok": healthy, "checks": checks}).encode()

    on_head = on_get


def _not_found(req: falcon.Request, resp: falcon.Response, **_params) -> None:
    if req.path.startswith("/api/"):
        api.not_found(req)
    _plain(resp, falcon.HTTP_404, "not found")


def _timestamp_is_numeric(timestamp: str | None) -> bool:
    return timestamp is None or timestamp.strip().isdigit()


def _plain(resp: falcon.Response, status: str, message: str) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_TEXT
    resp.data = message.encode()
