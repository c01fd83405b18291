"""The queries OKR pages, check-ins and Home need, each a fixed number of statements whatever the
data size: a page is a LIMIT plus a COUNT, and the key results of the shown objectives come in one
IN query. No query runs in a loop.

"Active" for a key result means: its own status is active AND its objective's status is active
(archiving or closing an objective leaves its key results' rows alone). Use `active_key_result()`
for that condition rather than `KeyResult.status == active` alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import CheckIn, KeyResult, Kra, Member, Objective, Status


@dataclass
class ObjectivePage:
    objectives: list[Objective]
    key_results: dict[int, list[KeyResult]]  # objective id → its key results (archived rows left out)
    total: int  # how many matched, of which `objectives` is the first slice


@dataclass
class KeyResultPage:
    items: list[tuple[KeyResult, Objective]]
    total: int


def active_key_result() -> ColumnElement[bool]:
    """The one definition of an active key result (join Objective first)."""
    return and_(KeyResult.status == Status.ACTIVE, Objective.status == Status.ACTIVE)


def is_active_key_result(key_result: KeyResult, objective: Objective) -> bool:
    """`active_key_result()` for rows already loaded."""
    return key_result.status == Status.ACTIVE and objective.status == Status.ACTIVE


def objective_by_number(session: Session, workspace_id: int, number: int) -> Objective | None:
    return session.scalar(
        select(Objective).where(Objective.workspace_id == workspace_id, Objective.number == number)
    )


def objective_by_creation_key(session: Session, workspace_id: int, key: str) -> Objective | None:
    return session.scalar(
        select(Objective).where(Objective.workspace_id == workspace_id, Objective.creation_key == key)
    )


def key_result_by_number(
    session: Session, workspace_id: int, number: int
) -> tuple[KeyResult, Objective] | None:
    row = session.execute(
        select(KeyResult, Objective)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.workspace_id == workspace_id, KeyResult.number == number)
    ).first()
    return (row[0], row[1]) if row else None


def key_results_by_ids(
    session: Session, workspace_id: int, ids: list[int]
) -> dict[int, tuple[KeyResult, Objective]]:
    if not ids:
        return {}
    rows = session.execute(
        select(KeyResult, Objective)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.workspace_id == workspace_id, KeyResult.id.in_(ids))
    )
    return {kr.id: (kr, objective) for kr, objective in rows}


def _involves(user_id: str) -> ColumnElement[bool]:
    """Objectives a person owns, or in which they own a key result."""
    owned_krs = select(KeyResult.objective_id).where(
        KeyResult.owner_id == user_id, KeyResult.status != Status.ARCHIVED
    )
    return or_(Objective.owner_id == user_id, Objective.id.in_(owned_krs))


def list_objectives(
    session: Session,
    workspace_id: int,
    *,
    user_id: str | None = None,
    owner_id: str | None = None,
    channel_id: str | None = None,
    cycle: str | None = None,
    statuses: tuple[Status, ...] = (Status.ACTIVE, Status.CLOSED),
    limit: int = 40,
    after: int = 0,
) -> ObjectivePage:
    """Objectives (by reference) with their key results: three statements at any size.

    user_id: objectives the person owns or owns a key result in; owner_id: owned only.
    after: the page from OBJ-`after` on (`total` still counts them all).
    """
    where = [Objective.workspace_id == workspace_id, Objective.status.in_(statuses)]
    if user_id:
        where.append(_involves(user_id))
    if owner_id:
        where.append(Objective.owner_id == owner_id)
    if channel_id:
        where.append(Objective.channel_id == channel_id)
    if cycle:
        where.append(Objective.cycle == cycle)
    total = session.scalar(select(func.count()).select_from(Objective).where(*where)) or 0
    if after:
        where.append(Objective.number > after)
    objectives = list(
        session.scalars(select(Objective).where(*where).order_by(Objective.number).limit(limit))
    )
    return ObjectivePage(objectives, key_results_of(session, [o.id for o in objectives]), total)


def key_results_of(session: Session, objective_ids: list[int]) -> dict[int, list[KeyResult]]:
    """Key results of these objectives (archived ones, removed by an edit, left out), in order."""
    grouped: dict[int, list[KeyResult]] = defaultdict(list)
    if not objective_ids:
        return grouped
    rows = session.scalars(
        select(KeyResult)
        .where(KeyResult.objective_id.in_(objective_ids), KeyResult.status != Status.ARCHIVED)
        .order_by(KeyResult.position, KeyResult.number)
    )
    for kr in rows:
        grouped[kr.objective_id].append(kr)
    return grouped


def checkin_times_by(session: Session, workspace_id: int, author_id: str, since: datetime) -> list[datetime]:
    """When this person checked in since `since` (by hand or through a token, not a data source's
    sync), oldest first: one statement."""
    return list(
        session.scalars(
            select(CheckIn.created_at)
            .where(
                CheckIn.workspace_id == workspace_id,
                CheckIn.author_id == author_id,
                CheckIn.created_at >= since,
                or_(CheckIn.origin.is_(None), CheckIn.origin.not_like("source:%")),
            )
            .order_by(CheckIn.created_at)
        )
    )


def recent_checkins(
    session: Session, key_result_ids: list[int], per_key_result: int = 5
) -> dict[int, list[CheckIn]]:
    """The last `per_key_result` check-ins of each key result, newest first, in one statement."""
    grouped: dict[int, list[CheckIn]] = defaultdict(list)
    if not key_result_ids:
        return grouped
    ranked = (
        select(
            CheckIn.id,
            func.row_number()
            .over(partition_by=CheckIn.key_result_id, order_by=(CheckIn.created_at.desc(), CheckIn.id.desc()))
            .label("rank"),
        )
        .where(CheckIn.key_result_id.in_(key_result_ids))
        .subquery()
    )
    rows = session.scalars(
        select(CheckIn)
        .join(ranked, ranked.c.id == CheckIn.id)
        # Repeated outside the window so that PostgreSQL reads check_in by its index here too,
        # not all of it (42 ms → a few at 100,000 check-ins).
        .where(CheckIn.key_result_id.in_(key_result_ids), ranked.c.rank <= per_key_result)
        .order_by(CheckIn.key_result_id, CheckIn.created_at.desc(), CheckIn.id.desc())
    )
    for checkin in rows:
        grouped[checkin.key_result_id].append(checkin)
    return grouped


def _most_overdue_first():
    # No check-in yet first, then the oldest check-in; portable (no NULLS FIRST needed).
    return (
        case((KeyResult.last_checkin_at.is_(None), 0), else_=1),
        KeyResult.last_checkin_at,
        KeyResult.number,
    )


def key_results_owned_by(
    session: Session,
    workspace_id: int,
    owner_id: str,
    *,
    not_checked_in_since: datetime | None = None,
    limit: int = 24,
) -> KeyResultPage:
    """A person's active key results (of active objectives), most overdue first: two statements.

    not_checked_in_since: only those without a check-in at or after that (naive UTC) time.
    """
    where = [KeyResult.workspace_id == workspace_id, KeyResult.owner_id == owner_id, active_key_result()]
    if not_checked_in_since is not None:
        where.append(
            or_(KeyResult.last_checkin_at.is_(None), KeyResult.last_checkin_at < not_checked_in_since)
        )
    base = select(KeyResult, Objective).join(Objective, Objective.id == KeyResult.objective_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(*_most_overdue_first()).limit(limit))
    return KeyResultPage([(kr, objective) for kr, objective in rows], total)


def active_objectives(
    session: Session, workspace_id: int, cycle: str, *, limit: int = 100
) -> list[Objective]:
    """Candidates for a parent objective: this cycle's active objectives."""
    return list(
        session.scalars(
            select(Objective)
            .where(
                Objective.workspace_id == workspace_id,
                Objective.cycle == cycle,
                Objective.status == Status.ACTIVE,
            )
            .order_by(Objective.number)
            .limit(limit)
        )
    )


def active_kras_of(session: Session, workspace_id: int, owner_id: str, *, limit: int = 100) -> list[Kra]:
    return list(
        session.scalars(
            select(Kra)
            .where(Kra.workspace_id == workspace_id, Kra.owner_id == owner_id, Kra.status == Status.ACTIVE)
            .order_by(Kra.number)
            .limit(limit)
        )
    )


def channel_has_objectives(session: Session, workspace_id: int, channel_id: str) -> bool:
    found = session.scalar(
        select(Objective.id)
        .where(
            Objective.workspace_id == workspace_id,
            Objective.channel_id == channel_id,
            Objective.status != Status.ARCHIVED,
        )
        .limit(1)
    )
    return found is not None


def ancestors(session: Session, objective: Objective, *, depth: int = 10) -> list[Objective]:
    """The parent chain of an objective, root first, in one recursive statement (cycles stop)."""
    if objective.parent_id is None:
        return []
    chain = (
        select(Objective.id, Objective.parent_id, literal(1, Integer).label("depth"))
        .where(Objective.id == objective.parent_id, Objective.workspace_id == objective.workspace_id)
        .cte("chain", recursive=True)
    )
    parent = aliased(Objective)
    chain = chain.union_all(
        select(parent.id, parent.parent_id, chain.c.depth + 1)
        .join(chain, parent.id == chain.c.parent_id)
        .where(chain.c.depth < depth, parent.workspace_id == objective.workspace_id)
    )
    rows = session.execute(select(Objective, chain.c.depth).join(chain, chain.c.id == Objective.id)).all()
    seen: dict[int, tuple[int, Objective]] = {}
    for found, level in rows:
        if found.id != objective.id and found.id not in seen:
            seen[found.id] = (level, found)
    return [found for _, found in sorted(seen.values(), key=lambda pair: -pair[0])]


def kras_by_ids(session: Session, ids: list[int]) -> dict[int, Kra]:
    if not ids:
        return {}
    return {kra.id: kra for kra in session.scalars(select(Kra).where(Kra.id.in_(ids)))}


def cached_names(session: Session, workspace_id: int, user_ids: list[str]) -> dict[str, str]:
    """user id → the name users.info gave last, for those kept on Member (one statement)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(Member.user_id, Member.name).where(
            Member.workspace_id == workspace_id, Member.user_id.in_(user_ids)
        )
    )
    return {user_id: name for user_id, name in rows if name}


def objective_numbers(session: Session, ids: list[int]) -> dict[int, int]:
    """Objective id → its OBJ-n number, for the ids given, in one statement."""
    if not ids:
        return {}
    return dict(session.execute(select(Objective.id, Objective.number).where(Objective.id.in_(ids))).all())
