"""Weekly check-ins: the modal's contents, and recording check-ins (append-only, at most once per
submission even when Slack delivers it twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.limits import NOTE_MAX
from bot.domain.numbers import parse_number, typed_unit
from bot.domain.progress import Confidence
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import WorkCalendar
from bot.domain.streaks import MAX_WEEKS
from bot.domain.streaks import weeks_in_a_row as run_of_weeks
from bot.errors import Conflict, Invalid, Usage
from bot.forms.okr import CheckInEntry
from bot.ids import Block
from bot.services import members, okrs
from bot.services.members import require_owner_or_admin
from storage.models import CheckIn, KeyResult, KeyResultKind, Objective, Status, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import okrs as repo

# The form shows ten key results a page (four blocks each, 43 blocks a page); *Next* saves the
# page and shows the next ten. The ids of the pages still to come ride in the view's
# private_metadata (3,000 characters): at most MODAL_KEY_RESULTS of them.
MODAL_PAGE = 10
MODAL_KEY_RESULTS = 250

DONE_WORDS = {
    "done": 1.0,
    "yes": 1.0,
    "complete": 1.0,
    "completed": 1.0,
    "not-done": 0.0,
    "no": 0.0,
    "todo": 0.0,
}


@dataclass
class CheckInModal:
    items: list[tuple[KeyResult, Objective]]
    last: dict[int, CheckIn]  # key result id → its latest check-in
    total: int  # how many key results the form pages through
    rest: list[int] = field(default_factory=list)  # ids of the later pages, in order
    first: int = 1  # the place (from 1) of this page's first key result
    saved: int = 0  # check-ins recorded by *Next* on earlier pages


def modal_data(
    session: Session, workspace: Workspace, user_id: str, *, limit: int = MODAL_KEY_RESULTS
) -> CheckInModal:
    """The form's first page of the person's active key results, most overdue first, and the ids
    of the pages after it: three statements at any size."""
    owned = repo.key_results_owned_by(session, workspace.id, user_id, limit=limit)
    items, rest = owned.items[:MODAL_PAGE], [kr.id for kr, _ in owned.items[MODAL_PAGE:]]
    latest = repo.recent_checkins(session, [kr.id for kr, _ in items], per_key_result=1)
    last = {kr_id: rows[0] for kr_id, rows in latest.items() if rows}
    return CheckInModal(items, last, len(owned.items), rest=rest)


@dataclass(frozen=True)
class CheckInForm:
    """A check-in form's page, and the zone the person reads its dates in."""

    data: CheckInModal
    tz: ZoneInfo


def modal_form(session: Session, workspace: Workspace, user_id: str) -> CheckInForm:
    """`/okr checkin` with nothing after it, or *Check in*: the form's first page (no items: the
    person owns no active key result) in the person's zone."""
    return CheckInForm(
        modal_data(session, workspace, user_id), members.reader_zone(session, workspace, user_id)
    )


def modal_page(
    session: Session,
    workspace: Workspace,
    user_id: str,
    ids: list[int],
    *,
    first: int,
    total: int,
    saved: int,
) -> CheckInModal:
    """The next page of the form: the first MODAL_PAGE of `ids` that are still the person's and
    active (closed since the form opened: left out), in the order given."""
    found = repo.key_results_by_ids(session, workspace.id, ids[:MODAL_PAGE])
    items = [
        found[i]
        for i in ids[:MODAL_PAGE]
        if i in found
        and found[i][0].owner_id == user_id
        and found[i][0].status == Status.ACTIVE
        and found[i][1].status == Status.ACTIVE
    ]
    latest = repo.recent_checkins(session, [kr.id for kr, _ in items], per_key_result=1)
    last = {kr_id: rows[0] for kr_id, rows in latest.items() if rows}
    return CheckInModal(items, last, total, rest=ids[MODAL_PAGE:], first=first, saved=saved)


@dataclass
class Recorded:
    key_result: KeyResult
    objective: Objective
    check_in: CheckIn


def parse_value(text: str, key_result: KeyResult) -> float:
    """A typed value; milestones also take done / not-done."""
    cleaned = (text or "").strip().lower()
    if key_result.kind == KeyResultKind.MILESTONE and cleaned in DONE_WORDS:
        return DONE_WORDS[cleaned]
    return parse_number(text)


def _entry_error(entry: CheckInEntry, pair: tuple[KeyResult, Objective] | None) -> str | None:
    """Why this entry cannot be recorded (pair is its key result and objective, if found), or None."""
    if pair is None:
        return "This key result is no longer there; reopen the check-in."
    kr, objective = pair
    ref = format_ref(RefKind.KR, kr.number)
    if kr.status != Status.ACTIVE or objective.status != Status.ACTIVE:
        return f"{ref} is {'closed' if Status.CLOSED in (kr.status, objective.status) else 'archived'}; check-ins go on active key results."
    if kr.kind == KeyResultKind.MILESTONE and entry.value not in (0.0, 1.0):
        return f"{ref} is a milestone: check in 1 (done) or 0 (not done)."
    return None


def _reject_invalid(
    entries: list[CheckInEntry], found: dict[int, tuple[KeyResult, Objective]], *, field_errors: bool
) -> None:
    """Raise Invalid when any entry cannot be recorded: under each entry's field, or the first."""
    errors: dict[str, str] = {}
    for entry in entries:
        error = _entry_error(entry, found.get(entry.key_result_id))
        if error is not None:
            errors[Block.CHECKIN_VALUE.of(id=entry.key_result_id)] = error
    if errors:
        if field_errors:
            raise Invalid("Some check-ins need another look.", fields=errors)
        raise Invalid(next(iter(errors.values())))


def _move_key_result(kr: KeyResult, entry: CheckInEntry, check_in: CheckIn, now: datetime) -> None:
    """Carry a recorded check-in over to its key result: the unit typed, the latest value."""
    if entry.unit and not kr.unit and kr.kind != KeyResultKind.MILESTONE:
        kr.unit = entry.unit  # "20%" on a key result with no unit yet: keep what was typed
    if check_in.automatic:
        # A data source moves the number only: the owner's last check-in (its time and their
        # confidence) stays theirs, so the weekly reminder still asks them how confident they are.
        kr.current_value = entry.value
    elif kr.last_checkin_at is None or now >= kr.last_checkin_at:
        kr.current_value, kr.last_checkin_at = entry.value, now
        kr.last_confidence = entry.confidence.value if entry.confidence else None


def record(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    entries: list[CheckInEntry],
    *,
    dedupe_prefix: str | None = None,
    now: datetime | None = None,
    field_errors: bool = True,
    authorized: bool = False,
    origin: str | None = None,
) -> list[Recorded]:
    """Append one check-in per entry and move each key result's latest value.

    dedupe_prefix (a modal's "view id:view hash"): a second delivery of the same submission finds
    its keys taken and records nothing. field_errors: problems go under the entry's modal fields.
    authorized: the caller already holds the right to check in on any key result of the workspace
    (a write token, which only an admin can make; a bound data source). origin: where the value
    came from (CheckIn.origin); None for a person in Slack.
    """
    now = now or stored_now()
    found = repo.key_results_by_ids(session, workspace.id, [e.key_result_id for e in entries])
    _reject_invalid(entries, found, field_errors=field_errors)
    not_theirs = [
        owners
        for kr, objective in found.values()
        if actor_id not in (owners := (kr.owner_id, objective.owner_id))
    ]
    if not_theirs and not authorized:
        # The owner of the key result, the owner of its objective, or a workspace admin.
        require_owner_or_admin(session, workspace, actor_id, *not_theirs[0])
    recorded: list[Recorded] = []
    for entry in entries:
        kr, objective = found[entry.key_result_id]
        check_in = CheckIn(
            workspace_id=workspace.id,
            key_result_id=kr.id,
            value=entry.value,
            confidence=entry.confidence.value if entry.confidence else None,
            note=entry.note,
            author_id=actor_id,
            created_at=now,
            dedupe_key=f"{dedupe_prefix}:{kr.id}"[:200] if dedupe_prefix else None,
            origin=origin,
        )
        try:
            with session.begin_nested():
                session.add(check_in)
        except IntegrityError:
            continue  # the same submission, delivered again: already recorded
        _move_key_result(kr, entry, check_in, now)
        recorded.append(Recorded(kr, objective, check_in))
    session.flush()
    if recorded:
        # A digest already posted this week shows these objectives: the clock's next tick updates
        # it in place (bot/jobs/digest_refresh.py), once for however many land meanwhile.
        digest_repo.mark_stale(session, workspace.id, {r.objective.id for r in recorded}, now)
    return recorded


def parse_line(rest: str) -> tuple[str, str, Confidence | None, str]:
    """`KR-n VALUE [on-track|at-risk|off-track] [note]` → (reference, value text, confidence, note)."""
    parts = rest.split(maxsplit=2)
    if len(parts) < 2:
        raise Usage(
            "Check in like `/okr checkin KR-3 42 on-track shipped the beta`, or `/okr checkin` for the form."
        )
    reference, value, tail = parts[0], parts[1], parts[2].strip() if len(parts) > 2 else ""
    confidence = None
    if tail:
        first, _, remainder = tail.partition(" ")
        try:
            confidence = Confidence.parse(first)
            tail = remainder.strip()
        except ValueError:
            confidence = None
    if len(tail) > NOTE_MAX:
        raise Invalid(f"Keep the note under {NOTE_MAX:,} characters.")
    return reference, value, confidence, tail


def check_in_line(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    rest: str,
    *,
    now: datetime | None = None,
    dedupe_prefix: str | None = None,
) -> Recorded:
    """The one-line check-in: the same rules as the modal.

    dedupe_prefix (e.g. "cmd:<trigger_id>", unique per invocation of the command): the same
    signed request delivered twice records one check-in; the second is told it was already done.
    """
    reference, value_text, confidence, note = parse_line(rest)
    kr, objective = okrs.find_key_result(session, workspace, reference)
    try:
        value = parse_value(value_text, kr)
    except ValueError as error:
        raise Usage(
            f"{error}. Check in like `/okr checkin {format_ref(RefKind.KR, kr.number)} 42 on-track`."
        ) from None
    if confidence is None and kr.last_confidence:
        # Said nothing about confidence: it stands, as the modal (prefilled with it) keeps it.
        confidence = Confidence(kr.last_confidence)
    entry = CheckInEntry(
        key_result_id=kr.id, value=value, confidence=confidence, note=note, unit=typed_unit(value_text)
    )
    recorded = record(
        session,
        workspace,
        actor_id,
        [entry],
        now=now,
        field_errors=False,
        dedupe_prefix=dedupe_prefix,
    )
    if not recorded:
        raise Conflict(
            f"That check-in of {format_ref(RefKind.KR, kr.number)} was already recorded (the same request arrived twice); "
            "it counts once."
        )
    return recorded[0]


def weeks_in_a_row(session: Session, workspace: Workspace, user_id: str, now: datetime | None = None) -> int:
    """How many weeks in a row (their weeks, the team's calendar) this person has checked in,
    this week included once it has one: two statements."""
    now = now or stored_now()
    tz = members.reader_zone(session, workspace, user_id)
    times = repo.checkin_times_by(session, workspace.id, user_id, now - timedelta(weeks=MAX_WEEKS + 2))
    days = [moment.replace(tzinfo=UTC).astimezone(tz).date() for moment in times]
    today = now.replace(tzinfo=UTC).astimezone(tz).date()
    return run_of_weeks(days, today, WorkCalendar.of_workspace(workspace))


# --- the check-in use cases: what was recorded, and the person's run of weeks ---------------------


@dataclass(frozen=True)
class CheckedIn:
    """Check-ins just recorded, and the person's run of weeks with one (0: not counted)."""

    recorded: list[Recorded]
    weeks: int = 0

    @property
    def owners(self) -> list[str]:
        """Whose App Home the check-ins touch: the key results' owners and their objectives'."""
        return [r.key_result.owner_id for r in self.recorded] + [r.objective.owner_id for r in self.recorded]


def check_in_from_form(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    entries: list[CheckInEntry],
    *,
    dedupe_prefix: str | None = None,
    earlier: int = 0,
) -> CheckedIn:
    """The check-in form's submission: its rows recorded (`record`); the run of weeks counted when
    anything was recorded, by this page or by `earlier` ones (saved with *Next*)."""
    recorded = record(session, workspace, actor_id, entries, dedupe_prefix=dedupe_prefix) if entries else []
    weeks = weeks_in_a_row(session, workspace, actor_id) if recorded or earlier else 0
    return CheckedIn(recorded, weeks)


def check_in_from_command(
    session: Session, workspace: Workspace, actor_id: str, rest: str, *, dedupe_prefix: str | None = None
) -> CheckedIn:
    """`/okr checkin KR-7 42 …`: the one-line check-in, and the run of weeks it extends."""
    recorded = check_in_line(session, workspace, actor_id, rest, dedupe_prefix=dedupe_prefix)
    return CheckedIn([recorded], weeks_in_a_row(session, workspace, actor_id))


@dataclass(frozen=True)
class NextPage:
    """*Next* on the check-in form: what this page recorded, and the form's next page."""

    form: CheckInForm
    recorded: list[Recorded]

    @property
    def owners(self) -> list[str]:
        """Whose App Home the check-ins touch."""
        return CheckedIn(self.recorded).owners


def next_page(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    entries: list[CheckInEntry],
    ids: list[int],
    *,
    first: int,
    total: int,
    saved: int,
    dedupe_prefix: str | None = None,
) -> NextPage:
    """This page's touched rows recorded (as a submission would), then the next page of `ids`
    (`saved` check-ins from earlier pages, this page's added), in one transaction."""
    recorded = record(session, workspace, actor_id, entries, dedupe_prefix=dedupe_prefix) if entries else []
    data = modal_page(
        session, workspace, actor_id, ids, first=first, total=total, saved=saved + len(recorded)
    )
    return NextPage(CheckInForm(data, members.reader_zone(session, workspace, actor_id)), recorded)
