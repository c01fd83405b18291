"""Who follows which objective: people (its weekly movement in their reminder) and channels (it
joins their digest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Follow, FollowerKind, Objective, Status


def add(
    session: Session, workspace_id: int, objective_id: int, kind: FollowerKind, follower: str, by: str
) -> bool:
    """Follow; False when that follower already follows the objective (nothing changes)."""
    try:
        with session.begin_nested():
            session.add(
                Follow(
                    workspace_id=workspace_id,
                    objective_id=objective_id,
                    kind=kind,
                    follower=follower,
                    created_by=by,
                )
            )
    except IntegrityError:
        return False
    return True


def remove(session: Session, workspace_id: int, objective_id: int, follower: str) -> bool:
    """Stop following; False when that follower did not follow it."""
    result = session.execute(
        delete(Follow).where(
            Follow.workspace_id == workspace_id,
            Follow.objective_id == objective_id,
            Follow.follower == follower,
        )
    )
    return bool(result.rowcount)


def is_following(session: Session, workspace_id: int, objective_id: int, follower: str) -> bool:
    return (
        session.scalar(
            select(Follow.id).where(
                Follow.workspace_id == workspace_id,
                Follow.objective_id == objective_id,
                Follow.follower == follower,
            )
        )
        is not None
    )


def followed_by_people(
    session: Session, workspace_id: int, user_ids: Iterable[str]
) -> dict[str, list[Objective]]:
    """person -> the active objectives they follow, by number: one statement."""
    ids = sorted(set(user_ids))
    found: dict[str, list[Objective]] = defaultdict(list)
    if not ids:
        return found
    rows = session.execute(
        select(Follow.follower, Objective)
        .join(Objective, Objective.id == Follow.objective_id)
        .where(
            Follow.workspace_id == workspace_id,
            Follow.kind == FollowerKind.PERSON,
            Follow.follower.in_(ids),
            Objective.status == Status.ACTIVE,
        )
        .order_by(Follow.follower, Objective.number)
    )
    for follower, objective in rows:
        found[follower].append(objective)
    return found
