"""The `northline` command."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence

log = logging.getLogger("northline")

HINT = "a SQLAlchemy URL, e.g. sqlite:///northline.db or postgresql+psycopg://user@host/db"
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(func: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = func
        return func

    return register


def _settings():
    from bot.logs import configure
    from bot.settings import load_settings

    settings = load_settings()
    configure(
        settings.log_level,
        settings.log_format == "json",
        (settings.slack_signing_secret, settings.slack_client_secret),
    )
    return settings


def _database_url() -> str:
    """Commands that only touch the database need DATABASE_URL, not the Slack credentials."""
    import os

    from bot.settings import SettingsError, normalize_database_url

    url = os.environ.get("DATABASE_URL", "sqlite:///northline.db")
    try:
        return normalize_database_url(url)  # the same normalisation the app applies
    except ValueError:
        raise SettingsError("Configuration error: DATABASE_URL is malformed; it should be " + HINT) from None


@command("serve")
def serve(args: argparse.Namespace) -> int:
    from bot.app import create_app
    from bot.web import NorthlineWSGI
    from storage.db import Database, ensure_schema

    settings = _settings()
    db = Database.from_url(settings.database_url)
    ensure_schema(db)
    app = create_app(settings, db=db)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("serving over Socket Mode")
        SocketModeHandler(app, settings.slack_app_token).start()
        return 0
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIServer, make_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server("0.0.0.0", settings.port, NorthlineWSGI(app, db), server_class=ThreadingServer)
    log.info("serving HTTP on port %s: POST /slack/events, GET /healthz", settings.port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


@command("db")
def database(args: argparse.Namespace) -> int:
    from storage.db import Database, schema_state, upgrade

    url = _database_url()
    if args.action == "upgrade":
        upgrade(url)
    current, head = schema_state(Database.from_url(url).engine)
    print(f"database at {current or 'nothing'}; code head {head}")
    return 0 if current == head else 1


@command("demo")
def demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    print(run_demo(args.path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="northline", description="Northline: KRAs, OKRs and sprint goals in Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    demo_parser = sub.add_parser("demo", help="a demo workspace in a fresh SQLite file, printed as text")
    demo_parser.add_argument("--path", default=None, help="where to write the SQLite file (default: a temp dir)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(COMMANDS[args.command](args))
