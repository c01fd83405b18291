"""What `/okr`'s answers and forms read, one use case each: a list page, an objective's card, the
close form and the check-in forms opened from a row. Each runs in the caller's unit of work, checks
the reader's rights, and returns a plain result that the listener renders after the commit.

They gather what bot/services/okrs.py, assessment.py, follows.py and checkins.py each decide, so
that a listener calls one function of one service per action.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.channels import is_team_channel_id
from bot.domain.cycles import parse_cycle
from bot.domain.references import RefKind, format_ref
from bot.errors import Invalid, Usage
from bot.services import assessment, checkins, follows, members, okrs
from bot.services.assessment import ObjectiveStatus
from bot.services.checkins import CheckInForm
from bot.services.okrs import ModalChoices, ObjectiveDetail, ObjectiveList
from storage.models import KeyResult, Objective, Status, Workspace


@dataclass(frozen=True)
class ObjectivePage:
    """One `/okr list` page: the cycle listed, its objectives and what the reader may do with each."""

    cycle: str
    objectives: ObjectiveList
    rights: dict[int, tuple[bool, bool]]  # objective id → (may check in, may change)
    channel_id: str | None = None  # the channel listed (also when the command's channel was chosen)
    user_id: str | None = None  # the person listed


def objective_page(
    session: Session,
    workspace: Workspace,
    reader_id: str,
    *,
    cycle_text: str = "",
    user_id: str | None = None,
    channel_id: str | None = None,
    channel_or_reader: str | None = None,
    limit: int = 40,
) -> ObjectivePage:
    """A page of objectives: of `user_id`, of `channel_id`, of the whole workspace (neither), or,
    given `channel_or_reader`, of that channel when it has objectives and else the reader's own.
    The cycle is `cycle_text`'s (this cycle by default; Usage when it is none)."""
    cycle = assessment.current_cycle(workspace).name
    if cycle_text:
        try:
            cycle = parse_cycle(cycle_text, workspace.fiscal_year_start_month).name
        except ValueError as error:
            raise Usage(
                f"{error}. `/okr list` takes `mine`, `@person`, `#channel` or `all`, then a cycle."
            ) from None
    if channel_or_reader is not None:
        here = channel_or_reader
        if is_team_channel_id(here) and okrs.channel_has_objectives(session, workspace, here):
            channel_id = here
        else:
            user_id = reader_id
    listed = okrs.list_objectives(
        session, workspace, user_id=user_id, channel_id=channel_id, cycle=cycle, limit=limit
    )
    rights = okrs.list_rights(session, workspace, reader_id, listed.statuses)
    return ObjectivePage(cycle, listed, rights, channel_id, user_id)


@dataclass(frozen=True)
class ObjectiveCard:
    """One objective as `/okr show` prints it, and what the reader may do with it."""

    detail: ObjectiveDetail
    following: bool
    may_change: bool
    check_in: set[int]  # ids of the key results the reader may check in on
    tz: ZoneInfo  # the zone the reader reads dates in


def objective_card(session: Session, workspace: Workspace, reader_id: str, reference: str) -> ObjectiveCard:
    objective = okrs.find_objective(session, workspace, reference)
    detail = okrs.objective_detail(session, workspace, objective)
    key_results = [s.key_result for s in detail.status.key_results]
    return ObjectiveCard(
        detail,
        following=follows.is_following(session, workspace, reader_id, objective),
        may_change=okrs.may_change(session, workspace, reader_id, objective),
        check_in=okrs.may_check_in(session, workspace, reader_id, objective, key_results),
        tz=members.reader_zone(session, workspace, reader_id),
    )


@dataclass(frozen=True)
class CloseForm:
    """The close form of one active objective: its key results assessed, a score proposed for each."""

    status: ObjectiveStatus
    proposed: dict[int, float]  # key result id → the score proposed

    @property
    def number(self) -> int:
        return self.status.objective.number


def close_form(session: Session, workspace: Workspace, actor_id: str, reference: str) -> CloseForm:
    """For those with rights to the objective; Invalid when it is closed or archived already."""
    objective, key_results = okrs.objective_to_change(session, workspace, actor_id, reference)
    if not okrs.is_active(objective):
        ref = format_ref(RefKind.OBJ, objective.number)
        raise Invalid(f"{ref} is already {objective.status.value}.")
    status = assessment.assess(objective, key_results, workspace)
    proposed = {s.key_result.id: assessment.proposed_score(s) for s in status.key_results}
    return CloseForm(status, proposed)


@dataclass(frozen=True)
class EditForm:
    """The edit form of one active objective: it, its active key results and the form's choices."""

    objective: Objective
    key_results: list[KeyResult]
    choices: ModalChoices


def edit_form(session: Session, workspace: Workspace, actor_id: str, reference: str) -> EditForm:
    """For those with rights to the objective; Invalid when it is closed or archived."""
    objective, key_results = okrs.objective_to_change(session, workspace, actor_id, reference)
    if not okrs.is_active(objective):
        ref = format_ref(RefKind.OBJ, objective.number)
        raise Invalid(f"{ref} is {objective.status.value}; its history stays as it was.")
    choices = okrs.modal_choices(session, workspace, actor_id, objective=objective)
    return EditForm(objective, key_results, choices)


@dataclass(frozen=True)
class SharedCard:
    """The card *Share to channel* posts, with dates in the sharer's zone."""

    detail: ObjectiveDetail
    tz: ZoneInfo

    @property
    def ref(self) -> str:
        return format_ref(RefKind.OBJ, self.detail.status.objective.number)


def shared_card(session: Session, workspace: Workspace, actor_id: str, reference: str) -> SharedCard:
    """For those who may change the objective, while it is not archived."""
    objective, _ = okrs.objective_to_change(session, workspace, actor_id, reference)
    if objective.status == Status.ARCHIVED:
        ref = format_ref(RefKind.OBJ, objective.number)
        raise Invalid(f"{ref} is archived; it is no longer shared.")
    detail = okrs.objective_detail(session, workspace, objective)
    return SharedCard(detail, members.reader_zone(session, workspace, actor_id))


def key_result_checkin(session: Session, workspace: Workspace, actor_id: str, reference: str) -> CheckInForm:
    """The check-in form of one key result (its row's *Check in*, or App Home's), checked again as
    `/okr checkin KR-n` would: active, and the actor's to check in on."""
    kr, objective, last = okrs.key_result_to_check_in(session, workspace, actor_id, reference)
    data = checkins.CheckInModal([(kr, objective)], {kr.id: last} if last else {}, 1)
    return CheckInForm(data, members.reader_zone(session, workspace, actor_id))


def objective_checkin(session: Session, workspace: Workspace, actor_id: str, reference: str) -> CheckInForm:
    """The check-in form of the key results of one objective that the actor may check in on."""
    items, last = okrs.objective_to_check_in(session, workspace, actor_id, reference)
    data = checkins.CheckInModal(items, last, len(items))
    return CheckInForm(data, members.reader_zone(session, workspace, actor_id))


__all__ = [
    "CheckInForm",
    "CloseForm",
    "EditForm",
    "ObjectiveCard",
    "ObjectivePage",
    "SharedCard",
    "close_form",
    "edit_form",
    "key_result_checkin",
    "objective_card",
    "objective_checkin",
    "objective_page",
    "shared_card",
]
