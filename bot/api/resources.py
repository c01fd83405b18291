"""What each API operation does: find through the services, assess with the same progress and pace
math as Slack (assessment.assess / key_result_status), and shape the answer as the schemas say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from bot.api import schemas as s
from bot.domain.cycles import parse_cycle
from bot.domain.enums import KeyResultKind, Status
from bot.domain.progress import percent
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.errors import Conflict, Invalid, NotFound
from bot.forms.okr import CheckInEntry
from bot.services import assessment, bindings, checkins, kras, okrs
from bot.services.tokens import Authenticated

if TYPE_CHECKING:  # the rows the services hand back, named for the type hints only
    from storage.models import (
        CheckIn,
        KeyResult,
        Kpi,
        KpiMeasurement,
        Kra,
        Objective,
        SourceBinding,
        Workspace,
    )


class ApiFieldError(Exception):
    """A request that parsed but says something impossible: 422 naming the field."""

    def __init__(self, detail: str, *, pointer: str | None = None, parameter: str | None = None):
        super().__init__(detail)
        self.detail, self.pointer, self.parameter = detail, pointer, parameter


@dataclass
class Call:
    """One authenticated request, inside its unit of work."""

    session: Session
    workspace: Workspace
    who: Authenticated
    path: str
    now: datetime

    @property
    def workspace_out(self) -> s.WorkspaceOut:
        return s.WorkspaceOut(team_id=self.workspace.team_id, name=self.workspace.name or "")


# --- shaping ----------------------------------------------------------------------------------------


def source_out(binding: SourceBinding | None) -> s.SourceOut | None:
    if binding is None:
        return None
    return s.SourceOut(
        kind=binding.kind.value,
        connection=binding.connection,
        every_minutes=binding.every_minutes,
        last_run_at=binding.last_run_at,
        last_value=binding.last_value,
        failing=binding.failing_since is not None,
        last_error=binding.last_error,
    )


def key_result_out(
    status: assessment.KeyResultStatus, objective: Objective, binding: SourceBinding | None
) -> s.KeyResultOut:
    kr = status.key_result
    return s.KeyResultOut(
        ref=format_ref(RefKind.KR, kr.number),
        objective=format_ref(RefKind.OBJ, objective.number),
        title=kr.title,
        kind=kr.kind.value,
        start=kr.start_value,
        target=kr.target_value,
        unit=kr.unit,
        owner=kr.owner_id,
        weight=kr.weight,
        status=kr.status.value,
        current=kr.current_value,
        progress=status.progress,
        progress_percent=percent(status.progress) if status.progress is not None else None,
        pace=status.pace,
        confidence=status.confidence,
        last_checkin_at=kr.last_checkin_at,
        source=source_out(binding),
    )


def objective_out(
    status: assessment.ObjectiveStatus, links: okrs.LinkNumbers, by_kr: dict[int, SourceBinding]
) -> s.ObjectiveOut:
    o = status.objective
    return s.ObjectiveOut(
        ref=format_ref(RefKind.OBJ, o.number),
        title=o.title,
        description=o.description,
        owner=o.owner_id,
        cycle=o.cycle,
        channel=o.channel_id,
        status=o.status.value,
        kra=format_ref(RefKind.KRA, links.kras[o.kra_id]) if o.kra_id in links.kras else None,
        parent=format_ref(RefKind.OBJ, links.parents[o.parent_id]) if o.parent_id in links.parents else None,
        progress=status.progress,
        progress_percent=percent(status.progress),
        expected=status.expected,
        pace=status.pace,
        key_results=[key_result_out(k, o, by_kr.get(k.key_result.id)) for k in status.key_results],
    )


def check_in_out(check_in: CheckIn) -> s.CheckInOut:
    return s.CheckInOut(
        value=check_in.value,
        confidence=check_in.confidence or None,
        note=check_in.note,
        author=check_in.author_id,
        at=check_in.created_at,
        automatic=check_in.automatic,
        via=check_in.origin,
    )


def kpi_out(kpi: Kpi, kra: Kra, binding: SourceBinding | None) -> s.KpiOut:
    return s.KpiOut(
        ref=format_ref(RefKind.KPI, kpi.number),
        kra=format_ref(RefKind.KRA, kra.number),
        name=kpi.name,
        unit=kpi.unit,
        target=kpi.target,
        direction=kpi.direction.value,
        status=kpi.status.value,
        latest_value=kpi.latest_value,
        latest_at=kpi.latest_at,
        source=source_out(binding),
    )


def kra_out(kra: Kra, kpis: list[Kpi], by_kpi: dict[int, SourceBinding]) -> s.KraOut:
    return s.KraOut(
        ref=format_ref(RefKind.KRA, kra.number),
        title=kra.title,
        description=kra.description,
        owner=kra.owner_id,
        role=kra.role,
        channel=kra.channel_id,
        status=kra.status.value,
        kpis=[kpi_out(kpi, kra, by_kpi.get(kpi.id)) for kpi in kpis],
    )


def measurement_out(m: KpiMeasurement) -> s.MeasurementOut:
    automatic = bool(m.origin and m.origin.startswith("source:"))
    return s.MeasurementOut(
        value=m.value, note=m.note, author=m.author_id, at=m.measured_at, automatic=automatic, via=m.origin
    )


def _after(text: str | None, kind: RefKind) -> int:
    if not text:
        return 0
    try:
        return parse_ref(text, kind)
    except ValueError as error:
        raise ApiFieldError(str(error), parameter="after") from None


def _ref(text: str, kind: RefKind) -> str:
    try:
        parse_ref(text, kind)
    except ValueError as error:
        raise ApiFieldError(f"{error}.", parameter="ref") from None
    return text


def _next(path: str, query: dict, last: str | None, shown: int, limit: int) -> str | None:
    if last is None or shown < limit:
        return None
    return f"{path}?{urlencode({**{k: v for k, v in query.items() if v is not None}, 'after': last})}"


# --- operations -------------------------------------------------------------------------------------


def list_objectives(call: Call, query: s.ObjectiveQuery) -> s.ObjectiveList:
    cycle = None
    if query.cycle:
        try:
            cycle = parse_cycle(query.cycle, call.workspace.fiscal_year_start_month).name
        except ValueError as error:
            raise ApiFieldError(f"{error}.", parameter="cycle") from None
    statuses = (Status(query.status),) if query.status else (Status.ACTIVE, Status.CLOSED)
    result = okrs.list_objectives(
        call.session,
        call.workspace,
        owner_id=query.owner,
        cycle=cycle,
        statuses=statuses,
        limit=query.limit,
        after=_after(query.after, RefKind.OBJ),
        now=call.now,
    )
    objectives = [st.objective for st in result.statuses]
    kr_ids = [k.key_result.id for st in result.statuses for k in st.key_results]
    by_kr = bindings.of_key_results(call.session, kr_ids)
    links = okrs.link_numbers(call.session, objectives)
    last = format_ref(RefKind.OBJ, objectives[-1].number) if objectives else None
    return s.ObjectiveList(
        workspace=call.workspace_out,
        page=s.PageOut(
            limit=query.limit,
            total=result.total,
            next=_next(call.path, query.model_dump(exclude={"after"}), last, len(objectives), query.limit),
        ),
        objectives=[objective_out(st, links, by_kr) for st in result.statuses],
    )


def get_objective(call: Call, ref: str) -> s.ObjectiveOne:
    objective = okrs.find_objective(call.session, call.workspace, _ref(ref, RefKind.OBJ))
    key_results = okrs.key_results_of(call.session, objective)
    status = assessment.assess(objective, key_results, call.workspace, call.now)
    by_kr = bindings.of_key_results(call.session, [kr.id for kr in key_results])
    return s.ObjectiveOne(
        workspace=call.workspace_out,
        objective=objective_out(status, okrs.link_numbers(call.session, [objective]), by_kr),
    )


def _key_result_status(call: Call, kr: KeyResult, objective: Objective) -> assessment.KeyResultStatus:
    expected = assessment.expected_for(assessment.cycle_of(objective, call.workspace), call.now)
    return assessment.key_result_status(kr, expected)


def get_key_result(call: Call, ref: str, query: s.RecentQuery) -> s.KeyResultOne:
    kr, objective = okrs.find_key_result(call.session, call.workspace, _ref(ref, RefKind.KR))
    history = okrs.recent_checkins(call.session, kr, query.recent)
    return s.KeyResultOne(
        workspace=call.workspace_out,
        key_result=key_result_out(
            _key_result_status(call, kr, objective),
            objective,
            bindings.of_key_result(call.session, kr),
        ),
        recent_checkins=[check_in_out(c) for c in history],
    )


def post_check_in(call: Call, ref: str, body: s.CheckInRequest) -> s.CheckInCreated:
    kr, objective = okrs.find_key_result(call.session, call.workspace, _ref(ref, RefKind.KR))
    kr_ref = format_ref(RefKind.KR, kr.number)
    if kr.status != Status.ACTIVE or objective.status != Status.ACTIVE:
        raise Conflict(
            f"{kr_ref} is {'closed' if Status.CLOSED in (kr.status, objective.status) else 'archived'}; check-ins go on active key results."
        )
    if kr.kind == KeyResultKind.MILESTONE and body.value not in (0.0, 1.0):
        raise ApiFieldError(f"{kr_ref} is a milestone: check in 1 (done) or 0 (not done).", pointer="/value")
    entry = CheckInEntry(key_result_id=kr.id, value=body.value, confidence=body.confidence, note=body.note)
    recorded = checkins.record(
        call.session,
        call.workspace,
        call.who.created_by,
        [entry],
        now=call.now,
        field_errors=False,
        authorized=True,  # a write token: only an admin can make one
        origin=f"api:{call.who.name}",
    )
    if not recorded:  # pragma: no cover - no dedupe key is given, so nothing can be taken
        raise Conflict(f"That check-in of {kr_ref} was already recorded.")
    done = recorded[0]
    return s.CheckInCreated(
        workspace=call.workspace_out,
        check_in=check_in_out(done.check_in),
        key_result=key_result_out(
            _key_result_status(call, done.key_result, done.objective),
            done.objective,
            bindings.of_key_result(call.session, done.key_result),
        ),
    )


def list_kras(call: Call, query: s.KraQuery) -> s.KraList:
    page = kras.kra_page(
        call.session,
        call.workspace,
        owner_id=query.owner,
        after=_after(query.after, RefKind.KRA),
        limit=query.limit,
    )
    kpi_ids = [kpi.id for kpis in page.kpis.values() for kpi in kpis]
    by_kpi = bindings.of_kpis(call.session, kpi_ids)
    last = format_ref(RefKind.KRA, page.kras[-1].number) if page.kras else None
    return s.KraList(
        workspace=call.workspace_out,
        page=s.PageOut(
            limit=query.limit,
            total=page.total,
            next=_next(call.path, query.model_dump(exclude={"after"}), last, len(page.kras), query.limit),
        ),
        kras=[kra_out(kra, page.kpis.get(kra.id, []), by_kpi) for kra in page.kras],
    )


def get_kra(call: Call, ref: str) -> s.KraOne:
    kra = kras.find_kra(call.session, call.workspace, _ref(ref, RefKind.KRA))
    kpis = kras.kpis_of(call.session, kra)
    by_kpi = bindings.of_kpis(call.session, [k.id for k in kpis])
    return s.KraOne(workspace=call.workspace_out, kra=kra_out(kra, kpis, by_kpi))


def get_kpi(call: Call, ref: str, query: s.RecentQuery) -> s.KpiOne:
    kpi, kra = kras.find_kpi(call.session, call.workspace, _ref(ref, RefKind.KPI))
    history = kras.recent_measurements(call.session, kpi, query.recent)
    return s.KpiOne(
        workspace=call.workspace_out,
        kpi=kpi_out(kpi, kra, bindings.of_kpi(call.session, kpi)),
        recent_measurements=[measurement_out(m) for m in history],
    )


def post_measurement(call: Call, ref: str, body: s.MeasurementRequest) -> s.MeasurementCreated:
    kpi, kra = kras.find_kpi(call.session, call.workspace, _ref(ref, RefKind.KPI))
    if kpi.status != Status.ACTIVE or kra.status != Status.ACTIVE:
        raise Conflict(f"{format_ref(RefKind.KPI, kpi.number)} is archived; measurements go on active KPIs.")
    try:
        kpi, kra = kras.log_measurement(
            call.session,
            call.workspace,
            call.who.created_by,
            format_ref(RefKind.KPI, kpi.number),
            body.value,
            body.note,
            at=call.now,
            authorized=True,
            origin=f"api:{call.who.name}",
        )
    except Invalid as error:  # pragma: no cover - checked above; kept for a race with an archive
        raise Conflict(error.message) from None
    latest = kras.recent_measurements(call.session, kpi, 1)
    if not latest:  # pragma: no cover
        raise NotFound("The measurement was not found after it was logged.")
    return s.MeasurementCreated(
        workspace=call.workspace_out,
        measurement=measurement_out(latest[0]),
        kpi=kpi_out(kpi, kra, bindings.of_kpi(call.session, kpi)),
    )
