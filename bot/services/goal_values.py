"""Objectives, key results, KRAs and KPIs as plain values: what an adapter shows of them, with the
progress, pace and confidence Slack shows (services/assessment.py) and the data source that feeds
each number (services/bindings.py).

One function per thing asked or done. Each finds what it needs in its caller's transaction, in a
fixed number of statements at any page size, and hands back frozen values, never a row, so that
the REST API (bot/api/resources.py), its first adapter, only shapes them. References come in as
text already known to parse; a missing one is NotFound, a closed or archived target of a write a
Conflict, and an input that parsed but is impossible here a WrongInput naming that input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.cycles import parse_cycle
from bot.domain.enums import Direction, KeyResultKind, Status
from bot.domain.progress import Confidence, PaceStatus
from bot.domain.references import RefKind, format_ref
from bot.errors import Conflict, Invalid, NotFound
from bot.forms.okr import CheckInEntry
from bot.services import assessment, bindings, checkins, kras, okrs
from storage.models import CheckIn, KeyResult, Kpi, KpiMeasurement, Kra, Objective, SourceBinding, Workspace
from storage.repositories.kras import ListedKpi


class WrongInput(Invalid):
    """An input that parsed but says something impossible here; `field` names it (`cycle`,
    `value`) for the adapter to point at."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- the values ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceValue:
    team_id: str
    name: str


@dataclass(frozen=True)
class SourceValue:
    """The data source bound to a key result or a KPI, as far as it may be shown (no secret)."""

    kind: str
    connection: str | None
    every_minutes: int
    last_run_at: datetime | None
    last_value: float | None
    failing: bool
    last_error: str | None


@dataclass(frozen=True)
class KeyResultValue:
    number: int
    objective_number: int
    title: str
    kind: KeyResultKind
    start: float
    target: float
    unit: str
    owner_id: str
    weight: float
    status: Status
    current: float | None
    progress: float | None  # floored at 0, not capped; None before the first check-in
    pace: PaceStatus
    confidence: Confidence | None
    last_checkin_at: datetime | None
    source: SourceValue | None


@dataclass(frozen=True)
class ObjectiveValue:
    number: int
    title: str
    description: str
    owner_id: str
    cycle: str
    channel_id: str | None
    status: Status
    kra_number: int | None
    parent_number: int | None
    progress: float  # weighted mean of the key results' clamped progress, in [0, 1]
    expected: float  # share of the cycle gone
    pace: PaceStatus
    key_results: tuple[KeyResultValue, ...]


@dataclass(frozen=True)
class CheckInValue:
    value: float
    confidence: Confidence | None
    note: str
    author_id: str
    at: datetime
    automatic: bool  # recorded by a bound data source
    origin: str | None  # CheckIn.origin: `api:NAME`, `source:KIND`, `workflow`, …; None for Slack


@dataclass(frozen=True)
class KpiValue:
    number: int
    kra_number: int
    name: str
    unit: str
    target: float
    direction: Direction
    status: Status
    latest_value: float | None
    latest_at: datetime | None
    source: SourceValue | None


@dataclass(frozen=True)
class KraValue:
    number: int
    title: str
    description: str
    owner_id: str
    role: str
    channel_id: str | None
    status: Status
    kpis: tuple[KpiValue, ...]


@dataclass(frozen=True)
class MeasurementValue:
    value: float
    note: str
    author_id: str
    at: datetime
    automatic: bool  # logged by a bound data source
    origin: str | None


# --- what each use case hands back ----------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectivePage:
    workspace: WorkspaceValue
    objectives: tuple[ObjectiveValue, ...]
    total: int  # of the whole list, all pages


@dataclass(frozen=True)
class OneObjective:
    workspace: WorkspaceValue
    objective: ObjectiveValue


@dataclass(frozen=True)
class KeyResultHistory:
    workspace: WorkspaceValue
    key_result: KeyResultValue
    recent_checkins: tuple[CheckInValue, ...]  # newest first


@dataclass(frozen=True)
class CheckInRecorded:
    workspace: WorkspaceValue
    check_in: CheckInValue
    key_result: KeyResultValue  # as the check-in left it


@dataclass(frozen=True)
class KraPage:
    workspace: WorkspaceValue
    kras: tuple[KraValue, ...]
    total: int


@dataclass(frozen=True)
class OneKra:
    workspace: WorkspaceValue
    kra: KraValue


@dataclass(frozen=True)
class KpiHistory:
    workspace: WorkspaceValue
    kpi: KpiValue
    recent_measurements: tuple[MeasurementValue, ...]  # newest first


@dataclass(frozen=True)
class MeasurementLogged:
    workspace: WorkspaceValue
    measurement: MeasurementValue
    kpi: KpiValue  # as the measurement left it


# --- objectives and key results -------------------------------------------------------------------------


def objective_page(
    session: Session,
    workspace_id: int,
    *,
    owner_id: str | None = None,
    cycle: str | None = None,
    status: Status | None = None,
    limit: int = 50,
    after: int = 0,
    now: datetime,
) -> ObjectivePage:
    """A page of objectives after OBJ-`after` (active and closed unless `status` says), of one
    owner or cycle if given, assessed at `now`: at most seven statements at any size."""
    workspace = _workspace(session, workspace_id)
    result = okrs.list_objectives(
        session,
        workspace,
        owner_id=owner_id,
        cycle=_cycle_name(workspace, cycle),
        statuses=(status,) if status else (Status.ACTIVE, Status.CLOSED),
        limit=limit,
        after=after,
        now=now,
    )
    kr_ids = [k.key_result.id for st in result.statuses for k in st.key_results]
    by_kr = bindings.of_key_results(session, kr_ids)
    links = okrs.link_numbers(session, [st.objective for st in result.statuses])
    objectives = tuple(_objective_value(st, links, by_kr) for st in result.statuses)
    return ObjectivePage(_workspace_value(workspace), objectives, result.total)


def one_objective(session: Session, workspace_id: int, reference: str, *, now: datetime) -> OneObjective:
    """One objective with its key results, assessed at `now`."""
    workspace = _workspace(session, workspace_id)
    found = okrs.find_objective(session, workspace, reference)
    key_results = okrs.key_results_of(session, found)
    status = assessment.assess(found, key_results, workspace, now)
    by_kr = bindings.of_key_results(session, [kr.id for kr in key_results])
    links = okrs.link_numbers(session, [found])
    return OneObjective(_workspace_value(workspace), _objective_value(status, links, by_kr))


def key_result_history(
    session: Session, workspace_id: int, reference: str, *, recent: int, now: datetime
) -> KeyResultHistory:
    """One key result (not archived), assessed at `now`, with its last `recent` check-ins."""
    workspace = _workspace(session, workspace_id)
    kr, parent = okrs.find_key_result(session, workspace, reference)
    history = okrs.recent_checkins(session, kr, recent)
    return KeyResultHistory(
        _workspace_value(workspace),
        _key_result_value(session, workspace, kr, parent, now),
        tuple(_check_in_value(c) for c in history),
    )


def record_check_in(
    session: Session,
    workspace_id: int,
    reference: str,
    *,
    value: float,
    confidence: Confidence | None,
    note: str,
    actor_id: str,
    origin: str,
    authorized: bool,
    now: datetime,
) -> CheckInRecorded:
    """Check in on an active key result of an active objective (a milestone takes 1 or 0), as
    checkins.record does for Slack: `authorized` and `origin` as there."""
    workspace = _workspace(session, workspace_id)
    kr, parent = okrs.find_key_result(session, workspace, reference)
    ref = format_ref(RefKind.KR, kr.number)
    if kr.status != Status.ACTIVE or parent.status != Status.ACTIVE:
        state = "closed" if Status.CLOSED in (kr.status, parent.status) else "archived"
        raise Conflict(f"{ref} is {state}; check-ins go on active key results.")
    if kr.kind == KeyResultKind.MILESTONE and value not in (0.0, 1.0):
        raise WrongInput("value", f"{ref} is a milestone: check in 1 (done) or 0 (not done).")
    entry = CheckInEntry(key_result_id=kr.id, value=value, confidence=confidence, note=note)
    recorded = checkins.record(
        session,
        workspace,
        actor_id,
        [entry],
        now=now,
        field_errors=False,
        authorized=authorized,
        origin=origin,
    )
    if not recorded:  # pragma: no cover - no dedupe key is given, so nothing can be taken
        raise Conflict(f"That check-in of {ref} was already recorded.")
    done = recorded[0]
    return CheckInRecorded(
        _workspace_value(workspace),
        _check_in_value(done.check_in),
        _key_result_value(session, workspace, done.key_result, done.objective, now),
    )


# --- KRAs and KPIs --------------------------------------------------------------------------------------


def kra_page(
    session: Session, workspace_id: int, *, owner_id: str | None = None, limit: int = 50, after: int = 0
) -> KraPage:
    """A page of active KRAs after KRA-`after`, of one owner if given, with their KPIs: five
    statements at any size."""
    workspace = _workspace(session, workspace_id)
    page = kras.kra_page(session, workspace, owner_id=owner_id, after=after, limit=limit)
    by_kpi = bindings.of_kpis(session, [kpi.id for kpis in page.kpis.values() for kpi in kpis])
    shown = tuple(_kra_value(kra, page.kpis.get(kra.id, []), by_kpi) for kra in page.kras)
    return KraPage(_workspace_value(workspace), shown, page.total)


def one_kra(session: Session, workspace_id: int, reference: str) -> OneKra:
    """One KRA with its KPIs."""
    workspace = _workspace(session, workspace_id)
    found = kras.find_kra(session, workspace, reference)
    kpis = kras.kpis_of(session, found)
    by_kpi = bindings.of_kpis(session, [k.id for k in kpis])
    return OneKra(_workspace_value(workspace), _kra_value(found, kpis, by_kpi))


def kpi_history(session: Session, workspace_id: int, reference: str, *, recent: int) -> KpiHistory:
    """One KPI with its last `recent` measurements."""
    workspace = _workspace(session, workspace_id)
    found, owner = kras.find_kpi(session, workspace, reference)
    history = kras.recent_measurements(session, found, recent)
    return KpiHistory(
        _workspace_value(workspace),
        _kpi_value(found, owner, bindings.of_kpi(session, found)),
        tuple(_measurement_value(m) for m in history),
    )


def log_measurement(
    session: Session,
    workspace_id: int,
    reference: str,
    *,
    value: float,
    note: str,
    actor_id: str,
    origin: str,
    authorized: bool,
    now: datetime,
) -> MeasurementLogged:
    """Log a measurement of an active KPI of an active KRA, as kras.log_measurement does for
    Slack: `authorized` and `origin` as there."""
    workspace = _workspace(session, workspace_id)
    found, owner = kras.find_kpi(session, workspace, reference)
    ref = format_ref(RefKind.KPI, found.number)
    if found.status != Status.ACTIVE or owner.status != Status.ACTIVE:
        raise Conflict(f"{ref} is archived; measurements go on active KPIs.")
    try:
        found, owner = kras.log_measurement(
            session, workspace, actor_id, ref, value, note, at=now, authorized=authorized, origin=origin
        )
    except Invalid as error:  # pragma: no cover - checked above; kept for a race with an archive
        raise Conflict(error.message) from None
    latest = kras.recent_measurements(session, found, 1)
    if not latest:  # pragma: no cover
        raise NotFound("The measurement was not found after it was logged.")
    return MeasurementLogged(
        _workspace_value(workspace),
        _measurement_value(latest[0]),
        _kpi_value(found, owner, bindings.of_kpi(session, found)),
    )


# --- rows to values -------------------------------------------------------------------------------------


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:  # pragma: no cover - a token's workspace is deleted with its tokens
        raise NotFound("This workspace is gone.")
    return workspace


def _cycle_name(workspace: Workspace, text: str | None) -> str | None:
    if not text:
        return None
    try:
        return parse_cycle(text, workspace.fiscal_year_start_month).name
    except ValueError as error:
        raise WrongInput("cycle", f"{error}.") from None


def _workspace_value(workspace: Workspace) -> WorkspaceValue:
    return WorkspaceValue(team_id=workspace.team_id, name=workspace.name or "")


def _source_value(binding: SourceBinding | None) -> SourceValue | None:
    if binding is None:
        return None
    return SourceValue(
        kind=binding.kind.value,
        connection=binding.connection,
        every_minutes=binding.every_minutes,
        last_run_at=binding.last_run_at,
        last_value=binding.last_value,
        failing=binding.failing_since is not None,
        last_error=binding.last_error,
    )


def _key_result_value(
    session: Session, workspace: Workspace, kr: KeyResult, parent: Objective, now: datetime
) -> KeyResultValue:
    """One key result assessed at `now`, with its data source (one statement)."""
    expected = assessment.expected_for(assessment.cycle_of(parent, workspace), now)
    status = assessment.key_result_status(kr, expected)
    return _assessed_value(status, parent, bindings.of_key_result(session, kr))


def _assessed_value(
    status: assessment.KeyResultStatus, parent: Objective, binding: SourceBinding | None
) -> KeyResultValue:
    kr = status.key_result
    return KeyResultValue(
        number=kr.number,
        objective_number=parent.number,
        title=kr.title,
        kind=kr.kind,
        start=kr.start_value,
        target=kr.target_value,
        unit=kr.unit,
        owner_id=kr.owner_id,
        weight=kr.weight,
        status=kr.status,
        current=kr.current_value,
        progress=status.progress,
        pace=status.pace,
        confidence=status.confidence,
        last_checkin_at=kr.last_checkin_at,
        source=_source_value(binding),
    )


def _objective_value(
    status: assessment.ObjectiveStatus, links: okrs.LinkNumbers, by_kr: dict[int, SourceBinding]
) -> ObjectiveValue:
    o = status.objective
    return ObjectiveValue(
        number=o.number,
        title=o.title,
        description=o.description,
        owner_id=o.owner_id,
        cycle=o.cycle,
        channel_id=o.channel_id,
        status=o.status,
        kra_number=links.kras.get(o.kra_id) if o.kra_id else None,
        parent_number=links.parents.get(o.parent_id) if o.parent_id else None,
        progress=status.progress,
        expected=status.expected,
        pace=status.pace,
        key_results=tuple(_assessed_value(k, o, by_kr.get(k.key_result.id)) for k in status.key_results),
    )


def _check_in_value(check_in: CheckIn) -> CheckInValue:
    return CheckInValue(
        value=check_in.value,
        confidence=Confidence(check_in.confidence) if check_in.confidence else None,
        note=check_in.note,
        author_id=check_in.author_id,
        at=check_in.created_at,
        automatic=check_in.automatic,
        origin=check_in.origin,
    )


def _kpi_value(kpi: Kpi, owner: Kra, binding: SourceBinding | None) -> KpiValue:
    return KpiValue(
        number=kpi.number,
        kra_number=owner.number,
        name=kpi.name,
        unit=kpi.unit,
        target=kpi.target,
        direction=kpi.direction,
        status=kpi.status,
        latest_value=kpi.latest_value,
        latest_at=kpi.latest_at,
        source=_source_value(binding),
    )


def _kra_value(kra: Kra, kpis: Sequence[Kpi | ListedKpi], by_kpi: dict[int, SourceBinding]) -> KraValue:
    return KraValue(
        number=kra.number,
        title=kra.title,
        description=kra.description,
        owner_id=kra.owner_id,
        role=kra.role,
        channel_id=kra.channel_id,
        status=kra.status,
        kpis=tuple(_kpi_value(kpi, kra, by_kpi.get(kpi.id)) for kpi in kpis),
    )


def _measurement_value(measurement: KpiMeasurement) -> MeasurementValue:
    return MeasurementValue(
        value=measurement.value,
        note=measurement.note,
        author_id=measurement.author_id,
        at=measurement.measured_at,
        automatic=bool(measurement.origin and measurement.origin.startswith("source:")),
        origin=measurement.origin,
    )
