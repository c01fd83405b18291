"""The weekly check-in reminder: the planner; bot/jobs/engine.py delivers.

At the workspace's check-in slot (default Monday 10:00) in each owner's own time zone, or the day
and time they chose (`/okr remind`, bot/domain/preferences.py), every owner of an active key
result (of an active objective) with a key result not checked in since Monday 00:00 their time
gets one DM listing those key results, each to check in from the message
(bot/listeners/reminders.py), and a *Check in* button for the full form. The same DM carries what
else the week asks of them (bot/jobs/weekly.py). A reminder put off (*Remind me later today*,
*Tomorrow*) comes again then; a week skipped gets nothing more; if nothing happened, one second
nudge comes two work days later at the same time. Whoever switched the reminder off gets none.

Nobody is reminded while paused (/okr pause: paused_until >= their today), deactivated, or
showing a vacation-like Slack status, as the database last heard of it: user_change events, the
commands people type, and the users.list pass bot/jobs/roster.py makes once a day and in the hour
before the workspace's slot. Planning never calls Slack. Per workspace the plan runs a fixed
number of SQL statements whatever the number of people (the engine adds one claim and one mark
statement per batch of DMs sent, bot/jobs/engine.py CLAIM_BATCH). Whoever follows an objective
(`/okr follow`) reads its week in the same DM.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.domain.cycles import cycle_for
from bot.domain.members import Person, unreachable
from bot.domain.preferences import MessageKind, Preferences, follow_up, reminder_slot
from bot.domain.schedule_time import (
    CHECKIN_TIME,
    CHECKIN_WEEKDAY,
    Decision,
    Occurrence,
    WeeklySlot,
    WorkCalendar,
    decide,
    latest_occurrence,
    local_midnight_utc,
    zone,
)
from bot.jobs import delivery, weekly
from bot.jobs.common import naive_utc
from bot.jobs.delivery import Key
from bot.jobs.digest import weekly_movement
from bot.jobs.engine import PlanContext, PlannedPost, kind_runner
from bot.jobs.people import people_facts
from bot.ui import reminders as reminders_ui
from bot.ui.reminders import WeekExtras
from storage.models import DeliveryState, KeyResult, ScheduleKind, Status
from storage.repositories import digest as digest_repo
from storage.repositories import follows as follows_repo
from storage.repositories import members as members_repo
from storage.repositories import okrs as okrs_repo
from storage.repositories import preferences as preferences_repo
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.reminders")

KIND = "checkin"
LATER_KIND = "checkin_later"  # a reminder put off with *Remind me later today* or *Tomorrow*
AGAIN_KIND = "checkin_again"  # the week's one second nudge
REPORT_KIND = KIND
DEFAULT_WEEKDAY = CHECKIN_WEEKDAY
DEFAULT_TIME = CHECKIN_TIME


checkin_reminders = kind_runner("checkin-reminders", "checkin_reminders")


@dataclass(frozen=True)
class _Week:
    """One owner's week: where their reminder falls, what is pending, what else it carries."""

    person: Person
    tz: ZoneInfo
    occurrence: Occurrence
    key_results: list[KeyResult]
    pending: list[KeyResult]
    extras: WeekExtras
    prefs: Preferences
    again_at: datetime  # aware UTC: when the one second nudge would be due
    followed: tuple = ()  # the week of each objective they follow (reminders_ui.Movement)


def plan(context: PlanContext) -> list[PlannedPost]:
    """One DM per owner with a key result not checked in this week (their week, their time), or
    with something else the week asks of them (bot/jobs/weekly.py); a snoozed one again when it
    was put off to; one second nudge two work days later if nothing happened."""
    db, workspace, now = context.db, context.workspace, context.now
    # Facts: schedule, key results (with objectives and source bindings), cached members, people's
    # own preferences, the objectives people follow: five statements (two more when someone
    # follows one).
    with db.session() as session:
        schedule = repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
        if schedule is not None and not schedule.enabled:
            return []
        key_results = digest_repo.active_key_results(session, workspace.id)
        if not key_results:
            return []
        by_owner: dict[str, list[KeyResult]] = defaultdict(list)
        for kr in key_results:
            by_owner[kr.owner_id].append(kr)
        cached = members_repo.members(session, workspace.id, by_owner)
        rows = preferences_repo.preferences(session, workspace.id, by_owner)
        # What the people follow is only words in the DM: the clock, deciding, does not read it.
        movements = {} if context.deciding else followed_movements(session, workspace, by_owner, now)
        session.expunge_all()
    prefs = {owner: Preferences.of(rows.get(owner)) for owner in by_owner}
    by_owner = {owner: krs for owner, krs in by_owner.items() if prefs[owner].wants(MessageKind.CHECKIN)}
    if not by_owner:
        return []
    team = (schedule.weekday, schedule.time_of_day) if schedule else (DEFAULT_WEEKDAY, DEFAULT_TIME)
    calendar = WorkCalendar.of_workspace(workspace)
    occurrences: dict[WeeklySlot, Occurrence] = {}  # most people share a slot: each computed once

    def slot_of(person: Person) -> tuple[ZoneInfo, Occurrence]:
        tz = zone(person.tz, workspace.timezone)
        slot = reminder_slot(prefs[person.user_id], *team, tz, calendar)
        if slot not in occurrences:
            occurrences[slot] = latest_occurrence(slot, calendar, now)
        return tz, occurrences[slot]

    # What the database knows of each owner: never a call to Slack on the delivery path
    # (bot/jobs/roster.py refreshes people ahead of time, in the hour before the slot too).
    people = people_facts(db, workspace, by_owner, cached)
    slots = {owner: slot_of(people[owner]) for owner in by_owner if owner in people}
    slots = {owner: slot for owner, slot in slots.items() if not prefs[owner].skips(slot[1].period)}
    pending = {owner: _pending(by_owner[owner], tz, occurrence) for owner, (tz, occurrence) in slots.items()}
    # The week's other asks ride only in a reminder due now: no statements for them otherwise. The
    # clock, which only decides what is due, needs them only where they decide whether there is a
    # post at all: for an owner with nothing pending.
    due_now = {owner for owner, (_, occurrence) in slots.items() if occurrence.decide(now) == Decision.SEND}
    wanted = {owner for owner in due_now if not pending[owner]} if context.deciding else due_now
    week = weekly.facts(db, workspace, key_results, now.date()) if wanted else None
    fiscal = workspace.fiscal_year_start_month or 1
    weeks = []
    for owner_id, (tz, occurrence) in slots.items():
        extras = (
            weekly.for_week(week, owner_id, prefs[owner_id], occurrence.week_start, calendar, fiscal)
            if week is not None and owner_id in due_now
            else WeekExtras()
        )
        if not (pending[owner_id] or extras.sections()):
            continue
        again_at = follow_up(occurrence.local.date(), f"{occurrence.local:%H:%M}", tz, calendar)
        weeks.append(
            _Week(
                people[owner_id],
                tz,
                occurrence,
                by_owner[owner_id],
                pending[owner_id],
                extras,
                prefs[owner_id],
                again_at,
                tuple(movements.get(owner_id, ())),
            )
        )
    sent = _sent_reminders(
        db, workspace.id, [w for w in weeks if w.pending and decide(w.again_at, now) == Decision.SEND]
    )
    return [post for w in weeks for post in _posts(w, workspace.id, now, w.person.user_id in sent)]


def _pending(krs: list[KeyResult], tz: ZoneInfo, occurrence: Occurrence) -> list[KeyResult]:
    """The key results not checked in since Monday 00:00 of the occurrence's week, their time."""
    since = naive_utc(local_midnight_utc(occurrence.week_start, tz))
    return [kr for kr in krs if kr.last_checkin_at is None or kr.last_checkin_at < since]


def _posts(week: _Week, workspace_id: int, now, sent: bool) -> list[PlannedPost]:
    """The week's reminder; and, while something is pending, either the snoozed one or the one
    second nudge (when the reminder went out and nothing happened since)."""
    occurrence, tz = week.occurrence, week.tz
    away = unreachable(week.person, now.astimezone(tz).date())

    def post(kind: str, period: str, due, *, again: bool = False) -> PlannedPost:
        build = partial(
            reminders_ui.with_followed,
            partial(
                reminders_ui.checkin_reminder,
                week.pending,
                week_start=occurrence.week_start,
                tz=tz,
                synced={kr.id for kr in week.pending if kr.bound_to_source},
                extras=None if again else week.extras,
                again=again,
            ),
            week.followed,
        )
        key = Key(kind, workspace_id, week.person.user_id, period)
        return PlannedPost.message(key, due, week.person.user_id, build, unreachable=away)

    posts = [post(KIND, occurrence.period, occurrence.due)]
    if not week.pending:
        return posts
    snoozed = week.prefs.snooze_for(occurrence.period)
    if snoozed is not None:
        posts.append(post(LATER_KIND, f"{occurrence.period}@{snoozed:%m%dT%H%M}", snoozed))
    elif sent and _nothing_since(week.key_results, occurrence):
        posts.append(post(AGAIN_KIND, occurrence.period, week.again_at, again=True))
    return posts


def _sent_reminders(db, workspace_id: int, weeks: list[_Week]) -> set[str]:
    """Who was sent this week's reminder (the delivery log): one statement."""
    keys = [Key(KIND, workspace_id, w.person.user_id, w.occurrence.period) for w in weeks]
    if not keys:
        return set()
    known = delivery.known_keys(db, workspace_id, keys)
    return {
        key.target
        for key in keys
        if (row := known.get((key.kind, key.target, key.period))) is not None
        and row.state == DeliveryState.SENT
    }


def _nothing_since(krs: list[KeyResult], occurrence: Occurrence) -> bool:
    """No check-in on any of the person's key results since this week's reminder was due."""
    due = naive_utc(occurrence.due)
    return all(kr.last_checkin_at is None or kr.last_checkin_at < due for kr in krs)


def followed_movements(
    session, workspace, people: Iterable[str], now: datetime
) -> dict[str, list[reminders_ui.Movement]]:
    """person -> the week of each active objective they follow (`/okr follow`): three statements,
    however many people and objectives."""
    followed = follows_repo.followed_by_people(session, workspace.id, people)
    objectives = {o.id: o for found in followed.values() for o in found}
    if not objectives:
        return {}
    naive_now = naive_utc(now)
    key_results = okrs_repo.key_results_of(session, sorted(objectives))
    active = {oid: [kr for kr in krs if kr.status == Status.ACTIVE] for oid, krs in key_results.items()}
    # As in the digest: the whole cycle, so a week ago's number is known however long ago it was typed.
    since = min(
        cycle_for(naive_now.date(), workspace.fiscal_year_start_month).start_at, naive_now - timedelta(days=8)
    )
    checkins = digest_repo.checkins_since(session, [kr.id for krs in active.values() for kr in krs], since)
    week: dict[int, reminders_ui.Movement] = {}
    for oid, objective in objectives.items():
        progress, change = weekly_movement(objective, active.get(oid, []), checkins, workspace, naive_now)
        week[oid] = reminders_ui.Movement(objective.number, objective.title, progress, change)
    return {person: [week[o.id] for o in found] for person, found in followed.items()}
