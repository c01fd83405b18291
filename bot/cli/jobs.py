"""`northline jobs run`, `northline clock` and `northline worker`: scheduled posts, run once, on
the clock, or delivered by Celery workers."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from bot.bootstrap import WORKER_POOL, _settings, delivery_engine, open_database, settle_heap
from bot.cli.common import fail
from bot.domain.clock import utc_now


def add_jobs(sub) -> None:
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
    jobs_parser.set_defaults(run=jobs)


def add_clock(sub) -> None:
    clock_parser = sub.add_parser(
        "clock", help="the scheduler: every minute, every scheduled post that is due"
    )
    clock_parser.set_defaults(run=clock)


def add_worker(sub) -> None:
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
    worker_parser.set_defaults(run=worker)


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
    settle_heap()
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


def worker(args: argparse.Namespace) -> int:
    from bot.jobs.distributed import UnitRunner, celery_app, register_tasks
    from bot.settings import load_delivery_settings

    settings = _settings()
    config = load_delivery_settings()
    if not config.broker_url:
        return fail(
            "worker",
            "NORTHLINE_BROKER_URL is not set: without a broker the clock delivers in its own process "
            "and needs no workers. Set it (redis://… or amqp://…) on the clock and on every worker.",
        )
    db = open_database(settings.database_url, **WORKER_POOL)
    app = celery_app(config)
    register_tasks(app, lambda: UnitRunner(delivery_engine(settings, db)))
    concurrency = args.concurrency or min(config.concurrent_workspaces, 32)
    from celery.signals import worker_ready, worker_shutting_down

    worker_ready.connect(lambda **_kw: settle_heap(), weak=False)

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
