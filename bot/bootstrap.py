"""The one wiring: settings and logging, the database, the Bolt app on its WSGI app, the clock's
Slack clients and the delivery engine. The web process (bot/wsgi.py), `northline serve`, the
clock, the workers, the other commands and the tests all build them here."""

from __future__ import annotations

import gc
import threading

# A worker's threads hold a connection only for a claim or a mark at a time: ten between them
# keep many workers inside PostgreSQL's default of 100 connections (bench/REPORT.md).
WORKER_POOL = {"pool_size": 5, "max_overflow": 5}


# A long-running delivery process allocates thousands of short-lived objects per unit (ORM rows,
# messages): collected every 700 allocations, as CPython's default, the cycle collector alone
# took some 5% of a worker's CPU (bench/REPORT.md).
YOUNG_GENERATION_THRESHOLD = 20_000


def settle_heap() -> None:
    """Once a delivery process (the clock, a worker) has started: what exists by now (modules, the
    app, pools, clients) lives as long as the process, so the cycle collector stops scanning it
    (gc.freeze), and young objects are collected less often. Memory is unchanged in practice:
    garbage without cycles is freed at once whatever the thresholds."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


def _settings():
    """Every setting, validated (bot/settings.py), and logging configured from them."""
    from bot.logs import configure
    from bot.settings import load_settings

    settings = load_settings()
    configure(
        settings.log_level,
        settings.log_format == "json",
        (settings.slack_signing_secret, settings.slack_client_secret),
    )
    return settings


def open_database(url: str, **pool):
    """The database at `url`, its schema brought to the code's head (storage/db.py)."""
    from storage.db import Database, ensure_schema, make_engine

    db = Database(make_engine(url, **pool)) if pool else Database.from_url(url)
    ensure_schema(db)
    return db


def web_app(settings, db, *, app=None, slack_link=None):
    """The one WSGI app (bot/web.py) around `app`, the Bolt app (built here when not given): what
    gunicorn and `northline serve` serve."""
    from bot.api.app import limits_from
    from bot.app import create_app
    from bot.web import create_web

    if app is None:
        app = create_app(settings, db=db)
    return create_web(app, db, limits=limits_from(settings), slack_link=slack_link)


def _workspace_client(db, workspace):
    """The bot client of `workspace` (a row read earlier: its team and enterprise ids), with
    SLACK_BOT_TOKEN or the token its OAuth install stored; or (None, why not: a sentence for the
    operator)."""
    from bot.errors import NotInstalled
    from bot.settings import SettingsError, declared_credentials

    if not declared_credentials().any:
        return None, "No Slack credentials in the environment."
    try:
        settings = _settings()
    except (SettingsError, SystemExit) as error:
        return None, f"Slack settings are incomplete ({error})."
    try:
        return _clock_clients(settings, db)(workspace), None
    except NotInstalled as error:
        return None, error.message


def _clock_clients(settings, db, stop=None, pacer=None, connections=8):
    """client_for(workspace): the workspace's own bot token (SLACK_BOT_TOKEN, or its OAuth
    installation), in the clock's client: 20 honoured 429s a call, waits that end on `stop`, each
    429 pausing that workspace in `pacer` (bot/jobs/pacing.py).

    Safe from many threads. Call it per unit of work: a rotating token is refreshed (once, under a
    lock across processes) when it has under two hours left, and the workspace gets a new client.
    Raises NotInstalled, or its subclass TokenRefreshFailed when the token has expired and Slack
    would not refresh it: that workspace is skipped and logged, the others go on. Every client
    shares one pool of `connections` kept-alive connections to Slack (the calls in flight)."""
    from bot.installations import Clients
    from bot.jobs.posting import build_clock_client
    from bot.slack_client import connection_pool

    tokens = Clients(settings, db)
    pool = connection_pool(connections)
    built: dict[tuple, tuple] = {}
    guard = threading.Lock()

    def client_for(workspace):
        token = tokens.token_for(workspace.team_id, workspace.enterprise_id)
        key = (workspace.team_id, workspace.enterprise_id)
        with guard:
            known = built.get(key)
            if known is None or known[0] != token:  # one client per workspace, replaced when its token is
                client = build_clock_client(
                    token,
                    settings.slack_api_url,
                    stop=stop,
                    pacer=pacer,
                    pace_key=workspace.team_id,
                    pool=pool,
                )
                known = built[key] = (token, client)
            return known[1]

    return client_for


def delivery_engine(settings, db, stop=None):
    """The engine every scheduled post goes through in this process (bot/jobs/engine.py)."""
    from bot.jobs.engine import Engine
    from bot.jobs.pacing import Pacer
    from bot.settings import load_delivery_settings

    config = load_delivery_settings()
    pacer = Pacer(config.posts_per_second)
    clients = _clock_clients(settings, db, stop, pacer, config.concurrent_workspaces * config.posts_in_flight)
    return Engine(db, clients, config, stop=stop, pacer=pacer)
