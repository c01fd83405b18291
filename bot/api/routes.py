"""The API's operations: path, method, the models that validate them and the model they answer
with. Falcon's routes (bot/api/app.py) and the OpenAPI document (bot/api/openapi.py) are both made
from this one table, so the document cannot drift from what is served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from bot.api import resources as r
from bot.api import schemas as s
from bot.domain.references import RefKind

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under PREFIX, with at most one `{ref}`
    operation_id: str
    summary: str
    handler: Callable
    response: type[BaseModel]
    query: type[BaseModel] = s.NoQuery
    body: type[BaseModel] | None = None
    ref_kind: RefKind | None = None
    status: int = 200

    @property
    def writes(self) -> bool:
        return self.body is not None


def ref_pattern(kind: RefKind) -> str:
    """JSON Schema (ECMA) pattern of a reference of this kind, any case: ^[Oo][Bb][Jj]-?[0-9]+$."""
    letters = "".join(f"[{c.upper()}{c.lower()}]" for c in kind.value)
    return f"^{letters}-?[0-9]{{1,9}}$"


ROUTES: list[Route] = [
    Route(
        "GET",
        "/objectives",
        "listObjectives",
        "Objectives with their key results, progress, pace and confidence",
        r.list_objectives,
        s.ObjectiveList,
        query=s.ObjectiveQuery,
    ),
    Route(
        "GET",
        "/objectives/{ref}",
        "getObjective",
        "One objective by reference (OBJ-12)",
        r.get_objective,
        s.ObjectiveOne,
        ref_kind=RefKind.OBJ,
    ),
    Route(
        "GET",
        "/key-results/{ref}",
        "getKeyResult",
        "One key result by reference (KR-45), with its latest check-ins",
        r.get_key_result,
        s.KeyResultOne,
        query=s.RecentQuery,
        ref_kind=RefKind.KR,
    ),
    Route(
        "POST",
        "/key-results/{ref}/check-ins",
        "createCheckIn",
        "Check in on a key result",
        r.post_check_in,
        s.CheckInCreated,
        body=s.CheckInRequest,
        ref_kind=RefKind.KR,
        status=201,
    ),
    Route(
        "GET",
        "/kras",
        "listKras",
        "Active KRAs with their KPIs and latest values",
        r.list_kras,
        s.KraList,
        query=s.KraQuery,
    ),
    Route(
        "GET",
        "/kras/{ref}",
        "getKra",
        "One KRA by reference (KRA-3)",
        r.get_kra,
        s.KraOne,
        ref_kind=RefKind.KRA,
    ),
    Route(
        "GET",
        "/kpis/{ref}",
        "getKpi",
        "One KPI by reference (KPI-7), with its latest measurements",
        r.get_kpi,
        s.KpiOne,
        query=s.RecentQuery,
        ref_kind=RefKind.KPI,
    ),
    Route(
        "POST",
        "/kpis/{ref}/measurements",
        "createMeasurement",
        "Log a KPI measurement",
        r.post_measurement,
        s.MeasurementCreated,
        body=s.MeasurementRequest,
        ref_kind=RefKind.KPI,
        status=201,
    ),
]
