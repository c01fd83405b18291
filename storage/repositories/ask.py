"""The reads Ask Northline's answers need, each one statement whatever the data size.

Every query is scoped by workspace; "active" is storage.repositories.okrs.active_key_result().
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import CheckIn, KeyResult, Objective
from storage.repositories.okrs import active_key_result


def active_key_results(
    session: Session,
    workspace_id: int,
    *,
    channel_id: str | None = None,
    involving: str | None = None,
    owner_id: str | None = None,
    limit: int = 500,
) -> list[KeyResult]:
    """Active key results of active objectives, each with its objective loaded (`kr.objective`),
    by objective then position: one statement.

    channel_id: of that channel's objectives; involving: in objectives the person owns, or owned
    by them; owner_id: owned by the person.
    """
    query = (
        select(KeyResult, Objective)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.workspace_id == workspace_id, Objective.workspace_id == workspace_id)
        .where(active_key_result())
    )
    if channel_id:
        query = query.where(Objective.channel_id == channel_id)
    if involving:
        query = query.where(or_(Objective.owner_id == involving, KeyResult.owner_id == involving))
    if owner_id:
        query = query.where(KeyResult.owner_id == owner_id)
    query = query.order_by(Objective.number, KeyResult.position, KeyResult.number).limit(limit)
    found = []
    for kr, objective in session.execute(query):
        set_committed_value(kr, "objective", objective)  # lazy="raise": fill it from this row
        found.append(kr)
    return found


def checkins_since(
    session: Session, key_result_ids: Sequence[int], since: datetime
) -> dict[int, list[CheckIn]]:
    """key result id → its check-ins at or after `since` (naive UTC), oldest first: one statement."""
    grouped: dict[int, list[CheckIn]] = defaultdict(list)
    if not key_result_ids:
        return grouped
    rows = session.scalars(
        select(CheckIn)
        .where(CheckIn.key_result_id.in_(list(key_result_ids)), CheckIn.created_at >= since)
        .order_by(CheckIn.created_at, CheckIn.id)
    )
    for checkin in rows:
        grouped[checkin.key_result_id].append(checkin)
    return grouped
