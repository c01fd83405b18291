"""Which data source feeds a key result or a KPI: what the API shows next to the number."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from storage.models import KeyResult, Kpi, SourceBinding
from storage.repositories import sources as repo


def of_key_results(session: Session, key_result_ids: Sequence[int]) -> dict[int, SourceBinding]:
    """Key result id → its binding, in one statement."""
    return repo.bindings_of(session, key_result_ids=key_result_ids)[0]


def of_kpis(session: Session, kpi_ids: Sequence[int]) -> dict[int, SourceBinding]:
    """KPI id → its binding, in one statement."""
    return repo.bindings_of(session, kpi_ids=kpi_ids)[1]


def of_key_result(session: Session, key_result: KeyResult) -> SourceBinding | None:
    return repo.binding_of_key_result(session, key_result)


def of_kpi(session: Session, kpi: Kpi) -> SourceBinding | None:
    return repo.binding_of_kpi(session, kpi)
