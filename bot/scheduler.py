"""`northline clock`: the one long-running scheduler process (APScheduler 3).

One interval job, every minute, runs every kind of scheduled post with now = the current time.
The jobs themselves decide what is due from the Schedule rows, so a schedule changed in Slack
(`/okr schedule`, `/sprint schedule`) takes effect within a minute, without a restart.

- Job store: APScheduler's SQLAlchemyJobStore on DATABASE_URL (its table ``apscheduler_jobs`` is
  APScheduler's own; Alembic's autogenerate is told to ignore it in storage/migrations/env.py).
  The one job is added with replace_existing, so restarts never pile up copies of it.
- coalesce + max_instances=1: a slow fan-out that overruns the minute is not run twice at once in
  one process, and missed ticks collapse into one. misfire_grace_time lets a tick that woke late
  still run.
- Two clock processes on one database would each tick; every post is still sent at most once,
  because each is claimed in the delivery log (bot/jobs/delivery.py) before it is posted.
- SIGTERM / SIGINT: the stop event is set (jobs check it between posts, and the clock's
  rate-limit waits end on it), the post in flight finishes, scheduler.shutdown(wait=True) waits
  for the job thread, and the process exits, well within 10 seconds.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.jobs.common import ClientFor, RunReport
from storage.db import Database

log = logging.getLogger("northline.clock")

TICK_JOB_ID = "northline-tick"
TICK_SECONDS = 60
MISFIRE_GRACE_SECONDS = 120

# KIND (as typed on the command line) -> "module:function"; imported on first use.
JOB_KINDS: dict[str, str] = {
    "checkin-reminders": "bot.jobs.reminders:checkin_reminders",
    "digest": "bot.jobs.digest:channel_digests",
    "sprint-prompts": "bot.jobs.sprint_prompts:sprint_prompts",
    "nudges": "bot.jobs.nudges:alignment_nudges",
    "cycle-prompts": "bot.jobs.cycle_prompts:cycle_prompts",
}


def job_function(kind: str) -> Callable[..., RunReport]:
    try:
        module_name, name = JOB_KINDS[kind].split(":")
    except KeyError:
        raise ValueError(f"unknown job kind {kind!r}; one of {', '.join(JOB_KINDS)}") from None
    return getattr(importlib.import_module(module_name), name)


def run_kind(
    kind: str,
    db: Database,
    client_for: ClientFor,
    now: datetime,
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
    stop: threading.Event | None = None,
) -> RunReport:
    return job_function(kind)(db, client_for, now, team_id=team_id, channel_id=channel_id, stop=stop)


def run_all(
    db: Database, client_for: ClientFor, now: datetime, *, stop: threading.Event | None = None
) -> list[RunReport]:
    """Every kind once, in order; one kind failing is logged and the others still run."""
    reports = []
    for kind in JOB_KINDS:
        if stop is not None and stop.is_set():
            break
        try:
            reports.append(run_kind(kind, db, client_for, now, stop=stop))
        except Exception:  # noqa: BLE001 - the clock never dies of one job
            log.exception("job %s failed", kind)
    return reports


# --- the clock ----------------------------------------------------------------------------------


@dataclass
class Clock:
    db: Database
    client_for: ClientFor
    stop: threading.Event


_clock: Clock | None = None


def tick() -> None:
    """The one APScheduler job (stored by its textual reference, so it pickles to nothing)."""
    clock = _clock
    if clock is None:
        log.warning("tick without a clock configured; nothing to do")
        return
    for report in run_all(clock.db, clock.client_for, datetime.now(UTC), stop=clock.stop):
        if report.sent or report.failed or report.late or report.channels_disabled or report.errors:
            log.info("%s", report)


def build_scheduler(database_url: str, *, tick_seconds: int = TICK_SECONDS):
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=database_url)},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=UTC,
    )
    scheduler.add_job(
        "bot.scheduler:tick",
        "interval",
        seconds=tick_seconds,
        id=TICK_JOB_ID,
        name="every scheduled post that is due",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    return scheduler


def run_clock(
    db: Database,
    client_for: ClientFor,
    database_url: str,
    stop: threading.Event,
    *,
    tick_seconds: int = TICK_SECONDS,
    install_signals: bool = True,
) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set by the caller). Returns the exit status."""
    global _clock
    _clock = Clock(db, client_for, stop)
    scheduler = build_scheduler(database_url, tick_seconds=tick_seconds)

    def request_stop(*_args) -> None:
        # A signal handler only sets the event; the watcher thread does the rest.
        stop.set()

    if install_signals:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    watcher = threading.Thread(target=_watch, args=(stop, scheduler), name="clock-stop-watch", daemon=True)
    watcher.start()
    log.info("clock started: every %ss, %s", tick_seconds, ", ".join(JOB_KINDS))
    try:
        scheduler.start()
    finally:
        _clock = None
    watcher.join(timeout=30)
    log.info("clock stopped")
    return 0


def _watch(stop: threading.Event, scheduler) -> None:
    """Once stop is set: shut the scheduler down, waiting for the post in flight to finish."""
    stop.wait()
    log.info("stopping: finishing the post in flight")
    deadline = time.monotonic() + 10
    while not scheduler.running and time.monotonic() < deadline:
        time.sleep(0.02)  # stopped before it had started: wait for start() to get going
    _shutdown(scheduler)


def _shutdown(scheduler) -> None:
    from apscheduler.schedulers import SchedulerNotRunningError

    with contextlib.suppress(SchedulerNotRunningError):
        scheduler.shutdown(wait=True)
