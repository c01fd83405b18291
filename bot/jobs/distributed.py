"""Delivery on Celery workers, when one machine is not enough (NORTHLINE_BROKER_URL).

The clock plans every (kind × workspace) unit, as it does in its own process, and enqueues only
the units with posts due now, a big workspace's split into batches of NORTHLINE_BATCH_SIZE. Any
number of `northline worker` processes, on any number of machines, run them through the same
engine (bot/jobs/engine.py), each re-planning its unit before it sends.

What keeps this at most once and complete:

- a workspace is held by one worker at a time (a lease in the database, renewed while its unit
  runs), so its pacing holds across machines; a unit that finds its workspace busy is retried
  a little later;
- tasks are acknowledged late and re-queued when their worker is lost: a unit whose worker was
  killed runs again (once the lease and the broker's visibility timeout, both from
  NORTHLINE_UNIT_TIMEOUT, have passed) and reaches the people not reached yet; what the dead
  worker had claimed but not marked is settled, never resent blindly: read back from Slack and
  marked sent, or sent now if Slack does not have it (bot/jobs/settlement.py);
- a unit that finished is recorded, so the same unit handed out again (re-delivered after its
  ack was lost, or enqueued by two clocks in the same minute) does not run twice;
- the broker unreachable: the clock logs it and enqueues again at the next tick; nothing due is
  dropped, because the next tick plans everything that is still due afresh.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import Celery
from kombu.exceptions import OperationalError

from bot.domain.clock import stored_now
from bot.jobs.common import RunReport
from bot.jobs.engine import Engine, Planned, Unit
from bot.settings import DeliverySettings
from storage.repositories import leases

log = logging.getLogger("northline.jobs.distributed")

TASK = "northline.deliver_unit"
BUSY_RETRY_SECONDS = 2.0
ERROR_RETRIES = 3
ERROR_RETRY_SECONDS = 5.0


def lease_seconds(config: DeliverySettings) -> float:
    """How long a worker holds a workspace without renewing: well inside the unit timeout, so a
    re-delivered unit finds the dead worker's lease expired."""
    return max(2.0, min(60.0, config.unit_timeout / 3))


def celery_app(config: DeliverySettings) -> Celery:
    """The Celery app for `config.broker_url`: late acks, one task at a time per worker thread."""
    app = Celery("northline", broker=config.broker_url, set_as_current=False)
    options: dict = {"visibility_timeout": config.unit_timeout}
    if (config.broker_url or "").startswith(("redis", "rediss")):
        # Abandoned units come back after the visibility timeout; look for them often enough.
        options.update(
            unacked_restore_interval=max(1, min(10, config.unit_timeout // 5)),
            unacked_restore_throttle=1,
            socket_timeout=10,
            socket_connect_timeout=5,
        )
    app.conf.update(
        task_default_queue=config.queue,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,  # acknowledged when the unit is done, not when it is received
        task_reject_on_worker_lost=True,  # a worker lost mid-unit puts the unit back
        worker_prefetch_multiplier=1,  # a worker takes only what it is about to run
        broker_transport_options=options,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


# --- the clock's side ---------------------------------------------------------------------------


@dataclass
class Dispatcher:
    """Decides what is due (planning every unit, as the engine does) and enqueues what is."""

    engine: Engine
    app: Celery

    def dispatch(self, units: Iterable[Unit]) -> int:
        """Enqueue the units with posts due now, each as soon as it is planned (workers start on
        the first while the clock still plans the rest); returns how many were enqueued. The
        broker down: logged, and the next tick enqueues them again."""
        enqueued = 0
        for unit in self.due_units(units):
            try:
                self.app.send_task(
                    TASK,
                    args=[unit.to_message()],
                    task_id=f"{unit.id}/{uuid.uuid4().hex[:8]}",
                    queue=self.engine.config.queue,
                    retry=True,
                    retry_policy={
                        "max_retries": 2,
                        "interval_start": 0.2,
                        "interval_step": 0.5,
                        "interval_max": 1,
                    },
                )
                enqueued += 1
            except (OperationalError, OSError) as error:
                log.error(
                    "the broker is unreachable (%s): %s and the units with posts due after it were "
                    "not enqueued (%d were); the next tick plans and enqueues them again",
                    error,
                    unit.id,
                    enqueued,
                )
                break
        return enqueued

    def due_units(self, units: Iterable[Unit]) -> Iterator[Unit]:
        """Plan every unit (a few at once, Engine.planning_slots); yield those with posts due,
        split into batches of NORTHLINE_BATCH_SIZE, in the units' order, each once it is planned."""
        units = list(units)
        if not units:
            return
        with ThreadPoolExecutor(min(len(units), self.engine.planning_slots)) as pool:
            for unit, plan in zip(
                units, pool.map(partial(self.engine.plan, deciding=True), units), strict=True
            ):
                if not isinstance(plan, Planned) or not plan.work:
                    _log_errors(plan if isinstance(plan, RunReport) else plan.report)
                    continue
                batches = -(-(len(plan.due) + len(plan.doubts)) // self.engine.config.batch_size)
                yield from unit.split(batches) if batches > 1 else [unit]


def _log_errors(report: RunReport) -> None:
    if report.errors or report.late:
        log.info("%s", report)


# --- the worker's side --------------------------------------------------------------------------


class UnitRunner:
    """Runs units handed out by the broker, in one worker process: one lease per workspace."""

    def __init__(
        self, engine: Engine, holder: str | None = None, clock: Callable[[], datetime] | None = None
    ):
        self.engine = engine
        self.db = engine.db
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = lease_seconds(engine.config)
        self._now = clock or stored_now

    def run(self, unit: Unit) -> RunReport | None:
        """The unit's report; None when its workspace is held by another worker (retry later)."""
        now = self._now()
        holder = f"{self.holder}:{uuid.uuid4().hex[:8]}"  # per run: two threads of one worker exclude each other too
        until = now + timedelta(seconds=self.lease)
        started = leases.start_unit(self.db, unit.id, unit.team_id, holder, now, until)
        if started == leases.UnitStart.BUSY:
            return None
        if started == leases.UnitStart.FINISHED:
            log.info("%s already ran; not again", unit.id)
            return RunReport(unit.kind)
        stop_renewing = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(unit.team_id, holder, stop_renewing), daemon=True
        )
        renewer.start()
        done = False
        try:
            report = self.engine.run_unit(unit)
            done = not report.stopped and not report.errors  # with errors it may run again
            return report
        finally:
            stop_renewing.set()
            renewer.join(timeout=5)
            leases.end_unit(self.db, unit.id, unit.team_id, holder, self._now(), done=done)

    def _renew(self, team_id: str, holder: str, stop: threading.Event) -> None:
        while not stop.wait(self.lease / 3):
            try:
                if not leases.renew(self.db, team_id, holder, self._now() + timedelta(seconds=self.lease)):
                    log.error("lost the lease on %s: another worker may now pace it too", team_id)
                    return
            except Exception:  # noqa: BLE001 - a database blip: try again at the next renewal
                log.warning("could not renew the lease on %s", team_id, exc_info=True)


def register_tasks(app: Celery, runner_factory: Callable[[], UnitRunner]) -> None:
    """The one task. Its runner (database, engine, pacer) is built once per worker process, on
    first use, so that importing this module costs nothing."""
    built: list[UnitRunner] = []
    lock = threading.Lock()

    def runner() -> UnitRunner:
        with lock:
            if not built:
                built.append(runner_factory())
            return built[0]

    @app.task(name=TASK, bind=True, max_retries=None, acks_late=True)
    def deliver_unit(self, message: dict) -> dict:
        unit = Unit.from_message(message)
        report = runner().run(unit)
        if report is None:
            # Another worker holds this workspace: its pacing stays whole; try again shortly.
            raise self.retry(countdown=BUSY_RETRY_SECONDS)
        if report.errors and self.request.retries < ERROR_RETRIES:
            # A database or Slack blip: run the unit again a little later (its claims keep what was
            # sent); a lasting error (a revoked token) gives up here, and the next tick plans again.
            log.warning("%s: %s; running it again", unit.id, "; ".join(report.errors[:3]))
            raise self.retry(countdown=ERROR_RETRY_SECONDS * (self.request.retries + 1), max_retries=None)
        if report.sent or report.failed or report.errors or report.late:
            log.info("%s: %s", unit.id, report)
        return report.as_dict()
