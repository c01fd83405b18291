"""The queries sprint pages, Home, `/okr show`, the digest and the scheduler need.

Each function runs a fixed number of statements whatever the data size (never one per row).
"Active" key result here means: the key result and its objective are both active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from storage.models import KeyResult, Objective, Sprint, SprintKeyResult, Status
from storage.repositories.okrs import active_key_result, is_active_key_result


@dataclass
class LinkedKeyResult:
    """A key result a sprint serves, with its objective (and its progress when the sprint ended)."""

    key_result: KeyResult
    objective: Objective
    progress_at_end: float | None = None

    @property
    def active(self) -> bool:
        return is_active_key_result(self.key_result, self.objective)


def sprint_by_id(session: Session, workspace_id: int, sprint_id: int) -> Sprint | None:
    return session.scalar(select(Sprint).where(Sprint.workspace_id == workspace_id, Sprint.id == sprint_id))


def active_sprint(session: Session, workspace_id: int, channel_id: str) -> Sprint | None:
    return session.scalar(
        select(Sprint).where(
            Sprint.workspace_id == workspace_id,
            Sprint.channel_id == channel_id,
            Sprint.status == Status.ACTIVE,
        )
    )


def links_of(session: Session, sprint_ids: Collection[int]) -> dict[int, list[LinkedKeyResult]]:
    """sprint id → the key results it serves (with objectives), by KR number: one statement."""
    grouped: dict[int, list[LinkedKeyResult]] = defaultdict(list)
    if not sprint_ids:
        return grouped
    rows = session.execute(
        select(SprintKeyResult.sprint_id, SprintKeyResult.progress_at_end, KeyResult, Objective)
        .join(KeyResult, KeyResult.id == SprintKeyResult.key_result_id)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(SprintKeyResult.sprint_id.in_(list(sprint_ids)))
        .order_by(SprintKeyResult.sprint_id, KeyResult.number)
    )
    for sprint_id, progress_at_end, key_result, objective in rows:
        grouped[sprint_id].append(LinkedKeyResult(key_result, objective, progress_at_end))
    return grouped


def sprint_count_in_channel(session: Session, workspace_id: int, channel_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Sprint)
            .where(Sprint.workspace_id == workspace_id, Sprint.channel_id == channel_id)
        )
        or 0
    )


def key_results_by_numbers(
    session: Session, workspace_id: int, numbers: Collection[int]
) -> dict[int, tuple[KeyResult, Objective]]:
    """KR number → (key result, objective), in this workspace only, whatever their status."""
    if not numbers:
        return {}
    rows = session.execute(
        select(KeyResult, Objective)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.workspace_id == workspace_id, KeyResult.number.in_(list(numbers)))
    )
    return {key_result.number: (key_result, objective) for key_result, objective in rows}


def active_key_results_for(
    session: Session, workspace_id: int, channel_id: str | None, limit: int = 500
) -> list[tuple[KeyResult, Objective]]:
    """The workspace's active key results, those of `channel_id`'s objectives first: one statement."""
    in_channel = case((Objective.channel_id == channel_id, 0), else_=1) if channel_id else 1
    rows = session.execute(
        select(KeyResult, Objective)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.workspace_id == workspace_id, active_key_result())
        .order_by(in_channel, KeyResult.number)
        .limit(limit)
    )
    return [(key_result, objective) for key_result, objective in rows]


def sprints_of_users_teams(
    session: Session, workspace_id: int, user_id: str, limit: int = 20
) -> list[Sprint]:
    """Active sprints of "your teams", soonest end first: one statement.

    A sprint counts as one of your teams' when you created it, when it runs in a channel where you
    own an active objective or an active key result (of an objective in that channel), or when it
    serves a key result you own.
    """
    objective_channels = select(Objective.channel_id).where(
        Objective.workspace_id == workspace_id,
        Objective.owner_id == user_id,
        Objective.status == Status.ACTIVE,
        Objective.channel_id.is_not(None),
    )
    key_result_channels = (
        select(Objective.channel_id)
        .join(KeyResult, KeyResult.objective_id == Objective.id)
        .where(
            KeyResult.workspace_id == workspace_id,
            KeyResult.owner_id == user_id,
            active_key_result(),
            Objective.channel_id.is_not(None),
        )
    )
    serving_mine = (
        select(SprintKeyResult.sprint_id)
        .join(KeyResult, KeyResult.id == SprintKeyResult.key_result_id)
        .where(SprintKeyResult.workspace_id == workspace_id, KeyResult.owner_id == user_id)
    )
    sprints = list(
        session.scalars(
            select(Sprint)
            .where(
                Sprint.workspace_id == workspace_id,
                Sprint.status == Status.ACTIVE,
                or_(
                    Sprint.created_by == user_id,
                    Sprint.channel_id.in_(objective_channels),
                    Sprint.channel_id.in_(key_result_channels),
                    Sprint.id.in_(serving_mine),
                ),
            )
            .order_by(Sprint.ends_on, Sprint.number)
            .limit(limit)
        )
    )
    return sprints


def active_sprints_in_channels(
    session: Session, workspace_id: int, channel_ids: Collection[str], limit: int = 20
) -> list[Sprint]:
    """The active sprint of each of `channel_ids`, soonest end first: one statement."""
    if not channel_ids:
        return []
    sprints = list(
        session.scalars(
            select(Sprint)
            .where(
                Sprint.workspace_id == workspace_id,
                Sprint.status == Status.ACTIVE,
                Sprint.channel_id.in_(list(channel_ids)),
            )
            .order_by(Sprint.ends_on, Sprint.number)
            .limit(limit)
        )
    )
    return sprints


def sprints_serving(
    session: Session, key_result_ids: Collection[int], *, active_only: bool = True
) -> dict[int, list[Sprint]]:
    """key result id → the sprints that serve it (active ones only by default), newest first: one statement."""
    grouped: dict[int, list[Sprint]] = defaultdict(list)
    if not key_result_ids:
        return grouped
    query = (
        select(SprintKeyResult.key_result_id, Sprint)
        .join(Sprint, Sprint.id == SprintKeyResult.sprint_id)
        .where(SprintKeyResult.key_result_id.in_(list(key_result_ids)))
        .order_by(Sprint.starts_on.desc(), Sprint.number.desc())
    )
    if active_only:
        query = query.where(Sprint.status == Status.ACTIVE)
    for key_result_id, sprint in session.execute(query):
        grouped[key_result_id].append(sprint)
    return grouped


def active_sprints(session: Session, workspace_id: int | None = None) -> list[Sprint]:
    """Every active sprint (of one workspace, or all): one statement."""
    query = select(Sprint).where(Sprint.status == Status.ACTIVE).order_by(Sprint.workspace_id, Sprint.number)
    if workspace_id is not None:
        query = query.where(Sprint.workspace_id == workspace_id)
    return list(session.scalars(query))
