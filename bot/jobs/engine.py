"""The one fan-out: every scheduled post goes plan → claim → post → mark through here.

A job kind only *plans*: given a workspace and `now`, it returns the posts it would make, each
with its at-most-once key (bot/jobs/delivery.py), when it is due, and how to send it. The engine
does the rest, the same way for every kind:

1. triage, per workspace: a key already in the delivery log is skipped (and logged once if it is
   in doubt), a person the plan marks unreachable is skipped, a post more than 6 hours late is
   recorded as skipped, one not yet due waits for a later tick;
2. send what is due, several posts in flight (NORTHLINE_POSTS_IN_FLIGHT), each call paced by the
   workspace's rate bucket (bot/jobs/pacing.py): claim (a batch in one statement), send, mark by
   what Slack answered (a batch in one transaction); a claim a dead worker left without an outcome
   is settled first, from Slack's history (bot/jobs/settlement.py);
3. follow-ups (the digest's charts) once the unit's messages are all out.

Work is cut into *units*, (kind × workspace), and batches of a big workspace, that can run in
any process: concurrently in the clock's own (the default: NORTHLINE_CONCURRENT_WORKSPACES at
once), or on Celery workers (bot/jobs/distributed.py). A unit is re-planned wherever it runs;
the delivery log's claims make a unit run twice, or re-delivered after its worker died, send
nothing twice.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from slack_sdk import WebClient

from bot import metrics
from bot.domain import clock
from bot.domain.members import DEACTIVATED
from bot.domain.schedule_time import Decision, decide
from bot.jobs import delivery, settlement
from bot.jobs.charts import ChartRenderer
from bot.jobs.common import ClientFor, RunReport, finish, record_late, utc
from bot.jobs.delivery import Key
from bot.jobs.pacing import POST_METHOD, Pacer
from bot.jobs.posting import Outcome, PostResult, post, upload
from bot.settings import DeliverySettings, load_delivery_settings
from bot.ui.chart import render_history_png
from storage.db import Database
from storage.models import Delivery, DeliveryState, Workspace
from storage.repositories import workspaces as workspaces_repo

log = logging.getLogger("northline.jobs")

# Posts claimed in one statement, and marked in one transaction, at a time: a run's database time
# grows with its batches, not its posts (and SQLite's one writer is not queued for per post).
CLAIM_BATCH = 50

# KIND (as typed on the command line) -> "module:planner"; imported on first use. Each module
# also names what its report is called (REPORT_KIND).
JOB_KINDS: dict[str, str] = {
    "checkin-reminders": "bot.jobs.reminders:plan",
    "digest": "bot.jobs.digest:plan",
    "sprint-prompts": "bot.jobs.sprint_prompts:plan",
    "nudges": "bot.jobs.nudges:plan",
    "cycle-prompts": "bot.jobs.cycle_prompts:plan",
}


# --- what a job plans ---------------------------------------------------------------------------


@dataclass
class Sent:
    """What sending one planned post came to: Slack's answer to the post that decides its outcome,
    what to record beside it, and work to do once the unit's messages are all out."""

    result: PostResult
    extra: dict[str, Any] = field(default_factory=dict)
    then: Callable[[], object] | None = None


@dataclass(frozen=True)
class PlannedPost:
    """One post a job would make. `send` runs only after its key is claimed."""

    key: Key
    due: datetime  # aware
    send: Callable[[Outbox], Sent]
    unreachable: str | None = None  # why the person must not be reached now (deactivated: recorded)
    on_channel_gone: Callable[[Outbox, PostResult], None] | None = None
    channel: str | None = None  # where the post goes (a user id for a DM): read back to settle a doubt

    @classmethod
    def message(
        cls,
        key: Key,
        due: datetime,
        channel: str,
        build: Callable[[], dict[str, Any]],
        *,
        unreachable: str | None = None,
        on_channel_gone: Callable[[Outbox, PostResult], None] | None = None,
    ) -> PlannedPost:
        """The common case: one chat.postMessage, its text and blocks built after the claim."""
        return cls(
            key,
            due,
            lambda outbox: Sent(outbox.post(channel=channel, **build())),
            unreachable,
            on_channel_gone,
            channel,
        )


@dataclass(frozen=True)
class PlanContext:
    """What a planner may use: the database, the workspace's client (planners read the database
    only; the client is for what a post sends), `now`. `deciding`: the plan only decides which
    posts are due (the clock, before it hands the unit to a worker that plans it again): a
    planner may leave out what only a post's words need."""

    db: Database
    client: WebClient
    workspace: Workspace
    now: datetime  # aware UTC
    channel_id: str | None
    engine: Engine
    deciding: bool = False

    @property
    def charts(self) -> ChartRenderer:
        return self.engine.charts


Planner = Callable[[PlanContext], Sequence[PlannedPost]]


@dataclass(frozen=True)
class JobKind:
    name: str
    report_kind: str
    plan: Planner


def job_kind(name: str, kinds: dict[str, str] | None = None) -> JobKind:
    kinds = JOB_KINDS if kinds is None else kinds
    try:
        module_name, function = kinds[name].split(":")
    except KeyError:
        raise ValueError(f"unknown job kind {name!r}; one of {', '.join(kinds)}") from None
    module = importlib.import_module(module_name)
    return JobKind(name, getattr(module, "REPORT_KIND", name), getattr(module, function))


# --- units of work --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One kind × one workspace at one moment; `batch` of `batches` for a big workspace (posts
    are split by a stable hash of their target, so re-planning puts each in the same batch)."""

    kind: str
    team_id: str
    at: datetime  # aware UTC
    channel_id: str | None = None
    batch: int = 0
    batches: int = 1

    @property
    def id(self) -> str:
        part = f"/{self.batch + 1}of{self.batches}" if self.batches > 1 else ""
        return f"{self.kind}/{self.team_id}/{self.at:%Y-%m-%dT%H:%M}/{self.channel_id or '-'}{part}"

    def holds(self, key: Key) -> bool:
        return self.batches <= 1 or zlib.crc32(key.target.encode()) % self.batches == self.batch

    def split(self, batches: int) -> list[Unit]:
        return [replace(self, batch=i, batches=batches) for i in range(batches)]

    def to_message(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "team_id": self.team_id,
            "at": self.at.isoformat(),
            "channel_id": self.channel_id,
            "batch": self.batch,
            "batches": self.batches,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Unit:
        return cls(
            kind=message["kind"],
            team_id=message["team_id"],
            at=utc(datetime.fromisoformat(message["at"])),
            channel_id=message.get("channel_id"),
            batch=int(message.get("batch", 0)),
            batches=int(message.get("batches", 1)),
        )


def units_for(
    db: Database,
    kinds: Iterable[str],
    now: datetime,
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
) -> list[Unit]:
    """Every (kind × installed workspace) unit for `now`: one statement."""
    with db.session() as session:
        teams = [w.team_id for w in workspaces_repo.workspaces(session, team_id)]
    now = utc(now)
    return [Unit(kind, team, now, channel_id) for kind in kinds for team in teams]


@dataclass
class Planned:
    """A unit planned: its workspace and client, and the posts due now (after triage)."""

    unit: Unit
    job: JobKind
    workspace: Workspace
    client: WebClient
    due: list[PlannedPost]
    report: RunReport
    doubts: list[tuple[PlannedPost, Delivery]] = field(default_factory=list)  # claimed, never marked

    @property
    def work(self) -> bool:
        return bool(self.due or self.doubts)


# --- the outbox: every scheduled call to Slack, paced -------------------------------------------


class Outbox:
    """A workspace's client behind its rate buckets; what a planned post sends through."""

    def __init__(
        self,
        client: WebClient,
        team_id: str,
        pacer: Pacer,
        stop: threading.Event | None,
        key: Key | None = None,
    ):
        self.client = client
        self.team_id = team_id
        self.pacer = pacer
        self.stop = stop
        self.key = key

    def of(self, key: Key) -> Outbox:
        """This outbox for one post: its messages carry the post's key as message metadata."""
        return Outbox(self.client, self.team_id, self.pacer, self.stop, key)

    def post(self, *, channel: str, text: str, blocks: list[dict] | None = None, **extra: Any) -> PostResult:
        if not self.pacer.wait(self.team_id, POST_METHOD, self.stop):
            return PostResult(Outcome.STOPPED, channel=channel)
        if self.key is not None:
            extra.setdefault("metadata", settlement.metadata(self.key))
        return post(self.client, channel=channel, text=text, blocks=blocks, **extra)

    def upload(self, **kwargs: Any) -> PostResult:
        if not self.pacer.wait(self.team_id, "files.getUploadURLExternal", self.stop):
            return PostResult(Outcome.STOPPED, channel=kwargs.get("channel"))
        return upload(self.client, **kwargs)


# --- the engine -------------------------------------------------------------------------------------


def planning_slots() -> int:
    """How many units one process plans at once: twice its cores. Planning is the CPU's work (a
    few quick SQL round trips, then Python), so more plans at once only contend for the GIL: 64
    planning threads cost about twice the CPU of 4 on 2 cores, and take longer (bench/REPORT.md).
    Sending, which waits on Slack, is not bounded by this."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 2 * cores


class Engine:
    """Runs units: plans each, triages its posts, sends what is due, paced per workspace.

    One engine per process; its pacer is what keeps every unit of a workspace (of every kind) to
    that workspace's rate. `run()` waits for its units; `submit()` does not (the clock's tick).
    """

    def __init__(
        self,
        db: Database,
        client_for: ClientFor,
        config: DeliverySettings | None = None,
        *,
        stop: threading.Event | None = None,
        pacer: Pacer | None = None,
        kinds: dict[str, str] | None = None,
    ):
        self.db = db
        self.client_for = client_for
        self.config = config or load_delivery_settings()
        self.stop = stop or threading.Event()
        self.pacer = pacer or Pacer(self.config.posts_per_second)
        self.kinds = kinds
        self._units = ThreadPoolExecutor(self.config.concurrent_workspaces, thread_name_prefix="unit")
        self.planning_slots = planning_slots()
        self._planning = threading.BoundedSemaphore(self.planning_slots)
        self._lock = threading.Lock()
        self._running: set[tuple[str, str, str | None]] = set()
        self._charts: ChartRenderer | None = None

    # -- resources shared by the units --

    @property
    def charts(self) -> ChartRenderer:
        with self._lock:
            if self._charts is None:
                self._charts = ChartRenderer(render_history_png)
            return self._charts

    def close(self, *, wait: bool = True) -> None:
        self._units.shutdown(wait=wait, cancel_futures=not wait)
        with self._lock:
            charts, self._charts = self._charts, None
        if charts is not None:
            charts.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def background(self, fn: Callable[..., object], *args: object) -> Future:
        """Other slow clock work (data source syncs) on the same bounded pool as the units."""
        return self._units.submit(fn, *args)

    # -- running units --

    def run(self, units: Iterable[Unit]) -> list[RunReport]:
        """Run `units` concurrently and wait; one report per kind, in JOB_KINDS' order."""
        futures = [(unit, self._queue(unit)) for unit in units]
        return merge_reports(self._report_of(unit, future) for unit, future in futures)

    def submit(self, units: Iterable[Unit], done: Callable[[RunReport], None] | None = None) -> list[Future]:
        """Start `units` without waiting (the clock's tick). A (kind, workspace) still running from
        an earlier tick is not started again: its next tick plans it afresh."""
        futures = []
        for unit in units:
            slot = (unit.kind, unit.team_id, unit.channel_id)
            with self._lock:
                if slot in self._running:
                    log.info("%s: still running from an earlier tick; planned again next tick", unit.id)
                    continue
                self._running.add(slot)
            future = self._queue(unit)
            future.add_done_callback(lambda f, s=slot, u=unit: self._finished(s, u, f, done))
            futures.append(future)
        return futures

    def _finished(self, slot, unit: Unit, future: Future, done: Callable[[RunReport], None] | None) -> None:
        with self._lock:
            self._running.discard(slot)
        if done is not None and not future.cancelled():
            done(self._report_of(unit, future))

    def _report_of(self, unit: Unit, future: Future) -> RunReport:
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 - a kind that cannot even load: the others go on
            log.exception("%s failed", unit.id)
            report = RunReport(unit.kind)
            report.errors.append(f"{unit.team_id}: {type(error).__name__}")
            return report

    def _queue(self, unit: Unit) -> Future:
        metrics.UNITS_QUEUED.inc()
        return self._units.submit(self._dequeue_and_run, unit)

    def _dequeue_and_run(self, unit: Unit) -> RunReport:
        metrics.UNITS_QUEUED.dec()
        return self.run_unit(unit)

    def run_unit(self, unit: Unit) -> RunReport:
        """Plan, triage and send one unit here, now."""
        with metrics.UNITS_RUNNING.track_inprogress():
            return self._run_unit(unit)

    def _run_unit(self, unit: Unit) -> RunReport:
        planned = self.plan(unit)
        if isinstance(planned, RunReport):
            return planned
        self.send(planned)
        return planned.report

    def plan(self, unit: Unit, *, deciding: bool = False) -> Planned | RunReport:
        """The unit's posts that are due now (late ones recorded, claimed ones skipped); a bare
        report when there is nothing to send (or the workspace cannot be reached). `deciding`: only
        which posts are due counts, not their words (PlanContext)."""
        job = job_kind(unit.kind, self.kinds)
        report = RunReport(job.report_kind)
        if self.stop.is_set():
            report.stopped = True
            return report
        with self.db.session() as session:
            found = workspaces_repo.workspaces(session, unit.team_id)
            session.expunge_all()
        if not found:
            return report  # uninstalled since the unit was made
        workspace = found[0]
        try:
            client = self.client_for(workspace)
        except Exception as error:  # noqa: BLE001 - no token for one workspace must not stop the rest
            log.warning("%s: no Slack client for workspace %s: %s", report.kind, workspace.team_id, error)
            report.errors.append(f"{workspace.team_id}: {error}")
            return report
        try:
            context = PlanContext(self.db, client, workspace, unit.at, unit.channel_id, self, deciding)
            doubts: list[tuple[PlannedPost, Delivery]] = []
            with self._planning:
                posts = [p for p in job.plan(context) if unit.holds(p.key)]
                due = self.triage(workspace, posts, unit.at, report, doubts)
        except Exception as error:  # noqa: BLE001 - one workspace's trouble must not stop the others
            log.exception("%s failed for workspace %s", report.kind, workspace.team_id)
            report.errors.append(f"{workspace.team_id}: {type(error).__name__}")
            return report
        return Planned(unit, job, workspace, client, due, report, doubts)

    def triage(
        self,
        workspace: Workspace,
        posts: Sequence[PlannedPost],
        now: datetime,
        report: RunReport,
        doubts: list[tuple[PlannedPost, Delivery]] | None = None,
    ) -> list[PlannedPost]:
        """What is due now: claimed keys (one statement for all of them), unreachable people, late
        and not-yet-due posts are set aside; late ones are recorded, once. A claim left without an
        outcome that can be read back (it names its channel) goes to `doubts`, to be settled."""
        known = delivery.known_keys(self.db, workspace.id, [p.key for p in posts])
        due = []
        for planned in posts:
            key = planned.key
            existing = known.get((key.kind, key.target, key.period))
            if existing is not None:
                if existing.state == DeliveryState.SENT:
                    report.add(earlier=1)
                elif doubts is not None and planned.channel and delivery.in_doubt(existing, quiet=True):
                    doubts.append((planned, existing))
                else:
                    delivery.in_doubt(existing)
                continue
            if planned.unreachable:
                self._unreachable(planned, report)
                continue
            decision = decide(planned.due, now)
            if decision == Decision.LATE:
                record_late(self.db, key, planned.due, now, report)
                metrics.count_late()
            elif decision == Decision.SEND:
                due.append(planned)
        return due

    def _unreachable(self, planned: PlannedPost, report: RunReport) -> None:
        """Not sent. A deactivated person is recorded (skipped, unreachable) in the delivery log,
        once; a pause or an away status is not, as it may be over by the next tick."""
        key = planned.key
        log.debug("%s: not sent, %s", key, planned.unreachable)
        if planned.unreachable == DEACTIVATED and delivery.claim(
            self.db,
            *_key_args(key),
            state=DeliveryState.SKIPPED,
            detail={"reason": "unreachable", "why": planned.unreachable},
        ):
            report.add(skipped=1)

    def send(self, planned: Planned) -> None:
        """Settle what is in doubt, then claim, send and mark every due post in batches of
        CLAIM_BATCH (one transaction claims a batch, one marks it), POSTS_IN_FLIGHT at a time;
        then the follow-ups."""
        if not planned.work:
            return
        outbox = Outbox(planned.client, planned.workspace.team_id, self.pacer, self.stop)
        report = planned.report
        in_flight = min(self.config.posts_in_flight, len(planned.due) + len(planned.doubts))
        with ThreadPoolExecutor(in_flight, thread_name_prefix="post") as pool:
            halt = threading.Event()
            follow_ups: list[Future] = []
            marks = delivery.Marks(self.db)
            calls = [
                partial(self._settle_one, outbox, p, row, planned.unit.at, report, halt, marks)
                for p, row in planned.doubts
            ]
            failure = self._round(pool, calls, marks, follow_ups, report)
            for start in range(0, len(planned.due), CLAIM_BATCH):
                if halt.is_set() or self.stop.is_set():
                    report.add(stopped=self.stop.is_set())
                    break
                calls = self._claim_batch(
                    outbox, planned.due[start : start + CLAIM_BATCH], report, halt, marks
                )
                failure = self._round(pool, calls, marks, follow_ups, report) or failure
            for follow_up in follow_ups:
                try:
                    follow_up.result()
                except Exception:  # noqa: BLE001 - follow-ups are best effort
                    log.exception("%s: a follow-up failed", planned.unit.id)
        if failure is not None:
            log.error("%s failed for workspace %s: %r", report.kind, planned.workspace.team_id, failure)
            report.error(f"{planned.workspace.team_id}: {type(failure).__name__}")

    def _claim_batch(
        self,
        outbox: Outbox,
        batch: Sequence[PlannedPost],
        report: RunReport,
        halt: threading.Event,
        marks: delivery.Marks,
    ) -> list[Callable[[], Callable[[], object] | None]]:
        """Claim a batch's posts that can be settled (they name their channel) in one statement;
        the others (a digest's thread) are claimed one by one just before they are sent, so that a
        process killed mid-batch leaves in doubt only what a later run can read back."""
        settleable = [p.key for p in batch if p.channel]
        won = delivery.claim_many(self.db, settleable)
        report.add(already=len(settleable) - len(won))
        return [
            partial(self._send_one, outbox, p, report, halt, marks, p.key in won)
            for p in batch
            if p.key in won or not p.channel
        ]

    def _round(
        self,
        pool: ThreadPoolExecutor,
        calls: Sequence[Callable[[], Callable[[], object] | None]],
        marks: delivery.Marks,
        follow_ups: list[Future],
        report: RunReport,
    ) -> Exception | None:
        """Run `calls` on the pool and wait for them; then write their outcomes in one transaction
        (also when the process is going down, so what Slack accepted is not left in doubt)."""
        failure = None
        try:
            for sending in [pool.submit(call) for call in calls]:
                try:
                    then = sending.result()
                except Exception as error:  # noqa: BLE001 - raised by send(), after the follow-ups
                    failure = failure or error
                    continue
                except BaseException:
                    # The process is going down (SystemExit, KeyboardInterrupt): start nothing more.
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
                if then is not None:
                    follow_ups.append(pool.submit(then))
        finally:
            try:
                marks.flush()
            except Exception as error:  # noqa: BLE001 - those posts stay in doubt, settled later
                log.exception("%s: could not record a batch of outcomes", report.kind)
                failure = failure or error
        return failure

    def _send_one(
        self,
        outbox: Outbox,
        planned: PlannedPost,
        report: RunReport,
        halt: threading.Event,
        marks: delivery.Marks,
        claimed: bool = False,
    ) -> Callable[[], object] | None:
        key = planned.key
        if halt.is_set() or self.stop.is_set():
            if claimed:
                marks.release(key)  # never attempted: the next run sends it
            report.add(stopped=self.stop.is_set())
            return None
        if not claimed and not delivery.claim(self.db, key.kind, key.workspace_id, key.target, key.period):
            report.add(already=1)
            return None
        return self._deliver(outbox, planned, report, halt, marks)

    def _settle_one(
        self,
        outbox: Outbox,
        planned: PlannedPost,
        row: Delivery,
        now: datetime,
        report: RunReport,
        halt: threading.Event,
        marks: delivery.Marks,
    ) -> Callable[[], object] | None:
        """A claim never marked: claim its settlement, read the conversation back, and mark it sent
        if Slack has it, or send it now if Slack has not. If Slack cannot be read, it stays in
        doubt (counted and logged) and is tried again once the settlement's own claim is old."""
        if halt.is_set() or self.stop.is_set():
            return None
        since = delivery.settle(self.db, row)
        if since is None:
            report.add(already=1)  # another runner is settling it
            return None
        key = planned.key
        found = settlement.find(outbox, planned.channel, key, since)
        if found.error is not None:
            report.add(in_doubt=1)
            metrics.count_in_doubt()
            log.warning("%s: still in doubt, Slack's history could not be read: %s", key, found.error)
            return None
        report.add(settled=1)
        if found.ts is not None:
            marks.mark(
                key,
                DeliveryState.SENT,
                {"channel": found.channel, "ts": found.ts, "settled": "found in history"},
            )
            report.add(earlier=1)
            metrics.count_settled("found")
            log.info("%s: settled, Slack had it (%s %s)", key, found.channel, found.ts)
            return None
        held_back = planned.unreachable or ("late" if decide(planned.due, now) == Decision.LATE else None)
        if held_back:  # not sent since: recorded as what it would be were it planned now
            marks.mark(key, DeliveryState.SKIPPED, {"reason": "settled", "why": held_back})
            report.add(skipped=1)
            metrics.count_settled("held_back")
            log.info("%s: settled, Slack did not have it, not sent now: %s", key, held_back)
            return None
        log.info("%s: settled, Slack did not have it: sending it now", key)
        metrics.count_settled("resent")
        return self._deliver(outbox, planned, report, halt, marks)

    def _deliver(
        self,
        outbox: Outbox,
        planned: PlannedPost,
        report: RunReport,
        halt: threading.Event,
        marks: delivery.Marks,
    ) -> Callable[[], object] | None:
        """Send a claimed post and mark what Slack answered."""
        key = planned.key
        try:
            sent = planned.send(outbox.of(key))
        except Exception:
            # Whatever it did before it broke may have reached Slack: at most once, never resent.
            marks.mark(key, DeliveryState.FAILED, {"error": "exception while sending"})
            report.add(failed=1)
            raise
        except BaseException:
            halt.set()  # the process is going down: the claim stays (in doubt), nothing more starts
            raise
        if sent.result.outcome == Outcome.SENT:
            metrics.observe_lag((clock.utc_now() - planned.due).total_seconds())
        if sent.result.outcome == Outcome.STOPPED:
            report.add(stopped=True)
        elif sent.result.outcome == Outcome.WORKSPACE_GONE and not halt.is_set():
            halt.set()  # its other posts would be refused the same way
            log.warning(
                "%s: Slack refused workspace %s's token (%s); its posts are skipped this run",
                report.kind,
                outbox.team_id,
                sent.result.error,
            )
            report.error(f"{outbox.team_id}: {sent.result.error}")

        def channel_gone(result: PostResult) -> None:
            if planned.on_channel_gone is not None:
                planned.on_channel_gone(outbox, result)

        finish(
            self.db,
            key,
            sent.result,
            report,
            on_channel_gone=channel_gone if planned.on_channel_gone else None,
            extra=sent.extra,
            marks=marks,
        )
        return sent.then  # a send that wants a follow-up (the digest's chart) says so only once it is out


def _key_args(key: Key) -> tuple:
    return (key.kind, key.workspace_id, key.target, key.period)


def merge_reports(reports: Iterable[RunReport]) -> list[RunReport]:
    """One report per kind, in the order kinds first appear."""
    merged: dict[str, RunReport] = {}
    for report in reports:
        if report.kind in merged:
            merged[report.kind].merge(report)
        else:
            merged[report.kind] = report
    return list(merged.values())


# --- the entry points the clock, the CLI and the tests use ---------------------------------------


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
    """One kind for every workspace (or `team_id`), now, in this process; waits for it."""
    job = job_kind(kind)
    with _engine(engine, db, client_for, stop) as running:
        units = units_for(db, [kind], now, team_id=team_id, channel_id=channel_id)
        reports = running.run(units)
    return reports[0] if reports else RunReport(job.report_kind)


def kind_runner(kind: str, name: str) -> Callable[..., RunReport]:
    """A kind's entry point, `name(db, client_for, now, *, team_id, channel_id, stop, engine)`:
    run_kind for that kind, for the CLI, the clock and the tests to call by name."""

    def run(
        db: Database,
        client_for: ClientFor,
        now: datetime,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        stop: threading.Event | None = None,
        engine: Engine | None = None,
    ) -> RunReport:
        return run_kind(
            kind, db, client_for, now, team_id=team_id, channel_id=channel_id, stop=stop, engine=engine
        )

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"The {kind} kind for every workspace (or `team_id`), now, through the delivery engine."
    return run


def run_all(
    db: Database,
    client_for: ClientFor,
    now: datetime,
    *,
    stop: threading.Event | None = None,
    engine: Engine | None = None,
    kinds: dict[str, str] | None = None,
) -> list[RunReport]:
    """Every kind at once for every workspace; one kind failing is logged and the others run."""
    kinds = JOB_KINDS if kinds is None else kinds
    with _engine(engine, db, client_for, stop, kinds) as running:
        return running.run(units_for(db, kinds, now))


class _Borrowed:
    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self) -> Engine:
        return self.engine

    def __exit__(self, *_exc: object) -> None:
        pass


def _engine(engine: Engine | None, db: Database, client_for: ClientFor, stop, kinds=None):
    if engine is not None:
        return _Borrowed(engine)
    return Engine(db, client_for, stop=stop, kinds=kinds)
