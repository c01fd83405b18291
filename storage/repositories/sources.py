"""The queries data sources need: bindings of the rows a page shows, and the bindings that are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import KeyResult, Kpi, SourceBinding


def bindings_of(
    session: Session, *, key_result_ids: Sequence[int] = (), kpi_ids: Sequence[int] = ()
) -> tuple[dict[int, SourceBinding], dict[int, SourceBinding]]:
    """(key result id → binding, KPI id → binding), in one statement."""
    if not key_result_ids and not kpi_ids:
        return {}, {}
    rows = session.scalars(
        select(SourceBinding).where(
            or_(
                SourceBinding.key_result_id.in_(list(key_result_ids)), SourceBinding.kpi_id.in_(list(kpi_ids))
            )
        )
    )
    by_kr: dict[int, SourceBinding] = {}
    by_kpi: dict[int, SourceBinding] = {}
    for binding in rows:
        if binding.key_result_id is not None:
            by_kr[binding.key_result_id] = binding
        if binding.kpi_id is not None:
            by_kpi[binding.kpi_id] = binding
    return by_kr, by_kpi


def binding_of_key_result(session: Session, key_result: KeyResult) -> SourceBinding | None:
    return session.scalar(select(SourceBinding).where(SourceBinding.key_result_id == key_result.id))


def binding_of_kpi(session: Session, kpi: Kpi) -> SourceBinding | None:
    return session.scalar(select(SourceBinding).where(SourceBinding.kpi_id == kpi.id))


def due_binding_ids(session: Session, now: datetime, *, limit: int = 1000) -> list[int]:
    """Bindings never run, or whose `every_minutes` have passed since their last run, oldest first.

    The interval arithmetic happens here in Python over (id, last run, interval): portable across
    SQLite and PostgreSQL, and a workspace has bindings by the dozen, not the million."""
    rows = session.execute(
        select(SourceBinding.id, SourceBinding.last_run_at, SourceBinding.every_minutes).order_by(
            func.coalesce(SourceBinding.last_run_at, datetime(1970, 1, 1)), SourceBinding.id
        )
    )
    due = [
        binding_id
        for binding_id, last_run_at, every in rows
        if last_run_at is None or last_run_at + timedelta(minutes=every or 60) <= now
    ]
    return due[:limit]


def count_in_workspace(session: Session, workspace_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(SourceBinding).where(SourceBinding.workspace_id == workspace_id)
    )
