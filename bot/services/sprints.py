"""What people do with sprints: plan one, set its goal, link it to key results, look at it, end it.

Who may do what (checked here, on every command and again on every modal submission):

- **Start** a sprint: anyone who runs `/sprint start` in the channel (running a slash command in a
  channel is what Slack lets channel members do). One active sprint per channel, guarded twice: a
  friendly check before the modal opens, and the database's partial unique index on insert.
- **Change** a sprint (goal, link, unlink, end): its creator, the owner of any key result it
  currently serves, or a workspace admin. Owning the key result you are about to link does not
  count: otherwise anyone owning a key result could take over any team's sprint by linking it.
- **Look** at a sprint (`show`): anyone in the workspace.

Ending is race-safe: a conditional `UPDATE … WHERE status = 'active'` decides who ended it; the
loser is told it is closed and nothing of theirs is recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.channels import is_team_channel
from bot.domain.clock import stored_now, utc_now
from bot.domain.cycles import cycle_for, parse_cycle
from bot.domain.days import plain_day
from bot.domain.limits import SPRINT_KEY_RESULTS_MAX as MAX_KEY_RESULTS
from bot.domain.progress import (
    PaceStatus,
    expected_progress,
    pace_status,
)
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.domain.schedule_time import WorkCalendar, local_date
from bot.domain.slack_text import user_text
from bot.errors import Conflict, Forbidden, Invalid, NotFound, Usage
from bot.forms.sprint import ReviewForm, SprintForm, SprintMetadata, check_goal
from bot.ids import Block
from bot.services import sprint_views as views
from bot.services.assessment import progress_at
from bot.services.members import local_today, reader_zone, require_owner_or_admin
from bot.services.sprint_views import SprintDetail
from bot.services.workspaces import next_number
from storage.models import (
    KeyResult,
    Objective,
    ScheduleKind,
    Sprint,
    SprintKeyResult,
    Status,
    Workspace,
)
from storage.repositories import schedules as schedule_repo
from storage.repositories import sprints as repo

log = logging.getLogger(__name__)

DEFAULT_DAYS = 14
MAX_CHOICES = 100  # a static select holds at most 100 options
NOT_IN_A_CHANNEL = "Sprints live in a team channel; run /sprint in one."
NO_SPRINT = "There is no active sprint in this channel. Start one with `/sprint start`."
NOT_AN_EDITOR = (
    "Only the sprint's creator, the owner of a key result it serves, or a workspace admin can do that."
)

_PACE_ORDER = {PaceStatus.OFF_TRACK: 0, PaceStatus.AT_RISK: 1}


@dataclass(frozen=True)
class Standing:
    """Where a key result stands today: progress (None before the first check-in) and pace."""

    key_result: KeyResult
    objective: Objective
    progress: float | None
    pace: PaceStatus
    in_channel: bool = False

    @property
    def ref(self) -> str:
        return format_ref(RefKind.KR, self.key_result.number)

    @property
    def behind(self) -> bool:
        return self.pace in (PaceStatus.OFF_TRACK, PaceStatus.AT_RISK)


@dataclass(frozen=True)
class Plan:
    """What the Plan sprint modal is prefilled with."""

    channel_id: str
    name: str
    starts_on: date
    ends_on: date
    candidates: list[Standing]


@dataclass(frozen=True)
class Ended:
    detail: SprintDetail
    standings: list[Standing]


# --- where things stand ---------------------------------------------------------------------------


def standing(
    key_result: KeyResult,
    objective: Objective,
    workspace: Workspace,
    now: datetime,
    channel_id: str | None = None,
) -> Standing:
    progress = progress_at(key_result, key_result.current_value)
    try:
        cycle = parse_cycle(objective.cycle, workspace.fiscal_year_start_month or 1)
    except ValueError:
        cycle = cycle_for(now, workspace.fiscal_year_start_month or 1)
    expected = expected_progress(now, cycle.start_at, cycle.end_at)
    pace = PaceStatus.NO_CHECKIN if key_result.last_checkin_at is None else pace_status(progress, expected)
    return Standing(
        key_result,
        objective,
        progress,
        pace,
        in_channel=bool(channel_id) and objective.channel_id == channel_id,
    )


def standings_of(detail: SprintDetail, workspace: Workspace, now: datetime | None = None) -> list[Standing]:
    now = now or stored_now()
    return [
        standing(link.key_result, link.objective, workspace, now, detail.sprint.channel_id)
        for link in detail.links
    ]


def candidate_key_results(
    session: Session,
    workspace: Workspace,
    channel_id: str | None,
    now: datetime | None = None,
    limit: int = MAX_CHOICES,
) -> list[Standing]:
    """Key results a channel's sprint could serve: its objectives' and the workspace's active ones,
    behind pace first (off track, at risk, then the others), at most `limit`. The channel's own are
    kept first when there are more than `limit`. Also the "suggestions" of the planning prompt."""
    now = now or stored_now()
    rows = repo.active_key_results_for(session, workspace.id, channel_id)
    chosen = [standing(kr, objective, workspace, now, channel_id) for kr, objective in rows][:limit]
    return sorted(chosen, key=lambda s: (_PACE_ORDER.get(s.pace, 2), not s.in_channel, s.key_result.number))


# --- guards ---------------------------------------------------------------------------------------


def require_team_channel(channel_id: str | None, channel_name: str | None = None) -> str:
    if not is_team_channel(channel_id, channel_name):
        raise Invalid(NOT_IN_A_CHANNEL)
    return channel_id


def require_editor(session: Session, workspace: Workspace, actor_id: str, detail: SprintDetail) -> None:
    try:
        require_owner_or_admin(session, workspace, actor_id, *detail.editor_ids)
    except Forbidden:
        raise Forbidden(NOT_AN_EDITOR) from None


def find_current(session: Session, workspace: Workspace, channel_id: str) -> SprintDetail:
    detail = views.current_sprint(session, workspace.id, channel_id)
    if detail is None:
        raise NotFound(NO_SPRINT)
    return detail


def _already_running(detail: SprintDetail) -> str:
    return (
        f"This channel already has an active sprint: `{detail.ref}` {user_text(detail.sprint.name, 150)}. "
        "One sprint at a time: end it with `/sprint end` first, or see it with `/sprint show`."
    )


# --- use cases ------------------------------------------------------------------------------------


def plan(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    channel_id: str,
    now: datetime | None = None,
) -> Plan:
    """The Plan sprint modal's defaults, or a Conflict when the channel already has a sprint."""
    now = now or stored_now()
    require_team_channel(channel_id)
    running = views.current_sprint(session, workspace.id, channel_id)
    if running is not None:
        raise Conflict(_already_running(running))
    starts_on = local_today(session, workspace, actor_id, now)
    return Plan(
        channel_id=channel_id,
        name=f"Sprint {repo.sprint_count_in_channel(session, workspace.id, channel_id) + 1}",
        starts_on=starts_on,
        ends_on=default_end(session, workspace, channel_id, starts_on),
        candidates=candidate_key_results(session, workspace, channel_id, now),
    )


def default_end(session: Session, workspace: Workspace, channel_id: str, starts_on: date) -> date:
    """The last work day before the cadence's next start: the channel's cadence length (two weeks
    when it has none) from `starts_on`, on the workspace's calendar."""
    cadence = schedule_repo.schedule(session, workspace.id, ScheduleKind.SPRINT, channel_id)
    weeks = max(1, min(4, (cadence.length_weeks if cadence is not None else None) or DEFAULT_DAYS // 7))
    calendar = WorkCalendar.of_workspace(workspace)
    return calendar.last_working_day(starts_on, starts_on + timedelta(weeks=weeks, days=-1))


def start_sprint(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    channel_id: str,
    form: SprintForm,
    now: datetime | None = None,
) -> SprintDetail:
    require_team_channel(channel_id)
    serves = _resolve_key_results(session, workspace, form.key_result_numbers)
    sprint = Sprint(
        workspace_id=workspace.id,
        number=next_number(session, workspace.id, RefKind.SPR),
        channel_id=channel_id,
        name=form.name,
        goal=form.goal,
        starts_on=form.starts_on,
        ends_on=form.ends_on,
        status=Status.ACTIVE,
        created_by=actor_id,
        created_at=now or stored_now(),
    )
    try:
        with session.begin_nested():
            session.add(sprint)
    except IntegrityError:
        # The partial unique index "one active sprint per channel" (also when two people submit at once).
        running = views.current_sprint(session, workspace.id, channel_id)
        raise Conflict(
            _already_running(running) if running else "This channel already has an active sprint."
        ) from None
    for key_result, _objective in serves:
        session.add(
            SprintKeyResult(sprint_id=sprint.id, key_result_id=key_result.id, workspace_id=workspace.id)
        )
    session.flush()
    return views.sprint_detail(session, sprint)


def _resolve_key_results(
    session: Session, workspace: Workspace, numbers: list[int]
) -> list[tuple[KeyResult, Objective]]:
    found = repo.key_results_by_numbers(session, workspace.id, numbers)
    for number in numbers:
        pair = found.get(number)
        ref = format_ref(RefKind.KR, number)
        if pair is None:
            raise Invalid(
                f"{ref} was not found.",
                fields={Block.SPRINT_KEY_RESULTS: f"{ref} was not found; pick another."},
            )
        if pair[0].status != Status.ACTIVE or pair[1].status != Status.ACTIVE:
            message = f"{ref} is no longer active; pick an active key result."
            raise Invalid(message, fields={Block.SPRINT_KEY_RESULTS: message})
    return [found[n] for n in numbers]


def set_goal(
    session: Session, workspace: Workspace, actor_id: str, channel_id: str, goal: str
) -> SprintDetail:
    goal = check_goal(goal)
    if not goal:
        raise Usage("Say the goal, like `/sprint goal Ship the new onboarding to 10% of sign-ups`.")
    detail = find_current(session, workspace, channel_id)
    require_editor(session, workspace, actor_id, detail)
    detail.sprint.goal = goal
    session.flush()
    return detail


def _key_result(
    session: Session, workspace: Workspace, reference: str, verb: str
) -> tuple[KeyResult, Objective]:
    parts = (reference or "").split()
    if len(parts) != 1:
        raise Usage(f"Name one key result, like `/sprint {verb} KR-12`.")
    try:
        number = parse_ref(parts[0], RefKind.KR)
    except ValueError as error:
        raise Usage(f"{error}. Try `/sprint {verb} KR-12`.") from None
    pair = repo.key_results_by_numbers(session, workspace.id, [number]).get(number)
    if pair is None:
        raise NotFound(f"{format_ref(RefKind.KR, number)} was not found in this workspace.")
    return pair


def link(
    session: Session, workspace: Workspace, actor_id: str, channel_id: str, reference: str
) -> tuple[SprintDetail, KeyResult]:
    detail = find_current(session, workspace, channel_id)
    require_editor(session, workspace, actor_id, detail)
    key_result, objective = _key_result(session, workspace, reference, "link")
    ref = format_ref(RefKind.KR, key_result.number)
    if key_result.status != Status.ACTIVE:
        raise Invalid(f"{ref} is {key_result.status.value}; a sprint can only serve an active key result.")
    if objective.status != Status.ACTIVE:
        objective_ref = format_ref(RefKind.OBJ, objective.number)
        raise Invalid(
            f"{ref} belongs to {objective_ref}, which is {objective.status.value}; a sprint can only serve an active key result."
        )
    if any(existing.key_result.id == key_result.id for existing in detail.links):
        raise Invalid(f"`{detail.ref}` already serves {ref}.")
    if len(detail.links) >= MAX_KEY_RESULTS:
        raise Invalid(
            f"`{detail.ref}` already serves {MAX_KEY_RESULTS} key results; unlink one first (`/sprint unlink KR-n`)."
        )
    session.add(
        SprintKeyResult(sprint_id=detail.sprint.id, key_result_id=key_result.id, workspace_id=workspace.id)
    )
    session.flush()
    return views.sprint_detail(session, detail.sprint), key_result


def unlink(
    session: Session, workspace: Workspace, actor_id: str, channel_id: str, reference: str
) -> tuple[SprintDetail, KeyResult]:
    detail = find_current(session, workspace, channel_id)
    require_editor(session, workspace, actor_id, detail)
    key_result, _objective = _key_result(session, workspace, reference, "unlink")
    link_row = session.get(SprintKeyResult, (detail.sprint.id, key_result.id))
    if link_row is None:
        raise Invalid(
            f"`{detail.ref}` does not serve {format_ref(RefKind.KR, key_result.number)}; `/sprint show` lists what it serves."
        )
    session.delete(link_row)
    session.flush()
    return views.sprint_detail(session, detail.sprint), key_result


def prepare_review(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    channel_id: str,
    sprint_id: int | None = None,
) -> SprintDetail:
    """The sprint `/sprint end` (or a Review button) is about to review, if the person may end it."""
    if sprint_id is None:
        detail = find_current(session, workspace, channel_id)
    else:
        sprint = repo.sprint_by_id(session, workspace.id, sprint_id)
        if sprint is None or sprint.channel_id != channel_id:
            raise NotFound("That sprint was not found in this workspace.")
        if sprint.status != Status.ACTIVE:
            raise Conflict(_closed(session, workspace, sprint, actor_id))
        detail = views.sprint_detail(session, sprint)
    require_editor(session, workspace, actor_id, detail)
    return detail


def _closed(session: Session, workspace: Workspace, sprint: Sprint, reader_id: str) -> str:
    """Told to `reader_id`: the day it ended is theirs (their stored zone, else the workspace's)."""
    ref = format_ref(RefKind.SPR, sprint.number)
    by = f" by <@{sprint.ended_by}>" if sprint.ended_by else ""
    when = ""
    if sprint.ended_at:
        day = local_date(sprint.ended_at, reader_zone(session, workspace, reader_id))
        when = f" on {plain_day(day)}"
    return f"`{ref}` is already closed (ended{by}{when}); its review is recorded. Nothing was changed."


def end_sprint(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    metadata: SprintMetadata,
    form: ReviewForm,
    now: datetime | None = None,
) -> Ended:
    """Close the sprint with its review; record each served key result's progress at that moment."""
    now = now or stored_now()
    sprint = repo.sprint_by_id(session, workspace.id, metadata.sprint_id) if metadata.sprint_id else None
    if sprint is None or sprint.channel_id != metadata.channel_id:
        raise NotFound("That sprint was not found in this workspace; run `/sprint show` in its channel.")
    if sprint.status != Status.ACTIVE:
        raise Conflict(_closed(session, workspace, sprint, actor_id))
    detail = views.sprint_detail(session, sprint)
    require_editor(session, workspace, actor_id, detail)
    # Whoever's UPDATE matches the still-active row ended it; anyone else finds it closed.
    result = session.execute(
        update(Sprint)
        .where(Sprint.id == sprint.id, Sprint.status == Status.ACTIVE)
        .values(
            status=Status.CLOSED, outcome=form.outcome, review_note=form.note, ended_by=actor_id, ended_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(sprint)
        raise Conflict(_closed(session, workspace, sprint, actor_id))
    standings = standings_of(detail, workspace, now)
    if standings:
        session.execute(
            update(SprintKeyResult),
            [
                {"sprint_id": sprint.id, "key_result_id": s.key_result.id, "progress_at_end": s.progress}
                for s in standings
            ],
        )
    session.refresh(sprint)
    for link_, s in zip(detail.links, standings, strict=True):
        link_.progress_at_end = s.progress
    return Ended(detail, standings)


# --- a sprint with its key results' standings: one use case each ---------------------------------


@dataclass(frozen=True)
class SprintPage:
    """A sprint, where each key result it serves stands now, and the reader's own date (what the
    page counts days from)."""

    detail: SprintDetail
    standings: list[Standing]
    today: date


def _page(session: Session, workspace: Workspace, detail: SprintDetail, reader_id: str) -> SprintPage:
    today = local_date(utc_now(), reader_zone(session, workspace, reader_id))
    return SprintPage(detail, standings_of(detail, workspace), today)


def current_page(session: Session, workspace: Workspace, reader_id: str, channel_id: str) -> SprintPage:
    """`/sprint show`: the channel's current sprint (NotFound when none)."""
    return _page(session, workspace, find_current(session, workspace, channel_id), reader_id)


def review_page(
    session: Session, workspace: Workspace, actor_id: str, channel_id: str, sprint_id: int | None = None
) -> SprintPage:
    """The review form of the sprint `/sprint end` (or a *Review sprint* button) ends."""
    detail = prepare_review(session, workspace, actor_id, channel_id, sprint_id)
    return _page(session, workspace, detail, actor_id)


def start(
    session: Session, workspace: Workspace, actor_id: str, channel_id: str, form: SprintForm
) -> SprintPage:
    """The *Start sprint* form's submission: the sprint started, as its announcement shows it."""
    return _page(session, workspace, start_sprint(session, workspace, actor_id, channel_id, form), actor_id)
