"""People's own reminder preferences (`/okr remind`, snooze and skip): one statement each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import KeyResult, Objective, PersonPreference, SourceBinding, Status


def preference(session: Session, workspace_id: int, user_id: str) -> PersonPreference | None:
    return session.scalar(
        select(PersonPreference).where(
            PersonPreference.workspace_id == workspace_id, PersonPreference.user_id == user_id
        )
    )


def hide_guide(session: Session, workspace_id: int, user_id: str, now: datetime) -> None:
    """Stamp the person's row (made if they have none) as having hidden the first-week guide."""
    row = preference(session, workspace_id, user_id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(PersonPreference(workspace_id=workspace_id, user_id=user_id, guide_hidden_at=now))
            return
        except IntegrityError:  # a second click made the row meanwhile
            row = preference(session, workspace_id, user_id)
    if row is not None and row.guide_hidden_at is None:
        row.guide_hidden_at = now
        session.flush()


def guide_hidden(session: Session, workspace_id: int, user_id: str) -> bool:
    """Whether the person hid the first-week guide in this workspace."""
    return (
        session.scalar(
            select(PersonPreference.guide_hidden_at).where(
                PersonPreference.workspace_id == workspace_id, PersonPreference.user_id == user_id
            )
        )
        is not None
    )


def preferences(
    session: Session, workspace_id: int, user_ids: Iterable[str] | None = None
) -> dict[str, PersonPreference]:
    """The rows of `user_ids` (everyone's when None), by user id; people with none are absent."""
    query = select(PersonPreference).where(PersonPreference.workspace_id == workspace_id)
    if user_ids is not None:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        query = query.where(PersonPreference.user_id.in_(ids))
    return {row.user_id: row for row in session.scalars(query)}


def muted_lists(session: Session, workspace_id: int) -> list[str]:
    """Every non-empty `muted` of the workspace (one per person who switched something off)."""
    return list(
        session.scalars(
            select(PersonPreference.muted).where(
                PersonPreference.workspace_id == workspace_id, PersonPreference.muted != ""
            )
        )
    )


def key_result_owners(session: Session, workspace_id: int) -> set[str]:
    """Owners of an active key result of an active objective: who gets the weekly reminder."""
    return set(
        session.scalars(
            select(KeyResult.owner_id)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(
                KeyResult.workspace_id == workspace_id,
                KeyResult.status == Status.ACTIVE,
                Objective.status == Status.ACTIVE,
            )
            .distinct()
        )
    )


def failing_key_result_ids(session: Session, workspace_id: int) -> dict[int, str]:
    """key result id → the last error of its failing data source (words safe to show)."""
    rows = session.execute(
        select(SourceBinding.key_result_id, SourceBinding.last_error).where(
            SourceBinding.workspace_id == workspace_id,
            SourceBinding.key_result_id.is_not(None),
            SourceBinding.last_error.is_not(None),
        )
    )
    return {kr_id: error for kr_id, error in rows}
