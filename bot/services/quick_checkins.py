"""One-click check-ins from the weekly reminder DM (docs/commands.md, "The weekly reminder"):
*No change*, a value typed in the message, *Add a note* (the form for one key result), and what
the message shows afterwards.

The same rules as every check-in (services/checkins.record): active key results only; the owner
of the key result or of its objective, or a workspace admin. A click twice records once: the
check-in's dedupe_key is the message, the key result, the week and what was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.numbers import typed_unit
from bot.domain.progress import Confidence
from bot.domain.references import RefKind, format_ref
from bot.domain.schedule_time import (
    CHECKIN_TIME,
    CHECKIN_WEEKDAY,
    WeeklySlot,
    WorkCalendar,
    latest_occurrence,
    local_midnight_utc,
)
from bot.errors import Invalid, NotFound, Usage
from bot.forms.okr import CheckInEntry
from bot.services.checkins import (
    CheckedIn,
    CheckInForm,
    CheckInModal,
    Recorded,
    check_in_from_form,
    parse_value,
    record,
    weeks_in_a_row,
)
from bot.services.members import reader_zone, require_owner_or_admin
from storage.models import KeyResult, KeyResultKind, Objective, ScheduleKind, Status, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import okrs as repo
from storage.repositories import schedules as schedules_repo

GONE = "That key result was removed after this reminder was sent: there is nothing to check in, and nothing was recorded."


@dataclass(frozen=True)
class Week:
    start: date  # Monday of the reminder's week, the person's time
    since: datetime  # its 00:00 as storage keeps time (naive UTC): check-ins since count
    period: str  # "2026-W49"
    tz: ZoneInfo  # the person's, for the days shown


@dataclass
class ReminderState:
    """What the reminder message lists now, in the order it listed it."""

    key_results: list[KeyResult]  # still active (and their objectives too)
    week: Week
    done: set[int] = field(default_factory=set)  # checked in this week
    synced: set[int] = field(default_factory=set)  # bound to a data source: the number updates itself
    gone: int = 0  # listed, but closed, archived or removed since


@dataclass
class QuickCheckIn:
    recorded: Recorded | None  # None: this click was already recorded (or the week already had it)
    state: ReminderState
    weeks_in_a_row: int = 0  # the owner's run of weeks with a check-in, when they recorded it


def reminder_week(session: Session, workspace: Workspace, user_id: str, now: datetime) -> Week:
    """The week the reminder is about, as the reminder job sees it: the latest check-in slot due
    by `now` in the person's time zone, after days off."""
    schedule = schedules_repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
    weekday = schedule.weekday if schedule else CHECKIN_WEEKDAY
    time_of_day = schedule.time_of_day if schedule else CHECKIN_TIME
    tz = reader_zone(session, workspace, user_id)
    aware = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    occurrence = latest_occurrence(
        WeeklySlot(weekday, time_of_day, tz.key), WorkCalendar.of_workspace(workspace), aware
    )
    since = local_midnight_utc(occurrence.week_start, tz).astimezone(UTC).replace(tzinfo=None)
    return Week(occurrence.week_start, since, occurrence.period, tz)


def _active(pair: tuple[KeyResult, Objective]) -> bool:
    kr, objective = pair
    return kr.status == Status.ACTIVE and objective.status == Status.ACTIVE


def _checked_in_since(kr: KeyResult, since: datetime) -> bool:
    return kr.last_checkin_at is not None and kr.last_checkin_at >= since


def reminder_state(
    session: Session, workspace: Workspace, user_id: str, listed: list[int], now: datetime
) -> ReminderState:
    """The listed key results as they stand: which are done this week, which went away."""
    week = reminder_week(session, workspace, user_id, now)
    wanted = list(dict.fromkeys(listed))
    found = {kr.id: kr for kr in digest_repo.active_key_results(session, workspace.id, key_result_ids=wanted)}
    active = [found[i] for i in wanted if i in found]
    return ReminderState(
        key_results=active,
        week=week,
        done={kr.id for kr in active if _checked_in_since(kr, week.since)},
        synced={kr.id for kr in active if kr.bound_to_source},
        gone=len(wanted) - len(active),
    )


def _checkable(
    session: Session, workspace: Workspace, actor_id: str, key_result_id: int
) -> tuple[KeyResult, Objective]:
    """The key result a click is about, when it still takes check-ins from this person."""
    pair = repo.key_results_by_ids(session, workspace.id, [key_result_id]).get(key_result_id)
    if pair is None:
        raise NotFound(GONE)
    kr, objective = pair
    if not _active(pair):
        state = "closed" if Status.CLOSED in (kr.status, objective.status) else "archived"
        raise Invalid(
            f"{format_ref(RefKind.KR, kr.number)} was {state} after this reminder was sent: "
            "check-ins go on active key results, and nothing was recorded."
        )
    if actor_id not in (kr.owner_id, objective.owner_id):
        require_owner_or_admin(session, workspace, actor_id, kr.owner_id, objective.owner_id)
    return kr, objective


def _value(kr: KeyResult, value_text: str | None) -> float:
    ref = format_ref(RefKind.KR, kr.number)
    if value_text is None:
        if kr.current_value is None:
            raise Usage(f"{ref} has no value yet: type its value now in the box, then press Enter.")
        return kr.current_value
    example = "`done` or `not done`" if kr.kind == KeyResultKind.MILESTONE else "`42`, `1,500` or `45%`"
    usage = f"Type the value of {ref} now, like {example}, then press Enter; nothing was recorded."
    if not value_text.strip():
        raise Usage(usage)
    try:
        return parse_value(value_text, kr)
    except ValueError as error:
        raise Usage(f"{error}. {usage}") from None


def check_in(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    key_result_id: int,
    *,
    listed: list[int],
    message_key: str,
    value_text: str | None = None,
    confidence: Confidence | None = None,
    now: datetime | None = None,
) -> QuickCheckIn:
    """*No change* (value_text None: the same value) or a typed value, for one key result.

    confidence: the one picked in the message's row (it starts at the last one); None keeps the
    last. listed: the key results the message lists, for its new state. message_key (the DM's
    channel and ts): with the week, it keys the check-in, so a second click records nothing.
    *No change* on a key result already checked in this week records nothing either.
    """
    now = now or stored_now()
    kr, _ = _checkable(session, workspace, actor_id, key_result_id)
    week = reminder_week(session, workspace, actor_id, now)
    if confidence is None and kr.last_confidence:
        confidence = Confidence(kr.last_confidence)
    recorded: list[Recorded] = []
    if value_text is not None or not _checked_in_since(kr, week.since):
        value = _value(kr, value_text)
        what = "same" if value_text is None else f"{value!r}:{confidence or ''}"
        entry = CheckInEntry(
            key_result_id=kr.id,
            value=value,
            confidence=confidence,
            note="",
            unit=typed_unit(value_text) if value_text else "",
        )
        recorded = record(
            session,
            workspace,
            actor_id,
            [entry],
            now=now,
            field_errors=False,
            dedupe_prefix=f"remind:{message_key}:{week.period}:{what}",
        )
    state = reminder_state(session, workspace, actor_id, listed, now)
    if not recorded:
        return QuickCheckIn(None, state)
    weeks = weeks_in_a_row(session, workspace, actor_id, now) if actor_id == kr.owner_id else 0
    return QuickCheckIn(recorded[0], state, weeks)


def note_form(session: Session, workspace: Workspace, actor_id: str, key_result_id: int) -> CheckInForm:
    """*Add a note*: the check-in form for this one key result, in the person's zone."""
    kr, objective = _checkable(session, workspace, actor_id, key_result_id)
    latest = repo.recent_checkins(session, [kr.id], per_key_result=1).get(kr.id) or []
    data = CheckInModal([(kr, objective)], {kr.id: latest[0]} if latest else {}, total=1)
    return CheckInForm(data, reader_zone(session, workspace, actor_id))


@dataclass(frozen=True)
class FormCheckIn:
    """The check-in form's submission, and the reminder it was opened from as it stands now."""

    done: CheckedIn
    reminder: ReminderState | None  # None: the form was not opened from a reminder


def form_check_in(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    entries: list[CheckInEntry],
    *,
    dedupe_prefix: str | None = None,
    earlier: int = 0,
    listed: list[int] | None = None,
    now: datetime | None = None,
) -> FormCheckIn:
    """The check-in form submitted (`checkins.check_in_from_form`); when *Add a note* on a
    reminder opened it (`listed`: the key results the reminder lists), what that reminder shows
    now, read in the same transaction."""
    done = check_in_from_form(
        session, workspace, actor_id, entries, dedupe_prefix=dedupe_prefix, earlier=earlier
    )
    if listed is None or not (done.recorded or earlier):
        return FormCheckIn(done, None)
    return FormCheckIn(done, reminder_state(session, workspace, actor_id, listed, now or stored_now()))
