"""What sprint pages, App Home and the jobs read about sprints: the stored rows with the domain's
rules applied (a sprint's reference, whether its goal is aligned).

storage/repositories/sprints.py only queries; this is where its rows meet bot/domain.
Each function runs a fixed number of statements whatever the data size.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from bot.domain.alignment import is_aligned
from bot.domain.references import RefKind, format_ref
from storage.models import Sprint
from storage.repositories import sprints as repo
from storage.repositories.sprints import LinkedKeyResult


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


def current_sprint(session: Session, workspace_id: int, channel_id: str) -> SprintDetail | None:
    """The channel's active sprint with the key results it serves and their objectives: 2 statements."""
    sprint = repo.active_sprint(session, workspace_id, channel_id)
    return None if sprint is None else sprint_detail(session, sprint)


def sprint_detail(session: Session, sprint: Sprint) -> SprintDetail:
    return SprintDetail(sprint, repo.links_of(session, [sprint.id]).get(sprint.id, []))


def active_sprints(session: Session, workspace_id: int | None = None) -> list[SprintDetail]:
    """Every active sprint (of one workspace, or all) with what it serves: 2 statements (for jobs)."""
    sprints = repo.active_sprints(session, workspace_id)
    links = repo.links_of(session, [s.id for s in sprints])
    return [SprintDetail(sprint, links.get(sprint.id, [])) for sprint in sprints]


def current_sprints_for_user(
    session: Session, workspace_id: int, user_id: str, today: date, limit: int = 20
) -> list[SprintSummary]:
    """Active sprints of "your teams" (the repository says whose), soonest end first: 2 statements.
    `today` is the person's local date."""
    return _summaries(session, repo.sprints_of_users_teams(session, workspace_id, user_id, limit), today)


def current_sprints_in_channels(
    session: Session, workspace_id: int, channel_ids: Collection[str], today: date, limit: int = 20
) -> list[SprintSummary]:
    """The active sprint of each of `channel_ids` (e.g. a person's teams' channels): 2 statements."""
    return _summaries(
        session, repo.active_sprints_in_channels(session, workspace_id, channel_ids, limit), today
    )


def _summaries(session: Session, sprints: list[Sprint], today: date) -> list[SprintSummary]:
    links = repo.links_of(session, [s.id for s in sprints])
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
