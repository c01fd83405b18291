"""The weekly check-in reminder (SPEC section 6).

At the workspace's check-in slot (default Monday 10:00) in each owner's own time zone, every
owner of an active key result (of an active objective) with a key result not checked in since
Monday 00:00 their time gets one DM listing those key results and a *Check in* button.

Nobody is reminded while paused (/okr pause: paused_until >= their today), deactivated, or
showing a vacation-like Slack status. Per workspace the job runs a fixed number of SQL
statements whatever the number of people (plus one claim and one mark per DM sent); the
users.info calls that refresh stale time zones and statuses are Web API calls.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import datetime

from slack_sdk import WebClient

from bot.domain.schedule_time import (
    Decision,
    WeeklySlot,
    WorkCalendar,
    latest_occurrence,
    local_midnight_utc,
    zone,
)
from bot.jobs import delivery
from bot.jobs.common import (
    ClientFor,
    RunReport,
    deliver,
    for_each_workspace,
    naive_utc,
    record_late,
    stopping,
)
from bot.jobs.delivery import Key
from bot.jobs.people import people_facts, unreachable
from bot.ui import scheduled as ui
from storage.db import Database
from storage.models import KeyResult, ScheduleKind, Workspace
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.reminders")

KIND = "checkin"
DEFAULT_WEEKDAY = 1
DEFAULT_TIME = "10:00"


def checkin_reminders(
    db: Database,
    client_for: ClientFor,
    now: datetime,
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
    stop: threading.Event | None = None,
) -> RunReport:
    def work(client: WebClient, workspace: Workspace, now: datetime, report: RunReport) -> None:
        _run_workspace(db, client, workspace, now, report, stop)

    return for_each_workspace(KIND, db, client_for, now, team_id, stop, work)


def _run_workspace(
    db: Database, client: WebClient, workspace: Workspace, now: datetime, report: RunReport, stop
) -> None:
    # 1. Facts: schedule, key results (with objectives), cached members. Three statements.
    with db.session() as session:
        schedule = repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
        if schedule is not None and not schedule.enabled:
            return
        key_results = repo.active_key_results(session, workspace.id)
        if not key_results:
            return
        by_owner: dict[str, list[KeyResult]] = defaultdict(list)
        for kr in key_results:
            by_owner[kr.owner_id].append(kr)
        cached = repo.members(session, workspace.id, by_owner)
        session.expunge_all()
    weekday = schedule.weekday if schedule else DEFAULT_WEEKDAY
    time_of_day = schedule.time_of_day if schedule else DEFAULT_TIME
    calendar = WorkCalendar.of(workspace.work_days, workspace.holiday_country)

    # 2. Fresh enough users.info facts (API calls only for stale people; one upsert statement).
    people = people_facts(db, client, workspace, by_owner, cached)

    # 3. Who is due, and which keys are already taken (one statement).
    plans = []
    for owner_id, krs in by_owner.items():
        person = people.get(owner_id)
        if person is None:
            continue
        tz = zone(person.tz, workspace.timezone)
        occurrence = latest_occurrence(WeeklySlot(weekday, time_of_day, tz.key), calendar, now)
        since = naive_utc(local_midnight_utc(occurrence.week_start, tz))
        pending = [kr for kr in krs if kr.last_checkin_at is None or kr.last_checkin_at < since]
        if pending:
            plans.append((person, tz, occurrence, pending))
    known = delivery.known(db, KIND, workspace.id, {occurrence.period for _, _, occurrence, _ in plans})

    # 4. The fan-out: claim, post, mark, one person at a time; stop checked between posts.
    for person, tz, occurrence, pending in plans:
        if stopping(stop):
            report.stopped = True
            return
        key = Key(KIND, workspace.id, person.user_id, occurrence.period)
        existing = known.get((key.target, key.period))
        if existing is not None:
            delivery.in_doubt(existing)
            continue
        why_not = unreachable(person, now.astimezone(tz).date())
        if why_not:
            log.debug("%s: not reminded, %s", key, why_not)
            continue
        decision = occurrence.decide(now)
        if decision == Decision.LATE:
            record_late(db, key, occurrence.due, now, report)
            continue
        if decision != Decision.SEND:
            continue
        message = ui.checkin_reminder(pending, week_start=occurrence.week_start, tz=tz)
        deliver(db, client, key, report, channel=person.user_id, **message)


