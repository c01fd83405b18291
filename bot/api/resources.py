"""What each API operation does: check what only the request can say (references, `after`), call
the one use case that does the work (bot/services/goal_values.py: found, assessed with the same
progress and pace math as Slack, and handed back as plain values), and shape its values as the
schemas say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from bot.api import schemas as s
from bot.domain.enums import Status
from bot.domain.progress import percent
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.services import goal_values as values
from bot.services.tokens import Authenticated


class ApiFieldError(Exception):
    """A request that parsed but says something impossible: 422 naming the field."""

    def __init__(self, detail: str, *, pointer: str | None = None, parameter: str | None = None):
        super().__init__(detail)
        self.detail, self.pointer, self.parameter = detail, pointer, parameter


@dataclass
class Call:
    """One authenticated request, inside its unit of work."""

    session: Session
    who: Authenticated
    path: str
    now: datetime

    @property
    def origin(self) -> str:
        """Where what this request writes came from (CheckIn.origin, KpiMeasurement.origin)."""
        return f"api:{self.who.name}"


# --- shaping ----------------------------------------------------------------------------------------


def workspace_out(workspace: values.WorkspaceValue) -> s.WorkspaceOut:
    return s.WorkspaceOut(team_id=workspace.team_id, name=workspace.name)


def source_out(source: values.SourceValue | None) -> s.SourceOut | None:
    if source is None:
        return None
    return s.SourceOut(
        kind=source.kind,
        connection=source.connection,
        every_minutes=source.every_minutes,
        last_run_at=source.last_run_at,
        last_value=source.last_value,
        failing=source.failing,
        last_error=source.last_error,
    )


def key_result_out(kr: values.KeyResultValue) -> s.KeyResultOut:
    return s.KeyResultOut(
        ref=format_ref(RefKind.KR, kr.number),
        objective=format_ref(RefKind.OBJ, kr.objective_number),
        title=kr.title,
        kind=kr.kind.value,
        start=kr.start,
        target=kr.target,
        unit=kr.unit,
        owner=kr.owner_id,
        weight=kr.weight,
        status=kr.status.value,
        current=kr.current,
        progress=kr.progress,
        progress_percent=percent(kr.progress) if kr.progress is not None else None,
        pace=kr.pace,
        confidence=kr.confidence,
        last_checkin_at=kr.last_checkin_at,
        source=source_out(kr.source),
    )


def objective_out(o: values.ObjectiveValue) -> s.ObjectiveOut:
    return s.ObjectiveOut(
        ref=format_ref(RefKind.OBJ, o.number),
        title=o.title,
        description=o.description,
        owner=o.owner_id,
        cycle=o.cycle,
        channel=o.channel_id,
        status=o.status.value,
        kra=format_ref(RefKind.KRA, o.kra_number) if o.kra_number is not None else None,
        parent=format_ref(RefKind.OBJ, o.parent_number) if o.parent_number is not None else None,
        progress=o.progress,
        progress_percent=percent(o.progress),
        expected=o.expected,
        pace=o.pace,
        key_results=[key_result_out(kr) for kr in o.key_results],
    )


def check_in_out(check_in: values.CheckInValue) -> s.CheckInOut:
    return s.CheckInOut(
        value=check_in.value,
        confidence=check_in.confidence,
        note=check_in.note,
        author=check_in.author_id,
        at=check_in.at,
        automatic=check_in.automatic,
        via=check_in.origin,
    )


def kpi_out(kpi: values.KpiValue) -> s.KpiOut:
    return s.KpiOut(
        ref=format_ref(RefKind.KPI, kpi.number),
        kra=format_ref(RefKind.KRA, kpi.kra_number),
        name=kpi.name,
        unit=kpi.unit,
        target=kpi.target,
        direction=kpi.direction.value,
        status=kpi.status.value,
        latest_value=kpi.latest_value,
        latest_at=kpi.latest_at,
        source=source_out(kpi.source),
    )


def kra_out(kra: values.KraValue) -> s.KraOut:
    return s.KraOut(
        ref=format_ref(RefKind.KRA, kra.number),
        title=kra.title,
        description=kra.description,
        owner=kra.owner_id,
        role=kra.role,
        channel=kra.channel_id,
        status=kra.status.value,
        kpis=[kpi_out(kpi) for kpi in kra.kpis],
    )


def measurement_out(m: values.MeasurementValue) -> s.MeasurementOut:
    return s.MeasurementOut(
        value=m.value, note=m.note, author=m.author_id, at=m.at, automatic=m.automatic, via=m.origin
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
    after = _after(query.after, RefKind.OBJ)
    try:
        page = values.objective_page(
            call.session,
            call.who.workspace_id,
            owner_id=query.owner,
            cycle=query.cycle,
            status=Status(query.status) if query.status else None,
            limit=query.limit,
            after=after,
            now=call.now,
        )
    except values.WrongInput as error:
        raise ApiFieldError(error.message, parameter=error.field) from None
    shown = page.objectives
    last = format_ref(RefKind.OBJ, shown[-1].number) if shown else None
    return s.ObjectiveList(
        workspace=workspace_out(page.workspace),
        page=s.PageOut(
            limit=query.limit,
            total=page.total,
            next=_next(call.path, query.model_dump(exclude={"after"}), last, len(shown), query.limit),
        ),
        objectives=[objective_out(o) for o in shown],
    )


def get_objective(call: Call, ref: str) -> s.ObjectiveOne:
    found = values.one_objective(call.session, call.who.workspace_id, _ref(ref, RefKind.OBJ), now=call.now)
    return s.ObjectiveOne(workspace=workspace_out(found.workspace), objective=objective_out(found.objective))


def get_key_result(call: Call, ref: str, query: s.RecentQuery) -> s.KeyResultOne:
    found = values.key_result_history(
        call.session, call.who.workspace_id, _ref(ref, RefKind.KR), recent=query.recent, now=call.now
    )
    return s.KeyResultOne(
        workspace=workspace_out(found.workspace),
        key_result=key_result_out(found.key_result),
        recent_checkins=[check_in_out(c) for c in found.recent_checkins],
    )


def post_check_in(call: Call, ref: str, body: s.CheckInRequest) -> s.CheckInCreated:
    try:
        done = values.record_check_in(
            call.session,
            call.who.workspace_id,
            _ref(ref, RefKind.KR),
            value=body.value,
            confidence=body.confidence,
            note=body.note,
            actor_id=call.who.created_by,
            origin=call.origin,
            authorized=True,  # a write token: only an admin can make one
            now=call.now,
        )
    except values.WrongInput as error:
        raise ApiFieldError(error.message, pointer=f"/{error.field}") from None
    return s.CheckInCreated(
        workspace=workspace_out(done.workspace),
        check_in=check_in_out(done.check_in),
        key_result=key_result_out(done.key_result),
    )


def list_kras(call: Call, query: s.KraQuery) -> s.KraList:
    page = values.kra_page(
        call.session,
        call.who.workspace_id,
        owner_id=query.owner,
        limit=query.limit,
        after=_after(query.after, RefKind.KRA),
    )
    shown = page.kras
    last = format_ref(RefKind.KRA, shown[-1].number) if shown else None
    return s.KraList(
        workspace=workspace_out(page.workspace),
        page=s.PageOut(
            limit=query.limit,
            total=page.total,
            next=_next(call.path, query.model_dump(exclude={"after"}), last, len(shown), query.limit),
        ),
        kras=[kra_out(kra) for kra in shown],
    )


def get_kra(call: Call, ref: str) -> s.KraOne:
    found = values.one_kra(call.session, call.who.workspace_id, _ref(ref, RefKind.KRA))
    return s.KraOne(workspace=workspace_out(found.workspace), kra=kra_out(found.kra))


def get_kpi(call: Call, ref: str, query: s.RecentQuery) -> s.KpiOne:
    found = values.kpi_history(
        call.session, call.who.workspace_id, _ref(ref, RefKind.KPI), recent=query.recent
    )
    return s.KpiOne(
        workspace=workspace_out(found.workspace),
        kpi=kpi_out(found.kpi),
        recent_measurements=[measurement_out(m) for m in found.recent_measurements],
    )


def post_measurement(call: Call, ref: str, body: s.MeasurementRequest) -> s.MeasurementCreated:
    done = values.log_measurement(
        call.session,
        call.who.workspace_id,
        _ref(ref, RefKind.KPI),
        value=body.value,
        note=body.note,
        actor_id=call.who.created_by,
        origin=call.origin,
        authorized=True,  # a write token: only an admin can make one
        now=call.now,
    )
    return s.MeasurementCreated(
        workspace=workspace_out(done.workspace),
        measurement=measurement_out(done.measurement),
        kpi=kpi_out(done.kpi),
    )
