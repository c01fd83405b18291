"""`northline serve`: the Slack app over HTTP on $PORT, or over Socket Mode."""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading

from bot.bootstrap import _settings, open_database, web_app

log = logging.getLogger("northline")


def add_serve(sub) -> None:
    parser = sub.add_parser(
        "serve", help="serve the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)"
    )
    parser.set_defaults(run=serve)


def serve(args: argparse.Namespace) -> int:
    from bot.app import create_app

    settings = _settings()
    db = open_database(settings.database_url)
    app = create_app(settings, db=db)
    link, stop = None, threading.Event()
    if settings.socket_mode:
        link = _start_socket_mode(app, settings, stop)
    wsgi = web_app(settings, db, app=app, slack_link=link)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            _serve_http(settings.port, wsgi, socket_mode=link is not None, stop=stop)
    finally:
        stop.set()
    return 0


def _serve_http(port: int, wsgi, *, socket_mode: bool, stop: threading.Event) -> None:
    """Serve `wsgi` on `port` until interrupted. In Socket Mode the port only carries /healthz and
    the API, so a port already taken is a warning there, and Slack is still served."""
    try:
        server = _http_server(port, wsgi)
    except OSError as error:
        if not socket_mode:
            raise
        log.warning(
            "cannot listen on port %s (%s): /healthz and /api/v1 are not served", port, error.strerror
        )
        stop.wait()
        return
    if socket_mode:
        log.info("serving over Socket Mode; GET /healthz and /api/v1 on port %s", port)
    else:
        log.info("serving HTTP on port %s: POST /slack/events, GET /healthz, /api/v1", port)
    server.serve_forever()


def _start_socket_mode(app, settings, stop: threading.Event):
    """Connect to Slack over Socket Mode on a thread of its own, waiting for Slack while it is
    unreachable (bot/socket_mode.py); the state it sees is what /healthz says of Slack."""
    from bot.socket_mode import Backoff, SlackLink, SocketModeRunner

    link = SlackLink()
    backoff = Backoff(settings.northline_slack_retry_seconds, settings.northline_slack_retry_max_seconds)
    runner = SocketModeRunner(
        app, settings.slack_app_token, settings.slack_api_url, link=link, backoff=backoff
    )
    threading.Thread(target=runner.run, args=(stop,), name="northline-socket-mode", daemon=True).start()
    return link


def _http_server(port: int, wsgi):
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIServer, make_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    # Every interface, as gunicorn in the Procfile: the server runs behind the platform's router.
    return make_server("0.0.0.0", port, wsgi, server_class=ThreadingServer)  # noqa: S104
