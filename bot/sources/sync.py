"""Syncing bound data sources: `sync_due_sources(db, client_for, now)` for the clock (hourly by
default, each binding's `every` minutes), `sync_binding(...)` for `/okr sync KR-n`.

Each binding in three steps, so no transaction is open and no Web API call waits while a source is
read (bindings are read concurrently, each within its own deadline):
  1. a short transaction reads the binding and its key result or KPI;
  2. the source is read (SQL or HTTP, with timeouts);
  3. a short transaction records the number as an automatic check-in (or KPI measurement) when it
     changed, or the failure on the binding. Its owner is told of a failure once per run of
     failures (failure_notified_at), after the commit: no Web API call inside a transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot import outbound
from bot.domain.clock import as_stored, utc_now
from bot.domain.preferences import MessageKind
from bot.domain.references import RefKind, format_ref
from bot.errors import Conflict, Invalid
from bot.forms.okr import CheckInEntry
from bot.jobs import weekly
from bot.services import checkins, kras
from bot.sources.connections import SourceConfig
from bot.sources.read import SourceError
from bot.sources.reading import Wanted, read_wanted
from bot.sources.window import window_for
from bot.ui import sources as ui
from storage.db import Database
from storage.models import (
    KeyResult,
    KeyResultKind,
    Kpi,
    Kra,
    Objective,
    SourceBinding,
    SourceKind,
    Status,
    Workspace,
)
from storage.repositories import sources as repo
from storage.repositories import workspaces as workspaces_repo
from storage.repositories.okrs import is_active_key_result

log = logging.getLogger("northline.sources")

ClientFor = Callable[[Workspace], WebClient]


@dataclass
class SyncResult:
    ref: str
    ok: bool
    value: float | None = None
    previous: float | None = None
    recorded: bool = False
    error: str | None = None
    unit: str = ""
    notified: bool = False
    skipped: bool = False


@dataclass
class SyncReport:
    """What one run did; the clock logs it."""

    ran: int = 0
    recorded: int = 0
    unchanged: int = 0
    failed: int = 0
    notified: int = 0
    skipped: int = 0
    results: list[SyncResult] = field(default_factory=list)

    def add(self, result: SyncResult) -> None:
        self.results.append(result)
        if result.skipped:
            self.skipped += 1
            return
        self.ran += 1
        if not result.ok:
            self.failed += 1
        elif result.recorded:
            self.recorded += 1
        else:
            self.unchanged += 1
        self.notified += int(result.notified)


@dataclass(frozen=True)
class _Plan:
    binding_id: int
    kind: str
    connection: str | None
    path: str | None
    pointer: str | None
    query: str | None
    old_env: str | None  # a binding made before connections: what it named, for the message
    old_url: str | None
    ref: str
    title: str
    owner_id: str
    unit: str
    current: float | None
    active: bool
    team_id: str
    fiscal_start_month: int = 1


def _plan(db: Database, binding_id: int) -> _Plan | None:
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        if binding is None:
            return None
        workspace = session.get(Workspace, binding.workspace_id)
        if binding.key_result_id is not None:
            kr = session.get(KeyResult, binding.key_result_id)
            objective = session.get(Objective, kr.objective_id)
            ref, title, owner, unit, current = (
                format_ref(RefKind.KR, kr.number),
                kr.title,
                kr.owner_id,
                kr.unit,
                kr.current_value,
            )
            active = is_active_key_result(kr, objective)
        else:
            kpi = session.get(Kpi, binding.kpi_id)
            kra = session.get(Kra, kpi.kra_id)
            ref, title, owner, unit, current = (
                format_ref(RefKind.KPI, kpi.number),
                kpi.name,
                kra.owner_id,
                kpi.unit,
                kpi.latest_value,
            )
            active = kpi.status == Status.ACTIVE and kra.status == Status.ACTIVE
        return _Plan(
            binding_id,
            binding.kind.value,
            binding.connection,
            binding.path,
            binding.pointer,
            binding.query,
            binding.env,
            binding.url,
            ref,
            title,
            owner,
            unit,
            current,
            active and workspace.uninstalled_at is None,
            workspace.team_id,
            workspace.fiscal_year_start_month or 1,
        )


def old_binding_error(plan: _Plan) -> str:
    """What the owner and the operator must do for a binding made before declared connections."""
    if plan.kind == SourceKind.SQL.value:
        what = (
            f"a sql connection holding the database of {plan.old_env}" if plan.old_env else "a sql connection"
        )
    else:
        host = urlsplit(plan.old_url or "").hostname
        what = f"an http connection for {host}" if host else "an http connection"
    return (
        "this source was bound before sources went through declared connections and is not read any "
        f"more: the operator declares {what} (NORTHLINE_SOURCE_<NAME>_URL, see docs/integrations.md), "
        f"then its owner or an admin chooses it with /okr source {plan.ref}"
    )


def read_source(
    plan: _Plan, config: SourceConfig, *, timeout: float | None = None, now: datetime | None = None
) -> float:
    """The number behind `plan`, read through its declared connection; SourceError otherwise."""
    if plan.connection is None:
        raise SourceError(old_binding_error(plan))
    wanted = Wanted(plan.connection, plan.kind, plan.path, plan.pointer, plan.query)
    day = (now or utc_now()).date()
    return read_wanted(
        wanted, plan.team_id, config, window_for(day, plan.fiscal_start_month), timeout=timeout
    )


def origin_of(plan: _Plan, config: SourceConfig) -> str:
    """An automatic check-in's origin: `source:` and the connector (jira, …), sql or http."""
    connection = config.connections.find(plan.connection, plan.team_id) if plan.connection else None
    return f"source:{connection.kind if connection is not None else plan.kind}"


def sync_binding(
    db: Database,
    client_for: ClientFor | None,
    binding_id: int,
    now: datetime,
    *,
    config: SourceConfig,
    timeout: float | None = None,
    notify: bool = True,
) -> SyncResult:
    """Read one binding's source and record what it gave (see the module's docstring)."""
    moment = as_stored(now)
    plan = _plan(db, binding_id)
    if plan is None:
        return SyncResult(ref="?", ok=False, error="the binding is gone", skipped=True)
    if not plan.active:
        return SyncResult(ref=plan.ref, ok=True, skipped=True)
    try:
        value = read_source(plan, config, timeout=timeout, now=moment)
        error = None
    except SourceError as failure:
        value, error = None, failure.message
    result = SyncResult(
        ref=plan.ref, ok=error is None, value=value, previous=plan.current, error=error, unit=plan.unit
    )
    if not _store(db, binding_id, result, moment, notify=notify, origin=origin_of(plan, config)):
        return SyncResult(ref=plan.ref, ok=False, error="the binding is gone", skipped=True)
    error = result.error
    if result.notified:
        _tell_owner(db, client_for, plan, error or "")
    if error:
        log.warning("source of %s in %s failed: %s", plan.ref, plan.team_id, error)
    return result


def _store(
    db: Database, binding_id: int, result: SyncResult, moment: datetime, *, notify: bool, origin: str
) -> bool:
    """The number (or the failure) on the binding, in one short transaction; False when the
    binding was removed while its source was read."""
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        if binding is None:
            return False
        workspace = session.get(Workspace, binding.workspace_id)
        binding.last_run_at = moment
        if result.error is None:
            try:
                result.recorded = _record(session, workspace, binding, result.value, moment, origin)
            except Invalid as refused:  # e.g. a milestone given 0.5
                result.error = f"the value {result.value:g} was refused: {refused.message}"
                result.ok = False
        if result.error is None:
            binding.last_value = result.value
            binding.last_error = binding.failing_since = binding.failure_notified_at = None
        else:
            binding.last_error = result.error[:500]
            binding.failing_since = binding.failing_since or moment
            if binding.failure_notified_at is None and notify:
                binding.failure_notified_at = moment
                result.notified = True
    return True


def _record(
    session, workspace: Workspace, binding: SourceBinding, value: float, moment: datetime, origin: str
) -> bool:
    """An automatic check-in (or measurement) when the number changed; False when it did not."""
    dedupe = f"src:{binding.id}:{moment:%Y%m%dT%H%M}"  # two clocks in the same minute record once
    if binding.key_result_id is not None:
        kr = session.get(KeyResult, binding.key_result_id)
        if kr.current_value is not None and kr.current_value == value:
            return False
        if kr.kind == KeyResultKind.MILESTONE and value not in (0.0, 1.0):
            raise Invalid(f"{format_ref(RefKind.KR, kr.number)} is a milestone: its source must give 1 or 0")
        entry = CheckInEntry(key_result_id=kr.id, value=value, confidence=None, note="")
        recorded = checkins.record(
            session,
            workspace,
            kr.owner_id,
            [entry],
            now=moment,
            field_errors=False,
            dedupe_prefix=dedupe,
            authorized=True,
            origin=origin,
        )
        return bool(recorded)
    kpi = session.get(Kpi, binding.kpi_id)
    if kpi.latest_value is not None and kpi.latest_value == value:
        return False
    kra = session.get(Kra, kpi.kra_id)
    try:
        kras.log_measurement(
            session,
            workspace,
            kra.owner_id,
            format_ref(RefKind.KPI, kpi.number),
            value,
            "",
            at=moment,
            dedupe_key=dedupe,
            authorized=True,
            origin=origin,
        )
    except Conflict:
        return False
    return True


def _tell_owner(db: Database, client_for: ClientFor | None, plan: _Plan, error: str) -> None:
    if client_for is None:
        return
    with db.session() as session:
        workspace = workspaces_repo.by_team(session, plan.team_id)
    if plan.ref.startswith(f"{RefKind.KR.value}-") and plan.owner_id in weekly.batched_or_muted(
        db, workspace, MessageKind.SOURCES
    ):
        # The owner reads it in their weekly reminder (bot/jobs/weekly.py), or switched it off.
        log.info("source of %s failed: told in %s's weekly reminder, not by DM", plan.ref, plan.owner_id)
        return
    try:
        outbound.dm(client_for(workspace), plan.owner_id, ui.failure_dm(plan.ref, plan.title, error))
    except Exception:  # noqa: BLE001 - a DM that cannot go out must not stop the other bindings
        log.warning("could not tell %s that the source of %s failed", plan.owner_id, plan.ref, exc_info=True)


def sync_due_sources(
    db: Database,
    client_for: ClientFor | None,
    now: datetime,
    *,
    config: SourceConfig,
    timeout: float | None = None,
) -> SyncReport:
    """Every binding whose interval has passed since its last run (never run: now), read
    `config.threads` at a time, so one slow source holds back only its own thread, never the
    others. A binding that fails does not stop the rest. For the clock: call it every few minutes;
    a binding runs at most once per its `every` minutes whatever the call rate."""
    report = SyncReport()
    with db.session() as session:
        due = repo.due_binding_ids(session, as_stored(now))
    if not due:
        return report
    with ThreadPoolExecutor(
        max_workers=min(config.threads, len(due)), thread_name_prefix="northline-source"
    ) as pool:
        futures = {
            pool.submit(
                sync_binding, db, client_for, binding_id, now, config=config, timeout=timeout
            ): binding_id
            for binding_id in due
        }
        for future in as_completed(futures):
            try:
                report.add(future.result())
            except Exception:  # noqa: BLE001 - one broken binding must not stop the others
                log.exception("syncing source binding %s failed unexpectedly", futures[future])
                report.failed += 1
    return report
