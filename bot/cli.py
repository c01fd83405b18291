"""The `northline` command."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence

from bot.bootstrap import (
    WORKER_POOL,
    _database_url,
    _settings,
    _source_config,
    _workspace_client,
    delivery_engine,
    open_database,
    web_app,
)
from bot.domain.clock import utc_now

log = logging.getLogger("northline")

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(func: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = func
        return func

    return register


@command("serve")
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


def _fail(name: str, message: str, code: int = 2) -> int:
    print(f"northline {name}: {message}", file=sys.stderr)
    return code


@command("export")
def export(args: argparse.Namespace) -> int:
    """A workspace's KRAs, KPIs, objectives, key results and check-ins as CSV or JSON."""
    from storage.db import Database, ensure_schema

    db = Database.from_url(_database_url())
    try:
        ensure_schema(db)
        team = args.team or _installed_workspace(db)
        if args.team:
            _installed_workspace(db)  # recorded, if it is this one, before anyone typed a command
        if not team:
            return _fail(
                "export", "name the workspace with --team T… (or set SLACK_BOT_TOKEN: its workspace is used)."
            )
        text, rows = _export_text(db, args, team)
    except ValueError as error:
        return _fail("export", str(error))
    finally:
        db.dispose()
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as error:
        return _fail("export", f"can't write {args.output}: {error.strerror or error}")
    what = f"the review pack of {args.report}" if args.report else f"{rows} rows"
    print(f"wrote {what} of {team} to {args.output}", file=sys.stderr)
    return 0


def _export_text(db, args: argparse.Namespace, team: str) -> tuple[str, int]:
    """The file `export` writes and how many rows it has. ValueError: a message for the operator."""

    from sqlalchemy import select

    from bot.services.export import channels_in, export_rows, settings_of, to_csv, to_json, with_channel_names
    from bot.slack_client import channel_names
    from storage.models import Workspace

    with db.session() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == team))
        if workspace is None:
            raise ValueError(f"no workspace {team} in this database; check the team id (T…).")
        if args.report:  # Markdown, whatever --format says
            return _review_report(session, workspace, args.report, args.period), 0
        rows = export_rows(session, workspace)
        settings = settings_of(session, workspace)
        workspace_id = workspace.id
    client = _workspace_client(db, workspace_id)[0] if rows else None
    if client is not None:  # names beside channel ids, asked after the session closed
        rows = with_channel_names(rows, channel_names(client, channels_in(rows)))
    if args.format == "json":
        exported_at = utc_now().replace(tzinfo=None)
        return to_json(rows, team_id=team, exported_at=exported_at, settings=settings), len(rows)
    return to_csv(rows), len(rows)


def _review_report(session, workspace, person: str, period_text: str) -> str:
    """`export --report PERSON [--period P]`: the person's KRA review pack as Markdown (the same
    pack `/kra report` sends). ValueError: a message for the operator."""
    from bot.domain.review_pack import parse_period
    from bot.errors import NorthlineError
    from bot.services import review_pack
    from bot.services.okrs import stored_names
    from bot.ui.review_pack import pack_markdown
    from storage.models import _now

    now = _now()
    try:
        person_id = review_pack.resolve_person(session, workspace, person)
    except NorthlineError as error:
        raise ValueError(error.message) from None
    period = parse_period(period_text or "", fiscal_start_month=workspace.fiscal_year_start_month, now=now)
    pack = review_pack.build_pack(session, workspace, person_id, period, now)
    reviewers = sorted({r.reviewer_id for kra in pack.kras for r in kra.reviews})
    return pack_markdown(pack, stored_names(session, workspace, reviewers))


def _installed_workspace(db) -> str | None:
    """A single-token install knows its workspace from `auth.test` before anyone has typed a
    command: record it, so export and import find it. None without SLACK_BOT_TOKEN (OAuth installs
    record each workspace as it installs)."""
    import os

    if not os.environ.get("SLACK_BOT_TOKEN"):
        return None
    from slack_sdk.errors import SlackApiError

    from bot.services.workspaces import workspace_for
    from bot.slack_client import build_web_client

    settings = _settings()
    client = build_web_client(settings.slack_bot_token, settings.slack_api_url, rate_limit_retries=2)

    try:
        auth = client.auth_test()
    except (SlackApiError, OSError) as error:
        detail = error.response.get("error") if isinstance(error, SlackApiError) else error
        print(
            f"northline: could not ask Slack which workspace SLACK_BOT_TOKEN belongs to ({detail})",
            file=sys.stderr,
        )
        return None
    with db.session() as session:  # after the call: no Web API call inside a transaction
        workspace_for(session, auth["team_id"], auth.get("enterprise_id"))
    return auth["team_id"]


@command("import")
def import_okrs(args: argparse.Namespace) -> int:
    """Objectives and key results from a YAML file (format: bot/forms/okr_file.py)."""
    from bot.errors import NotFound
    from bot.services.importer import MAX_FILE_BYTES, ImportRejected, Problem, import_file, try_sources
    from bot.services.workspaces import now
    from storage.db import Database, ensure_schema

    if getattr(args, "source", "yaml") == "viva":
        return _import_viva(args)
    try:
        with open(args.file, "rb") as source:
            raw = source.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return _fail("import", f"can't read {args.file}: {error.strerror or error}")
    try:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise ImportRejected([Problem(line, "the file is not UTF-8 text")]) from None
        db = Database.from_url(_database_url())
        try:
            ensure_schema(db)
            _installed_workspace(db)
            sources = _source_config()
            # A ready connector's source is tried once first, outside the import's transaction.
            try_sources(db, text, team_id=args.team, today=now().date(), sources=sources)
            with db.session() as session:
                result = import_file(session, text, team_id=args.team, sources=sources)
                if args.dry_run:
                    session.rollback()
        finally:
            db.dispose()
    except ImportRejected as rejected:
        print(rejected.render(args.file), file=sys.stderr)
        return 1
    except NotFound as error:
        return _fail("import", error.message)
    if args.dry_run:
        print(
            f"{args.file} checked for {result.team_id}, nothing written (--dry-run); it would have: {result.summary()}"
        )
    else:
        print(f"Imported {args.file} into {result.team_id}: {result.summary()}")
    return 0


VIVA_MAX_BYTES = 20_000_000


def _import_viva(args: argparse.Namespace) -> int:
    """A Viva Goals export (.xlsx, or .csv with --checkins CSV): bot/services/viva.py."""
    from bot.errors import NotFound, NotInstalled
    from bot.services.importer import ImportRejected, find_workspace
    from storage.db import Database, ensure_schema

    note = None
    try:
        try:
            sheets, mapping = _read_viva_export(args)
        except OSError as error:
            return _fail("import", f"can't read {error.filename or args.file}: {error.strerror or error}")
        db = Database.from_url(_database_url())
        try:
            ensure_schema(db)
            team = args.team or _installed_workspace(db)
            if not team:
                return _fail("import", "name the workspace to import into: --team T0123ABCD")
            with db.session() as session:
                workspace = find_workspace(session, team)
                fiscal_start, workspace_id = workspace.fiscal_year_start_month, workspace.id
            owners, note = _viva_owners(db, workspace_id, sheets, mapping)
            outcome = _apply_viva(db, team, sheets, owners, fiscal_start, args)
        finally:
            db.dispose()
    except ImportRejected as rejected:
        return _viva_rejected(args, rejected.problems, note)
    except (NotFound, NotInstalled) as error:
        return _fail("import", error.message)
    if note:
        print(note, file=sys.stderr)
    if args.dry_run:
        print(
            f"{args.file} checked for {team}, nothing written (--dry-run); it would have: {outcome.summary()}"
        )
    else:
        print(f"Imported {args.file} into {team}: {outcome.summary()}")
    return 0


def _read_capped(path: str) -> bytes:
    """A file's bytes; ImportRejected when it is larger than VIVA_MAX_BYTES."""
    from bot.services.importer import ImportRejected, Problem

    with open(path, "rb") as source:
        data = source.read(VIVA_MAX_BYTES + 1)
    if len(data) > VIVA_MAX_BYTES:
        raise ImportRejected([Problem(None, f"{path} is larger than {VIVA_MAX_BYTES:,} bytes")])
    return data


def _utf8(data: bytes, path: str) -> str:
    """data as text; ImportRejected naming the line when it is not UTF-8."""
    from bot.services.importer import ImportRejected, Problem

    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRejected([Problem(line, f"{path} is not UTF-8 text")]) from None


def _read_viva_export(args: argparse.Namespace):
    """The export's sheets (a workbook, or a CSV with its check-ins CSV) and the --owners map."""
    from bot.services import viva

    data = _read_capped(args.file)
    if data[:2] == b"PK":  # a zip: an .xlsx workbook
        sheets = viva.read_workbook(data)
    else:
        checkins = _utf8(_read_capped(args.checkins), args.checkins) if args.checkins else None
        sheets = viva.read_csv(_utf8(data, args.file), checkins)
    mapping = viva.read_owner_map(_utf8(_read_capped(args.owners), args.owners)) if args.owners else {}
    return sheets, mapping


def _viva_owners(db, workspace_id: int, sheets, mapping: dict[str, str]):
    """Slack first, outside any transaction: who owns what, by email. (owners, a note or None)."""
    from bot.services import viva

    note = None
    emails = viva.owner_emails(sheets)
    client = None
    if emails - mapping.keys():
        client, why_not = _workspace_client(db, workspace_id)
        note = why_not and f"{why_not} Owners were matched from --owners only."
    owners, lookup_note = viva.resolve_owners(emails, mapping, client and _email_lookup(client))
    return owners, lookup_note or note


def _apply_viva(db, team: str, sheets, owners, fiscal_start: int, args: argparse.Namespace):
    """Plan, check and write the import; rolled back again with --dry-run."""
    from bot.services import viva
    from bot.services.importer import find_workspace

    plan = viva.plan(sheets, owners, fiscal_year_start_month=fiscal_start)
    parsed = viva.check(plan, skip_unmapped=args.dry_run or args.skip_unmapped)
    with db.session() as session:
        outcome = viva.apply(session, find_workspace(session, team), plan, parsed, owners)
        if args.dry_run:
            session.rollback()
    return outcome


def _viva_rejected(args: argparse.Namespace, problems: list, note: str | None) -> int:
    """Say why nothing was imported: the first 200 problems, and what to do about them."""
    print(f"{args.file} was not imported, nothing was changed: {len(problems)} problem(s):", file=sys.stderr)
    for problem in problems[:200]:
        where = f"row {problem.line}: " if problem.line else ""
        print(f"  {where}{problem.message}", file=sys.stderr)
    if len(problems) > 200:
        print(f"  …and {len(problems) - 200} more", file=sys.stderr)
    if any("owners file" in p.message for p in problems) and note:
        print(note, file=sys.stderr)
    if not args.skip_unmapped and any(p.line for p in problems):
        print("Fix those rows, or pass --skip-unmapped to import the rest.", file=sys.stderr)
    return 1


def _email_lookup(client):
    """users.lookupByEmail as the Viva import asks it: a user, None for no one, or LookupRefused."""
    from slack_sdk.errors import SlackApiError

    from bot.services.viva import LookupRefused

    def lookup(email: str) -> dict | None:
        try:
            return client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as error:
            code = error.response.get("error") or "unknown_error"
            if code == "users_not_found":
                return None
            raise LookupRefused(code) from error

    return lookup


# --- the scheduler: `northline jobs run KIND` and `northline clock` -----------------------------


def _parse_at(text: str | None):
    from datetime import UTC, datetime

    if not text:
        return utc_now()
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SystemExit(f"--at {text!r} is not an ISO-8601 time, e.g. 2026-11-30T10:05:00+13:00") from None
    # A time without an offset is read as UTC, like everything the clock does.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@command("jobs")
def jobs(args: argparse.Namespace) -> int:
    from bot.scheduler import run_kind

    now = _parse_at(args.at)
    settings = _settings()
    db = open_database(settings.database_url)
    with delivery_engine(settings, db) as engine:
        report = run_kind(
            args.kind, db, engine.client_for, now, team_id=args.team, channel_id=args.channel, engine=engine
        )
    print(report)
    db.dispose()
    return 1 if report.errors else 0


@command("clock")
def clock(args: argparse.Namespace) -> int:
    import threading

    from bot.scheduler import run_clock

    settings = _settings()
    db = open_database(settings.database_url)
    stop = threading.Event()
    engine = delivery_engine(settings, db, stop)
    dispatcher = None
    if engine.config.distributed:
        from bot.jobs.distributed import Dispatcher, celery_app

        # The clock only decides what is due and enqueues it; `northline worker` delivers.
        dispatcher = Dispatcher(engine, celery_app(engine.config))
    try:
        return run_clock(
            db,
            engine.client_for,
            settings.database_url,
            stop,
            retention_days=settings.data_retention_days,
            engine=engine,
            dispatcher=dispatcher,
            sources=settings.sources,
        )
    finally:
        db.dispose()


WORKER_RESTART_SECONDS = 3


@command("worker")
def worker(args: argparse.Namespace) -> int:
    from bot.jobs.distributed import UnitRunner, celery_app, register_tasks
    from bot.settings import load_delivery_settings

    settings = _settings()
    config = load_delivery_settings()
    if not config.broker_url:
        return _fail(
            "worker",
            "NORTHLINE_BROKER_URL is not set: without a broker the clock delivers in its own process "
            "and needs no workers. Set it (redis://… or amqp://…) on the clock and on every worker.",
        )
    db = open_database(settings.database_url, **WORKER_POOL)
    app = celery_app(config)
    register_tasks(app, lambda: UnitRunner(delivery_engine(settings, db)))
    concurrency = args.concurrency or min(config.concurrent_workspaces, 32)
    from celery.signals import worker_shutting_down

    asked_to_stop = []  # SIGTERM / SIGINT: Celery's warm shutdown, then really stop
    worker_shutting_down.connect(lambda **_kw: asked_to_stop.append(True), weak=False)
    try:
        app.worker_main(
            [
                "worker",
                "--pool=threads",  # units wait on Slack, not on the CPU; threads share the pacer
                f"--concurrency={concurrency}",
                f"--queues={config.queue}",
                f"--loglevel={settings.log_level.value}",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=northline-{os.getpid()}@%h",
            ]
        )
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code or 0
    db.dispose()
    if not asked_to_stop:
        # Celery gives up on an "unrecoverable error" (and exits 0), e.g. kombu's Redis transport
        # when the broker restarts while units are unacknowledged (celery/kombu#970). A worker that
        # stays down delivers nothing: start afresh in this same process.
        log = logging.getLogger("northline.worker")
        log.error("the worker stopped (exit %s); starting again in %s s", code, WORKER_RESTART_SECONDS)
        time.sleep(WORKER_RESTART_SECONDS)
        again = ["worker", *(["--concurrency", str(args.concurrency)] if args.concurrency else [])]
        os.execv(  # noqa: S606 - this same interpreter and module, no text of anyone's
            sys.executable,
            [sys.executable, "-c", "import sys; from bot.cli import main; main(sys.argv[1:])", *again],
        )
    return 0


@command("workspace")
def workspace(args: argparse.Namespace) -> int:
    """`northline workspace purge [T] [--now]`: delete uninstalled workspaces' data."""
    from bot.services import lifecycle
    from storage.db import Database, ensure_schema

    db = Database.from_url(_database_url())
    ensure_schema(db)
    try:
        if args.team and args.now:
            if not lifecycle.purge(db, args.team):
                return _fail("workspace", f"no workspace {args.team} in this database")
            print(f"purged {args.team}")
            return 0
        if args.team:
            return _fail(
                "workspace", "purging one workspace at once needs --now: northline workspace purge T --now"
            )
        days = _retention_days()
        purged = lifecycle.purge_expired(db, days)
        print(
            f"purged {len(purged)} workspace(s) uninstalled more than {days} days ago: {', '.join(purged) or 'none'}"
        )
        return 0
    finally:
        db.dispose()


def _retention_days() -> int:
    import os

    raw = os.environ.get("DATA_RETENTION_DAYS", "30")
    if not raw.isdigit():
        raise SystemExit(
            "Configuration error: DATA_RETENTION_DAYS is malformed; it should be a whole number of days, e.g. 30."
        )
    return int(raw)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="northline", description="Northline: KRAs, OKRs and sprint goals in Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    demo_parser = sub.add_parser("demo", help="a demo workspace in a fresh SQLite file, printed as text")
    demo_parser.add_argument(
        "--path", default=None, help="where to write the SQLite file (default: a temp dir)"
    )
    export_parser = sub.add_parser(
        "export", help="a workspace's KRAs, KPIs, OKRs and check-ins as CSV or JSON"
    )
    export_parser.add_argument(
        "--team",
        default=None,
        help="the workspace's Slack team id (T…; default: SLACK_BOT_TOKEN's workspace)",
    )
    export_parser.add_argument("--format", choices=["csv", "json"], default="csv")
    export_parser.add_argument("--output", default=None, help="write to this file (default: standard output)")
    export_parser.add_argument(
        "--report",
        default=None,
        metavar="PERSON",
        help="instead, PERSON's KRA review pack as Markdown (a Slack user id U…, <@U…>, or a name Northline knows)",
    )
    export_parser.add_argument(
        "--period",
        default="",
        help="with --report: a quarter (2026-Q4), a fiscal year (FY2026, last fiscal year) or 'last 12 months' "
        "(default: this quarter)",
    )
    import_parser = sub.add_parser(
        "import",
        help="objectives and key results from a YAML file (see examples/okrs.yaml)",
        description="Checks the whole file first and writes nothing if any of it is wrong (exit 1, each "
        "problem with its line). Re-importing the same file changes nothing.",
    )
    import_parser.add_argument("file", help="the YAML file (with --from viva: the Viva Goals export)")
    import_parser.add_argument(
        "--team", default=None, help="the workspace's Slack team id (default: the file's `team`)"
    )
    import_parser.add_argument(
        "--dry-run", action="store_true", help="check the file and report, write nothing"
    )
    import_parser.add_argument(
        "--from", dest="source", choices=["yaml", "viva"], default="yaml",
        help="the file's kind: Northline's YAML (default) or a Viva Goals export (.xlsx or .csv)",
    )  # fmt: skip
    import_parser.add_argument("--owners", default=None, help="viva: a CSV of email,slack_user_id lines")
    import_parser.add_argument("--checkins", default=None, help="viva, CSV form: the check-in history CSV")
    import_parser.add_argument(
        "--skip-unmapped", action="store_true", help="viva: import the rows that map, leave out the rest"
    )
    jobs_parser = sub.add_parser("jobs", help="run one kind of scheduled post now")
    jobs_sub = jobs_parser.add_subparsers(dest="action", required=True)
    run_parser = jobs_sub.add_parser("run", help="run KIND as if it were --at (same at-most-once keys)")
    run_parser.add_argument(
        "kind", choices=["checkin-reminders", "digest", "sprint-prompts", "nudges", "cycle-prompts"]
    )
    run_parser.add_argument("--team", default=None, help="only this workspace (team id)")
    run_parser.add_argument(
        "--channel", default=None, help="only this channel (digest, sprint prompts, nudges)"
    )
    run_parser.add_argument(
        "--at", default=None, help="ISO-8601 time to run as (default now; no offset = UTC)"
    )
    sub.add_parser("clock", help="the scheduler: every minute, every scheduled post that is due")
    worker_parser = sub.add_parser(
        "worker",
        help="a Celery worker delivering scheduled posts (needs NORTHLINE_BROKER_URL; run as many as you like)",
    )
    worker_parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="units at once (default: NORTHLINE_CONCURRENT_WORKSPACES, at most 32)",
    )
    workspace_parser = sub.add_parser("workspace", help="workspace data lifecycle")
    workspace_sub = workspace_parser.add_subparsers(dest="action", required=True)
    purge_parser = workspace_sub.add_parser(
        "purge",
        help="delete the data of workspaces uninstalled longer ago than DATA_RETENTION_DAYS (default 30)",
    )
    purge_parser.add_argument("team", nargs="?", help="one workspace's team id (with --now)")
    purge_parser.add_argument("--now", action="store_true", help="purge that workspace now, whatever its age")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()
    except BrokenPipeError:
        # `northline demo | head`: the reader left; that is not an error worth a traceback.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout must stay writable for exit
        code = 0
    sys.exit(code)
