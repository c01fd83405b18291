"""The queries sprint pages, Home, `/okr show`, the digest and the scheduler need.

Each function runs a fixed number of statements whatever the data size (never one per row).
"Active" key result here means: the key result and its objective are both active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.alignment import is_aligned
from bot.domain.references import RefKind, format_ref
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


@dataclass
class SprintDetail:
    sprint: Sprint
    links: list[LinkedKeyResult] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return format_ref(RefKind.SPR, self.sprint.number)

    @property
    def active_key_result_ids(self) -> set[int]:
        return {link.key_result.id for link in self.links if link.active}

    @property
    def aligned(self) -> bool:
        return is_aligned(self.active_key_result_ids)

    @property
    def editor_ids(self) -> list[str]:
        """Who may change it besides workspace admins: its creator and the owners of what it serves."""
        return list(
            dict.fromkeys([self.sprint.created_by, *(link.key_result.owner_id for link in self.links)])
        )


@dataclass(frozen=True)
class SprintSummary:
    """One line of "your teams' sprint goals" (App Home)."""

    sprint_id: int
    channel_id: str
    ref: str  # "SPR-4"
    name: str
    goal: str
    aligned: bool
    days_left: int  # until ends_on, in the caller's `today`; 0 on the last day, negative when overdue
    ends_on: date
    key_results: tuple[str, ...] = ()  # the active key results it serves: ("KR-3", "KR-7")

    @property
    def reference(self) -> str:  # the name App Home reads
        return self.ref


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


def current_sprint(session: Session, workspace_id: int, channel_id: str) -> SprintDetail | None:
    """The channel's active sprint with the key results it serves and their objectives: 2 statements."""
    sprint = active_sprint(session, workspace_id, channel_id)
    if sprint is None:
        return None
    return SprintDetail(sprint, links_of(session, [sprint.id]).get(sprint.id, []))


def sprint_detail(session: Session, sprint: Sprint) -> SprintDetail:
    return SprintDetail(sprint, links_of(session, [sprint.id]).get(sprint.id, []))


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


def current_sprints_for_user(
    session: Session, workspace_id: int, user_id: str, today: date | None = None, limit: int = 20
) -> list[SprintSummary]:
    """Active sprints of "your teams", soonest end first: 2 statements.

    A sprint counts as one of your teams' when you created it, when it runs in a channel where you
    own an active objective or an active key result (of an objective in that channel), or when it
    serves a key result you own. `today` should be the person's local date (default: UTC today).
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
    return _summaries(session, sprints, today)


def current_sprints_in_channels(
    session: Session,
    workspace_id: int,
    channel_ids: Collection[str],
    today: date | None = None,
    limit: int = 20,
) -> list[SprintSummary]:
    """The active sprint of each of `channel_ids` (e.g. a person's teams' channels): 2 statements."""
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
    return _summaries(session, sprints, today)


def _summaries(session: Session, sprints: list[Sprint], today: date | None) -> list[SprintSummary]:
    today = today or datetime.now(UTC).date()
    links = links_of(session, [s.id for s in sprints])
    summaries = []
    for sprint in sprints:
        served = [link.key_result for link in links.get(sprint.id, []) if link.active]
        summaries.append(
            SprintSummary(
                sprint_id=sprint.id,
                channel_id=sprint.channel_id,
                ref=format_ref(RefKind.SPR, sprint.number),
                name=sprint.name,
                goal=sprint.goal,
                aligned=is_aligned({kr.id for kr in served}),
                days_left=(sprint.ends_on - today).days,
                ends_on=sprint.ends_on,
                key_results=tuple(format_ref(RefKind.KR, kr.number) for kr in served),
            )
        )
    return summaries


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


def active_sprints(session: Session, workspace_id: int | None = None) -> list[SprintDetail]:
    """Every active sprint (of one workspace, or all) with what it serves: 2 statements (for jobs)."""
    query = select(Sprint).where(Sprint.status == Status.ACTIVE).order_by(Sprint.workspace_id, Sprint.number)
    if workspace_id is not None:
        query = query.where(Sprint.workspace_id == workspace_id)
    sprints = list(session.scalars(query))
    links = links_of(session, [s.id for s in sprints])
    return [SprintDetail(sprint, links.get(sprint.id, [])) for sprint in sprints]
