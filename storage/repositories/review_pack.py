"""The queries a KRA review pack, its reviewers and the first week's guide need. Each is one
statement whatever the data size: a pack is the same eight statements for 1 KRA or 50."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    CheckIn,
    KeyResult,
    Kpi,
    KpiMeasurement,
    Kra,
    KraReview,
    KraReviewer,
    Member,
    Objective,
    Sprint,
    SprintKeyResult,
    Status,
)

MAX_PACK_KRAS = 60  # far beyond the 3–5 a role should have; bounds a bad import


def kras_in_period(
    session: Session, workspace_id: int, owner_id: str, start: datetime, end: datetime
) -> list[Kra]:
    """The person's KRAs that stood at some point in [start, end): declared before it ended, and
    active, or archived after it began. An archived KRA can no longer be edited, so its
    `updated_at` is when it was archived (or retired at a review)."""
    return list(
        session.scalars(
            select(Kra)
            .where(
                Kra.workspace_id == workspace_id,
                Kra.owner_id == owner_id,
                Kra.created_at < end,
                or_(Kra.status == Status.ACTIVE, Kra.updated_at >= start),
            )
            .order_by(Kra.number)
            .limit(MAX_PACK_KRAS)
        )
    )


def all_kpis_of(session: Session, kra_ids: Sequence[int]) -> list[Kpi]:
    """Every KPI of these KRAs, archived ones too (a KPI dropped mid-period still has its history)."""
    if not kra_ids:
        return []
    return list(
        session.scalars(
            select(Kpi).where(Kpi.kra_id.in_(kra_ids)).order_by(Kpi.kra_id, Kpi.position, Kpi.number)
        )
    )


def measurements_between(
    session: Session, kpi_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[KpiMeasurement]]:
    grouped: dict[int, list[KpiMeasurement]] = defaultdict(list)
    if not kpi_ids:
        return grouped
    rows = session.scalars(
        select(KpiMeasurement)
        .where(
            KpiMeasurement.kpi_id.in_(kpi_ids),
            KpiMeasurement.measured_at >= start,
            KpiMeasurement.measured_at < end,
        )
        .order_by(KpiMeasurement.kpi_id, KpiMeasurement.measured_at, KpiMeasurement.id)
    )
    for measurement in rows:
        grouped[measurement.kpi_id].append(measurement)
    return grouped


def values_before(session: Session, kpi_ids: Sequence[int], before: datetime) -> dict[int, float]:
    """Each KPI's last value measured before `before`, in one statement."""
    if not kpi_ids:
        return {}
    ranked = (
        select(
            KpiMeasurement.kpi_id,
            KpiMeasurement.value,
            func.row_number()
            .over(
                partition_by=KpiMeasurement.kpi_id,
                order_by=(KpiMeasurement.measured_at.desc(), KpiMeasurement.id.desc()),
            )
            .label("rank"),
        )
        .where(KpiMeasurement.kpi_id.in_(kpi_ids), KpiMeasurement.measured_at < before)
        .subquery()
    )
    return {
        kpi_id: value
        for kpi_id, value in session.execute(
            select(ranked.c.kpi_id, ranked.c.value).where(ranked.c.rank == 1)
        )
    }


def objectives_in(session: Session, kra_ids: Sequence[int], cycles: Sequence[str]) -> list[Objective]:
    if not kra_ids or not cycles:
        return []
    return list(
        session.scalars(
            select(Objective)
            .where(
                Objective.kra_id.in_(kra_ids),
                Objective.cycle.in_(cycles),
                Objective.status != Status.ARCHIVED,
            )
            .order_by(Objective.cycle, Objective.number)
        )
    )


def key_results_of(session: Session, objective_ids: Sequence[int]) -> dict[int, list[KeyResult]]:
    grouped: dict[int, list[KeyResult]] = defaultdict(list)
    if not objective_ids:
        return grouped
    rows = session.scalars(
        select(KeyResult)
        .where(KeyResult.objective_id.in_(objective_ids))
        .order_by(KeyResult.objective_id, KeyResult.position, KeyResult.number)
    )
    for kr in rows:
        grouped[kr.objective_id].append(kr)
    return grouped


def check_in_times(
    session: Session, key_result_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[datetime]]:
    grouped: dict[int, list[datetime]] = defaultdict(list)
    if not key_result_ids:
        return grouped
    rows = session.execute(
        select(CheckIn.key_result_id, CheckIn.created_at).where(
            CheckIn.key_result_id.in_(key_result_ids), CheckIn.created_at >= start, CheckIn.created_at < end
        )
    )
    for key_result_id, created_at in rows:
        grouped[key_result_id].append(created_at)
    return grouped


def reviews_between(
    session: Session, kra_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[KraReview]]:
    grouped: dict[int, list[KraReview]] = defaultdict(list)
    if not kra_ids:
        return grouped
    rows = session.scalars(
        select(KraReview)
        .where(KraReview.kra_id.in_(kra_ids), KraReview.reviewed_at >= start, KraReview.reviewed_at < end)
        .order_by(KraReview.reviewed_at, KraReview.id)
    )
    for review in rows:
        grouped[review.kra_id].append(review)
    return grouped


def review_history(session: Session, workspace_id: int, owner_id: str) -> list[tuple[datetime, str]]:
    """Every review decision ever recorded on the person's KRAs: (when, decision)."""
    rows = session.execute(
        select(KraReview.reviewed_at, KraReview.decision)
        .join(Kra, Kra.id == KraReview.kra_id)
        .where(Kra.workspace_id == workspace_id, Kra.owner_id == owner_id)
    )
    return [(when, decision) for when, decision in rows]


def member_name(session: Session, workspace_id: int, user_id: str) -> str | None:
    return session.scalar(
        select(Member.name).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    )


def members_named(session: Session, workspace_id: int, name: str) -> list[str]:
    """The user ids of cached members whose name is `name` (any case)."""
    return list(
        session.scalars(
            select(Member.user_id).where(
                Member.workspace_id == workspace_id, func.lower(Member.name) == name.lower()
            )
        )
    )


# --- reviewers ----------------------------------------------------------------------------------


def is_reviewer(session: Session, workspace_id: int, person_id: str, reviewer_id: str) -> bool:
    return (
        session.scalar(
            select(KraReviewer.id).where(
                KraReviewer.workspace_id == workspace_id,
                KraReviewer.person_id == person_id,
                KraReviewer.reviewer_id == reviewer_id,
            )
        )
        is not None
    )


def reviewers_of(session: Session, workspace_id: int, person_id: str) -> list[str]:
    return list(
        session.scalars(
            select(KraReviewer.reviewer_id)
            .where(KraReviewer.workspace_id == workspace_id, KraReviewer.person_id == person_id)
            .order_by(KraReviewer.named_at, KraReviewer.id)
        )
    )


def add_reviewer(
    session: Session, workspace_id: int, person_id: str, reviewer_id: str, now: datetime
) -> bool:
    """False when that reviewer was already named (twice is once)."""
    if is_reviewer(session, workspace_id, person_id, reviewer_id):
        return False
    try:
        with session.begin_nested():
            session.add(
                KraReviewer(
                    workspace_id=workspace_id, person_id=person_id, reviewer_id=reviewer_id, named_at=now
                )
            )
    except IntegrityError:  # the same command, delivered twice at once
        return False
    return True


def remove_reviewer(session: Session, workspace_id: int, person_id: str, reviewer_id: str) -> bool:
    done = session.execute(
        delete(KraReviewer).where(
            KraReviewer.workspace_id == workspace_id,
            KraReviewer.person_id == person_id,
            KraReviewer.reviewer_id == reviewer_id,
        )
    )
    return bool(done.rowcount)


# --- the first week -----------------------------------------------------------------------------


def first_week_facts(
    session: Session, workspace_id: int, owner_id: str
) -> tuple[datetime | None, int, int, str | None]:
    """(when the workspace's first KRA was declared, objectives set inside the person's active
    KRAs, sprints serving a key result of theirs, a team channel their KRAs or objectives name),
    in one statement: App Home asks for it on every open."""
    first_kra = select(func.min(Kra.created_at)).where(Kra.workspace_id == workspace_id).scalar_subquery()
    objectives = (
        select(func.count())
        .select_from(Objective)
        .join(Kra, Kra.id == Objective.kra_id)
        .where(
            Objective.workspace_id == workspace_id,
            Objective.status != Status.ARCHIVED,
            Kra.owner_id == owner_id,
            Kra.status == Status.ACTIVE,
        )
        .scalar_subquery()
    )
    sprints = (
        select(func.count(func.distinct(SprintKeyResult.sprint_id)))
        .select_from(SprintKeyResult)
        .join(Sprint, Sprint.id == SprintKeyResult.sprint_id)
        .join(KeyResult, KeyResult.id == SprintKeyResult.key_result_id)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(
            SprintKeyResult.workspace_id == workspace_id,
            or_(KeyResult.owner_id == owner_id, Objective.owner_id == owner_id),
        )
        .scalar_subquery()
    )
    kra_channel = (
        select(Kra.channel_id)
        .where(Kra.workspace_id == workspace_id, Kra.owner_id == owner_id, Kra.channel_id.is_not(None))
        .order_by(Kra.number)
        .limit(1)
        .scalar_subquery()
    )
    objective_channel = (
        select(Objective.channel_id)
        .where(
            Objective.workspace_id == workspace_id,
            Objective.owner_id == owner_id,
            Objective.channel_id.is_not(None),
        )
        .order_by(Objective.number)
        .limit(1)
        .scalar_subquery()
    )
    row = session.execute(
        select(first_kra, objectives, sprints, func.coalesce(kra_channel, objective_channel))
    ).one()
    return row[0], row[1] or 0, row[2] or 0, row[3]
