"""Workflow Builder steps (manifest.yml `functions`): the slash commands' use cases, given a step's
inputs instead of typed text.

The rules are the commands' own (checkins.record, kras.log_measurement, assessment.assess); what changes
is the wording of a refusal: the person who reads it built or ran a workflow, and never typed a
command, so it names the step's input at fault rather than a command's syntax.

Who a step acts as (docs/commands.md, "Workflow Builder"):
- someone ran the workflow (the step's interactivity input names them): as that person, with that
  person's rights, exactly as if they had typed the command;
- nobody did (a scheduled or event-started workflow): refused, unless a workspace admin switched
  on unattended workflow steps in `/okr settings`. Then the step may record only on key results and
  KPIs the named person owns, never with anyone's admin rights (theirs included), and the value is
  stored with origin BY_WORKFLOW, so every surface shows it as made by workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.days import plain_day
from bot.domain.enums import BY_WORKFLOW
from bot.domain.limits import NOTE_MAX
from bot.domain.numbers import parse_number, typed_unit
from bot.domain.progress import Confidence
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import local_date
from bot.domain.slack_text import plain_user_text
from bot.errors import Conflict, Forbidden, Invalid, NotFound, Usage
from bot.forms.okr import CheckInEntry
from bot.services import assessment, checkins, kras, okrs
from bot.services.members import reader_zone, require_owner_or_admin
from storage.models import KeyResult, KeyResultKind, Kpi, Kra, Objective, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import members as members_repo
from storage.repositories import okrs as okr_repo


@dataclass
class StepCheckIn:
    recorded: checkins.Recorded
    status: assessment.KeyResultStatus


def _reference(kind: RefKind, text: str, lookup):
    """The thing `text` names, or a refusal that says which input to fix."""
    name, article, example, listed = _KINDS[kind]
    try:
        return lookup()
    except Usage:
        # Quoted as text: a link or a mention typed into the input reads as typed, never live.
        shown = plain_user_text((text or "").strip(), 40) or "(empty)"
        raise Invalid(
            f"“{shown}” is not {article} {name} reference. Put its {kind.value}-n, such as {example}, in "
            f"the step's {name} field (`{listed}` shows them)."
        ) from None
    except NotFound as error:
        raise NotFound(f"{error.message} Check the step's {name} field.") from None


_KINDS = {  # name, article, example, the command that lists them
    RefKind.KR: ("key result", "a", "KR-5", "/okr list"),
    RefKind.KPI: ("KPI", "a", "KPI-7", "/kra list"),
    RefKind.OBJ: ("objective", "an", "OBJ-3", "/okr list"),
}


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"The note is {len(note):,} characters; keep it under {NOTE_MAX:,}.")
    return note


UNATTENDED_OFF = (
    "Nobody ran this workflow (it was started by a schedule or an event), and this workspace doesn't "
    "let workflow steps act for someone who isn't there, so nothing was recorded. Start it from a link "
    "or a button and give the step “Who started the workflow”, or ask a workspace admin to switch on "
    "“Unattended workflow steps” in /okr settings."
)


@dataclass(frozen=True)
class Unattended:
    """How a step with nobody present may record: for `author_id`, on what they own, as BY_WORKFLOW."""

    author_id: str

    def check(self, session: Session, workspace: Workspace, ref: str, owner_id: str, what: str) -> None:
        if not workspace.unattended_steps_allowed:
            raise Forbidden(UNATTENDED_OFF)
        person = members_repo.members(session, workspace.id, [self.author_id]).get(self.author_id)
        if person is not None and person.is_deleted:
            raise Forbidden(
                f"<@{self.author_id}>'s Slack account is deactivated; an unattended workflow can't "
                "record in their name. Nothing was recorded."
            )
        if owner_id != self.author_id:
            raise Forbidden(
                f"Nobody ran this workflow, so it may only {what} <@{self.author_id}>'s own key results and "
                f"KPIs, and {ref} belongs to <@{owner_id}>. Nothing was recorded: choose {ref}'s owner as the "
                "step's person, or let someone run the workflow."
            )


def _starter_may(
    session: Session,
    workspace: Workspace,
    starter_id: str | None,
    author_id: str,
    *owners: str,
) -> None:
    """Whoever started the workflow may speak for `author_id` only if they hold the same right:
    otherwise any workflow could check in in anyone's name."""
    if starter_id and starter_id != author_id:
        require_owner_or_admin(session, workspace, starter_id, *owners)


def check_in(
    session: Session,
    workspace: Workspace,
    *,
    author_id: str,
    starter_id: str | None,
    reference: str,
    value_text: str,
    confidence_text: str | None,
    note: str | None,
    execution_id: str,
    now: datetime | None = None,
) -> StepCheckIn:
    """`/okr checkin KR-n VALUE [confidence] [note]` from a workflow: the same permission rules,
    one check-in per run of the step (a redelivered event records nothing more)."""
    now = now or stored_now()
    kr, objective = _reference(
        RefKind.KR, reference, lambda: okrs.find_key_result(session, workspace, reference)
    )
    ref = format_ref(RefKind.KR, kr.number)
    # Nobody present: refused before anything else, since no input the builder fixes would help.
    unattended = Unattended(author_id) if starter_id is None else None
    if unattended is not None:
        unattended.check(session, workspace, ref, kr.owner_id, "check in on")
    try:
        value = checkins.parse_value(value_text, kr)
    except ValueError as error:
        kind = (
            "1 (done) or 0 (not done)"
            if kr.kind == KeyResultKind.MILESTONE
            else "a number such as 42 or 12.5%"
        )
        raise Invalid(f"The step's value for {ref} must be {kind}: {error}.") from None
    confidence = None
    if (confidence_text or "").strip():
        try:
            confidence = Confidence.parse(confidence_text)
        except ValueError:
            raise Invalid(
                "The step's confidence must be on-track, at-risk or off-track (or left empty)."
            ) from None
    elif kr.last_confidence:
        confidence = Confidence(kr.last_confidence)  # said nothing: it stands, as in /okr checkin
    entry = CheckInEntry(key_result_id=kr.id, value=value, confidence=confidence, note=_note(note))
    try:
        _starter_may(session, workspace, starter_id, author_id, kr.owner_id, objective.owner_id)
        unit = typed_unit(value_text)
        if unit and not kr.unit and kr.kind != KeyResultKind.MILESTONE:
            kr.unit = unit
        recorded = checkins.record(
            session,
            workspace,
            author_id,
            [entry],
            now=now,
            field_errors=False,
            dedupe_prefix=f"fn:{execution_id}",
            # Unattended: ownership was checked above, and nobody's admin rights may stand in.
            authorized=unattended is not None,
            origin=BY_WORKFLOW if unattended is not None else None,
        )
    except Forbidden:
        raise Forbidden(
            f"Only the owner of {ref}, the owner of its objective or a workspace admin can check in on it; "
            "choose one of them as the step's person, or let them run the workflow."
        ) from None
    if not recorded:
        raise Conflict(f"This run's check-in of {ref} was already recorded; it counts once.")
    expected = assessment.expected_for(assessment.cycle_of(objective, workspace), now)
    return StepCheckIn(recorded[0], assessment.key_result_status(kr, expected))


def log_kpi(
    session: Session,
    workspace: Workspace,
    *,
    author_id: str,
    starter_id: str | None,
    reference: str,
    value_text: str,
    note: str | None,
    execution_id: str,
    now: datetime | None = None,
) -> tuple[Kpi, Kra]:
    """`/kra kpi KPI-n VALUE [note]` from a workflow, logged once per run of the step."""
    kpi, kra = _reference(RefKind.KPI, reference, lambda: kras.find_kpi(session, workspace, reference))
    ref = format_ref(RefKind.KPI, kpi.number)
    unattended = Unattended(author_id) if starter_id is None else None
    if unattended is not None:
        unattended.check(session, workspace, ref, kra.owner_id, "log measurements of")
    try:
        value = parse_number(value_text)
    except ValueError as error:
        raise Invalid(f"The step's value for {ref} must be a number such as 42 or 12.5%: {error}.") from None
    try:
        _starter_may(session, workspace, starter_id, author_id, kra.owner_id)
        return kras.log_measurement(
            session,
            workspace,
            author_id,
            reference,
            value,
            _note(note),
            at=now or stored_now(),
            dedupe_key=f"fn:{execution_id}",
            authorized=unattended is not None,
            origin=BY_WORKFLOW if unattended is not None else None,
        )
    except Forbidden:
        raise Forbidden(
            f"Only the owner of {format_ref(RefKind.KRA, kra.number)} (which {ref} measures) or a workspace admin "
            "can log it; choose one of them as the step's person, or let them run the workflow."
        ) from None


def objective_status(
    session: Session, workspace: Workspace, reference: str, *, now: datetime | None = None
) -> assessment.ObjectiveStatus:
    """What `/okr show` says of progress and pace: assessment.assess at `now`."""
    objective: Objective = _reference(
        RefKind.OBJ, reference, lambda: okrs.find_objective(session, workspace, reference)
    )
    key_results = okr_repo.key_results_of(session, [objective.id]).get(objective.id, [])
    return assessment.assess(objective, key_results, workspace, now)


@dataclass
class CheckInAsk:
    key_results: list[KeyResult]  # active, of active objectives, each with .objective loaded
    week_start: date
    tz: ZoneInfo
    # Why the person must not be asked now, or None: the step's output, plain text by nature, so a
    # day in it is written out (bot/domain/days.py) rather than as Slack's date token.
    unreachable: str | None


def checkin_ask(
    session: Session, workspace: Workspace, person_id: str, *, now: datetime | None = None
) -> CheckInAsk:
    """What the weekly reminder would send this person now (bot/jobs/reminders.py): all their active
    key results, their week, their zone; and whether they paused reminders."""
    now = now or stored_now()
    key_results = digest_repo.active_key_results(session, workspace.id, [person_id])
    tz = reader_zone(session, workspace, person_id)
    today = local_date(now, tz)
    member = members_repo.members(session, workspace.id, [person_id]).get(person_id)
    unreachable = None
    if member is not None and member.is_deleted:
        unreachable = "their Slack account is deactivated"
    elif member is not None and member.paused_until is not None and member.paused_until >= today:
        unreachable = f"they paused their check-in reminders until {plain_day(member.paused_until)}"
    return CheckInAsk(key_results, today - timedelta(days=today.weekday()), tz, unreachable)
