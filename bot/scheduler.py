"""`northline clock`: the one long-running scheduler process (APScheduler 3).

One interval job, every minute, starts every kind of scheduled post for every workspace with
now = the current time, on the delivery engine (bot/jobs/engine.py), and returns: the kinds run
at once, and a unit still running from an earlier tick is simply not started again. The kinds
decide what is due from the Schedule rows, so a schedule changed in Slack (`/okr schedule`,
`/sprint schedule`) takes effect within a minute, without a restart. With NORTHLINE_BROKER_URL
the tick plans the units and enqueues those with posts due for `northline worker`s
(bot/jobs/distributed.py) instead of delivering them.

- Job store: APScheduler's SQLAlchemyJobStore on DATABASE_URL (its table ``apscheduler_jobs`` is
  APScheduler's own; Alembic's autogenerate is told to ignore it in storage/migrations/env.py).
  The one job is added with replace_existing, so restarts never pile up copies of it.
- coalesce + max_instances=1: ticks that were missed collapse into one; misfire_grace_time lets a
  tick that woke late still run.
- Two clock processes on one database: on PostgreSQL one leads (an advisory lock) and the other
  waits; either way every post is sent at most once, because each is claimed in the delivery log
  (bot/jobs/delivery.py) before it is posted.
- SIGTERM / SIGINT: the stop event is set (units check it between posts, and rate-limit waits end
  on it), the posts in flight finish, and the process exits, well within 10 seconds.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.clock import utc_now
from bot.jobs import engine as engine_module
from bot.jobs.common import ClientFor, RunReport
from bot.jobs.engine import JOB_KINDS, Engine, units_for
from bot.sources.connections import SourceConfig
from storage.db import Database
from storage.repositories import leases

if TYPE_CHECKING:
    from bot.jobs.distributed import Dispatcher

log = logging.getLogger("northline.clock")

TICK_JOB_ID = "northline-tick"
TICK_SECONDS = 60
MISFIRE_GRACE_SECONDS = 120


def run_kind(
    kind: str,
    db: Database,
    client_for: ClientFor,
    now: datetime,
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
    stop: threading.Event | None = None,
    engine: Engine | None = None,
) -> RunReport:
    """One kind now (`northline jobs run`), every workspace at once, waiting for it to finish."""
    return engine_module.run_kind(
        kind, db, client_for, now, team_id=team_id, channel_id=channel_id, stop=stop, engine=engine
    )


def run_all(
    db: Database, client_for: ClientFor, now: datetime, *, stop: threading.Event | None = None
) -> list[RunReport]:
    """Every kind at once, waiting for all; one kind failing is logged and the others still run."""
    return engine_module.run_all(db, client_for, now, stop=stop, kinds=JOB_KINDS)


# --- the clock ----------------------------------------------------------------------------------


# Any constant both clocks agree on; "NLCK" in ASCII.
ADVISORY_LOCK_KEY = 0x4E4C434B


class Leadership:
    """On PostgreSQL only one clock works at a time: it holds a session advisory lock on a
    connection of its own. A second clock finds the lock taken and waits as a standby; when the
    first dies its connection closes, the lock is released, and the standby takes over on its
    next tick (within a minute). SQLite has one writer anyway: always the leader."""

    def __init__(self, db: Database):
        self.db = db
        self.connection = None
        # A tick in flight when the clock stops may ask while close() runs: one at a time, and
        # once closed the lock is never taken again (it would be held until the process exits).
        self._guard = threading.Lock()
        self._closed = False

    def is_leader(self) -> bool:
        if self.db.is_sqlite:
            return True
        with self._guard:
            return False if self._closed else self._hold_or_take()

    def _hold_or_take(self) -> bool:
        from sqlalchemy import text

        try:
            if self.connection is not None:
                self.connection.execute(text("SELECT 1"))  # still ours while this works
                return True
            # Autocommit: the leader holds this connection for days, and a connection left inside
            # a transaction would hold back VACUUM for as long.
            connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar()
            if got:
                self.connection = connection
                log.info("this clock is now the leader")
                return True
            connection.close()
            return False
        except Exception:  # noqa: BLE001 - a lost database connection means a lost lock
            log.warning("lost the clock's advisory lock connection; will try again next tick")
            self._let_go()
            return False

    def release(self) -> None:
        with self._guard:
            self._let_go()

    def close(self) -> None:
        """Let go for good: the clock has stopped."""
        with self._guard:
            self._closed = True
            self._let_go()

    def _let_go(self) -> None:
        if self.connection is not None:
            from sqlalchemy import text

            # Unlock first: a closed connection's server process ends, and frees the lock, a moment
            # later, when a successor may already be asking.
            with contextlib.suppress(Exception):
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            # invalidate(): really close it, or the pool would keep the lock alive on reuse.
            with contextlib.suppress(Exception):
                self.connection.invalidate()
            with contextlib.suppress(Exception):
                self.connection.close()
        self.connection = None


@dataclass
class Clock:
    db: Database
    engine: Engine
    stop: threading.Event
    retention_days: int = 30
    leadership: Leadership | None = None
    purged_on: str = ""
    dispatcher: Dispatcher | None = None  # Celery: enqueue what is due instead of delivering it
    syncing: Future | None = None  # the data sources' sync in progress, if any
    refreshing: Future | None = None  # the stale digests' update in progress, if any
    sources: SourceConfig = field(default_factory=SourceConfig)  # declared connections, allow-list
    listing: Future | None = None  # the people's refresh in progress, if any (bot/jobs/roster.py)

    def sync_sources(self, now: datetime) -> None:
        """Bound data sources whose interval has passed (bot/sources/sync.py), on the engine's pool:
        one run at a time, never in the tick's own thread; within a run, sources are read
        concurrently (NORTHLINE_SYNC_THREADS), so a slow one holds back only itself."""
        if self.syncing is not None and not self.syncing.done():
            return
        from bot.sources.sync import sync_due_sources

        self.syncing = self.engine.background(
            functools.partial(sync_due_sources, config=self.sources), self.db, self.engine.client_for, now
        )

    def refresh_people(self, now: datetime) -> None:
        """The users.list passes due now (bot/jobs/roster.py), on the engine's pool: one run at a
        time, never in the tick's thread and never on the delivery path."""
        if self.listing is not None and not self.listing.done():
            return
        from bot.jobs.roster import refresh_people

        engine = self.engine
        self.listing = engine.background(
            lambda: refresh_people(self.db, engine.client_for, now, pacer=engine.pacer, stop=self.stop)
        )

    def refresh_digests(self, now: datetime) -> None:
        """Posted digests a later check-in made stale, updated in place (bot/jobs/digest_refresh.py)
        on the engine's pool, one run at a time: the tick is what holds each channel to one update
        a minute however many check-ins land."""
        if self.refreshing is not None and not self.refreshing.done():
            return
        from bot.jobs.digest_refresh import refresh_digests

        self.refreshing = self.engine.background(refresh_digests, self.db, self.engine.client_for, now)

    def dispatch(self, now: datetime) -> None:
        """Start every kind for every workspace and return: a unit that overruns the minute holds
        back neither the other kinds nor the next tick (which skips only that same unit). With a
        broker, plan them here and enqueue the ones with posts due for the workers."""
        units = units_for(self.db, JOB_KINDS, now)
        if self.dispatcher is not None:
            enqueued = self.dispatcher.dispatch(units)
            if enqueued:
                log.info("enqueued %d unit(s) with posts due", enqueued)
            return
        self.engine.submit(units, done=_log_report)


def _log_report(report: RunReport) -> None:
    if report.sent or report.failed or report.late or report.channels_disabled or report.errors:
        log.info("%s", report)


# APScheduler stores the tick by its textual reference, so the clock it runs lives here,
# set by run_clock() for the life of the process.
_clock: Clock | None = None


def tick() -> None:
    """The one APScheduler job (stored by its textual reference, so it pickles to nothing)."""
    clock = _clock
    if clock is None:
        log.warning("tick without a clock configured; nothing to do")
        return
    if clock.leadership is not None and not clock.leadership.is_leader():
        log.info("standby: another clock holds the lock")
        return
    now = utc_now()
    try:
        clock.dispatch(now)
        clock.sync_sources(now)
        clock.refresh_people(now)
        clock.refresh_digests(now)
    except Exception:  # noqa: BLE001 - the clock never dies of one tick (a database blip, a broker down)
        log.exception("could not start this tick's deliveries; the next tick tries again")
    purge_once_a_day(clock, now)


def purge_once_a_day(clock: Clock, now: datetime) -> None:
    """Workspaces uninstalled longer ago than the retention period are deleted, daily."""
    from bot.services.lifecycle import purge_expired
    from bot.services.tokens import forget_rate_windows, purge_idempotency_keys

    today = now.date().isoformat()
    if clock.purged_on == today or (clock.stop is not None and clock.stop.is_set()):
        return
    try:
        leases.forget_units(clock.db, now.replace(tzinfo=None) - timedelta(days=1))
        purge_idempotency_keys(clock.db, now)
        forget_rate_windows(clock.db, now)
        purged = purge_expired(clock.db, clock.retention_days, now.replace(tzinfo=None))
        if purged:
            log.info("purged %d uninstalled workspace(s): %s", len(purged), ", ".join(purged))
        clock.purged_on = today
    except Exception:  # noqa: BLE001 - the clock never dies of housekeeping
        log.exception("purging uninstalled workspaces failed")


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
        next_run_time=utc_now(),
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
    retention_days: int = 30,
    engine: Engine | None = None,
    dispatcher: Dispatcher | None = None,
    sources: SourceConfig | None = None,
) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set by the caller). Returns the exit status."""
    global _clock
    leadership = Leadership(db)
    engine = engine or Engine(db, client_for, stop=stop)
    _clock = Clock(
        db,
        engine,
        stop,
        retention_days=retention_days,
        leadership=leadership,
        dispatcher=dispatcher,
        sources=sources or SourceConfig(),
    )
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
        engine.close()  # the units in flight stop between posts (stop is set) and finish
        leadership.close()
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
