"""The other candidate bench/REPORT.md compares Falcon with: the same Bolt app and health check on
Flask, through Bolt's Flask adapter, served by gunicorn as bot.wsgi is. Only Slack's path and
/healthz were built on it (what bench/load.py sends); the API's modules are imported, so the
process holds the same code, but not served. `bench.flask_candidate:create()`."""

from __future__ import annotations

import json

from flask import Flask, Response, request
from sqlalchemy import text

import bot.api.resources  # noqa: F401 - loaded as in Northline's web process
from bot.api.openapi import build_document
from bot.app import create_app
from bot.bolt_fence import bolt_request
from bot.settings import load_settings
from storage.db import Database, ensure_schema

MAX_BODY_BYTES = 1024 * 1024


def create() -> Flask:
    settings = load_settings()
    db = Database.from_url(settings.database_url)
    ensure_schema(db)
    bolt = create_app(settings, db=db)
    build_document()
    web = Flask(__name__)

    @web.post("/slack/events")
    def events() -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return Response("request body too large", 413, mimetype="text/plain")
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        if timestamp is not None and not timestamp.strip().isdigit():
            return Response("", 401, mimetype="text/plain")
        body = request.get_data(as_text=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer = bolt.dispatch(bolt_request(body, request.query_string.decode(), headers))
        response = Response(answer.body, answer.status)
        for name, values in answer.headers.items():
            for value in values:
                response.headers.add(name, value)
        return response

    @web.get("/healthz")
    def health() -> Response:
        checks = {"database": "ok"}
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001
            checks["database"] = f"failed: {type(error).__name__}"
        healthy = all(value == "ok" for value in checks.values())
        body = json.dumps({"ok": healthy, "checks": checks})
        return Response(body, 200 if healthy else 503, mimetype="application/json")

    return web
