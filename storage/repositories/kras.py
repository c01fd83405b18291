"""The queries KRA pages need, each a fixed number of statements whatever the data size."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from storage.models import Direction, Kpi, KpiMeasurement, Kra, KraReview, Objective, Status


@dataclass(frozen=True, slots=True)
class ListedKpi:
    """A KPI as a page reads it: its columns and no ORM state. A /kra list of 20 KRAs reads 60
    KPIs; loaded as ORM objects (identity map, instrumented state, more for the collector) they
    took 13% of a loaded web worker's CPU (bench/REPORT.md). kpis_of loads them to change."""

    id: int
    workspace_id: int
    kra_id: int
    number: int
    name: str
    unit: str
    target: float
    direction: Direction
    position: int
    status: Status
    latest_value: float | None
    latest_at: datetime | None
    created_at: datetime | None


# The active KPIs of some KRAs, in their order: read (ListedKpi) or loaded to change (kpis_of).
_ACTIVE_KPIS_OF = (Kpi.kra_id.in_(bindparam("kra_ids", expanding=True)), Kpi.status == Status.ACTIVE)
_KPI_ORDER = (Kpi.position, Kpi.number)
_LISTED_KPIS = (
    select(*(getattr(Kpi, field.name) for field in fields(ListedKpi)))
    .where(*_ACTIVE_KPIS_OF)
    .order_by(*_KPI_ORDER)
)
_KPIS = select(Kpi).where(*_ACTIVE_KPIS_OF).order_by(*_KPI_ORDER)


@dataclass
class KraPage:
    kras: list[Kra]
    kpis: dict[int, list[ListedKpi]]  # kra id → its active KPIs
    total: int  # how many matched, of which `kras` is the first slice


def kra_by_number(session: Session, workspace_id: int, number: int) -> Kra | None:
    return session.scalar(select(Kra).where(Kra.workspace_id == workspace_id, Kra.number == number))


def kra_by_creation_key(session: Session, workspace_id: int, key: str) -> Kra | None:
    return session.scalar(select(Kra).where(Kra.workspace_id == workspace_id, Kra.creation_key == key))


def kpi_by_number(session: Session, workspace_id: int, number: int) -> Kpi | None:
    return session.scalar(select(Kpi).where(Kpi.workspace_id == workspace_id, Kpi.number == number))


def list_kras(
    session: Session,
    workspace_id: int,
    *,
    owner_id: str | None = None,
    channel_id: str | None = None,
    limit: int = 45,
    after: int = 0,
    by_number: bool = False,
) -> KraPage:
    """Active KRAs (newest reference last) with their KPIs: three statements at any size.

    by_number: in reference order only (pages of the API), from KRA-`after` on; `total` counts them all."""
    count, page = _page_statements(bool(owner_id), bool(channel_id), bool(after), by_number)
    params = {"workspace_id": workspace_id, "owner_id": owner_id, "channel_id": channel_id, "after": after}
    total = session.scalar(count, params) or 0
    kras = list(session.scalars(page, {**params, "limit": limit}))
    return KraPage(kras=kras, kpis=listed_kpis(session, [k.id for k in kras]), total=total)


@functools.cache
def _page_statements(by_owner: bool, by_channel: bool, after: bool, by_number: bool) -> tuple[Select, Select]:
    """list_kras's count and page, built once for each shape with bound parameters: building them
    (and their cache keys) on every /kra list cost more CPU than running them."""
    where = [Kra.workspace_id == bindparam("workspace_id"), Kra.status == Status.ACTIVE]
    if by_owner:
        where.append(Kra.owner_id == bindparam("owner_id"))
    if by_channel:
        where.append(Kra.channel_id == bindparam("channel_id"))
    count = select(func.count()).select_from(Kra).where(*where)
    if after:
        where.append(Kra.number > bindparam("after"))
    order = (Kra.number,) if by_number else (Kra.owner_id, Kra.number)
    return count, select(Kra).where(*where).order_by(*order).limit(bindparam("limit"))


def listed_kpis(session: Session, kra_ids: list[int]) -> dict[int, list[ListedKpi]]:
    """The active KPIs of each KRA, in order, to read (kpis_of loads them to change)."""
    grouped: dict[int, list[ListedKpi]] = defaultdict(list)
    if not kra_ids:
        return grouped
    rows = session.execute(_LISTED_KPIS, {"kra_ids": kra_ids})
    for row in rows:
        grouped[row.kra_id].append(ListedKpi(*row))
    return grouped


def kpis_of(session: Session, kra_ids: list[int]) -> dict[int, list[Kpi]]:
    grouped: dict[int, list[Kpi]] = defaultdict(list)
    if not kra_ids:
        return grouped
    for kpi in session.scalars(_KPIS, {"kra_ids": kra_ids}):
        grouped[kpi.kra_id].append(kpi)
    return grouped


def active_kra_count(session: Session, workspace_id: int, owner_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Kra)
            .where(Kra.workspace_id == workspace_id, Kra.owner_id == owner_id, Kra.status == Status.ACTIVE)
        )
        or 0
    )


def recent_measurements(
    session: Session, kpi_ids: list[int], per_kpi: int = 5
) -> dict[int, list[KpiMeasurement]]:
    """The last `per_kpi` measurements of each KPI, newest first, in one statement."""
    grouped: dict[int, list[KpiMeasurement]] = defaultdict(list)
    if not kpi_ids:
        return grouped
    ranked = (
        select(
            KpiMeasurement.id,
            func.row_number()
            .over(
                partition_by=KpiMeasurement.kpi_id,
                order_by=(KpiMeasurement.measured_at.desc(), KpiMeasurement.id.desc()),
            )
            .label("rank"),
        )
        .where(KpiMeasurement.kpi_id.in_(kpi_ids))
        .subquery()
    )
    rows = session.scalars(
        select(KpiMeasurement)
        .join(ranked, ranked.c.id == KpiMeasurement.id)
        .where(ranked.c.rank <= per_kpi)
        .order_by(KpiMeasurement.kpi_id, KpiMeasurement.measured_at.desc(), KpiMeasurement.id.desc())
    )
    for measurement in rows:
        grouped[measurement.kpi_id].append(measurement)
    return grouped


def last_review(session: Session, kra_id: int) -> KraReview | None:
    return session.scalar(
        select(KraReview).where(KraReview.kra_id == kra_id).order_by(KraReview.reviewed_at.desc()).limit(1)
    )


def objectives_in_kra(session: Session, kra_id: int, limit: int = 20) -> list[Objective]:
    return list(
        session.scalars(
            select(Objective)
            .where(Objective.kra_id == kra_id, Objective.status != Status.ARCHIVED)
            .order_by(Objective.cycle.desc(), Objective.number)
            .limit(limit)
        )
    )
