"""The weekly check-in reminder: the planner; bot/jobs/engine.py delivers.

At the workspace's check-in slot (default Monday 10:00) in each owner's own time zone, every
owner of an active key result (of an active objective) with a key result not checked in since
Monday 00:00 their time gets one DM listing those key results, each to check in from the message
(bot/listeners/reminders.py), and a *Check in* button for the full form.

Nobody is reminded while paused (/okr pause: paused_until >= their today), deactivated, or
showing a vacation-like Slack status, as the database last heard of it: user_change events, the
commands people type, and the users.list pass bot/jobs/roster.py makes once a day and in the hour
before the workspace's slot. Planning never calls Slack. Per workspace the plan runs a fixed
number of SQL statements whatever the number of people (the engine adds one claim and one mark
statement per batch of DMs sent, bot/jobs/engine.py CLAIM_BATCH).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from bot.domain.cycles import cycle_for
from bot.domain.schedule_time import (
    CHECKIN_TIME,
    CHECKIN_WEEKDAY,
    WeeklySlot,
    WorkCalendar,
    latest_occurrence,
    local_midnight_utc,
    zone,
)
from bot.jobs.common import naive_utc
from bot.jobs.delivery import Key
from bot.jobs.digest import weekly_movement
from bot.jobs.engine import PlanContext, PlannedPost, kind_runner
from bot.jobs.people import people_facts, unreachable
from bot.ui import reminders as reminders_ui
from storage.models import KeyResult, ScheduleKind, Status
from storage.repositories import digest as digest_repo
from storage.repositories import follows as follows_repo
from storage.repositories import members as members_repo
from storage.repositories import okrs as okrs_repo
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.reminders")

KIND = "checkin"
REPORT_KIND = KIND
DEFAULT_WEEKDAY = CHECKIN_WEEKDAY
DEFAULT_TIME = CHECKIN_TIME


checkin_reminders = kind_runner("checkin-reminders", "checkin_reminders")


def plan(context: PlanContext) -> list[PlannedPost]:
    """One DM per owner with a key result not checked in this week (their week, their time)."""
    db, workspace, now = context.db, context.workspace, context.now
    # Facts: schedule, key results (with objectives and source bindings), cached members, the
    # objectives people follow: four statements (two more when someone follows one).
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
        movements = followed_movements(session, workspace, by_owner, now)
        session.expunge_all()
    weekday = schedule.weekday if schedule else DEFAULT_WEEKDAY
    time_of_day = schedule.time_of_day if schedule else DEFAULT_TIME
    calendar = WorkCalendar.of_workspace(workspace)
    # What the database knows of each owner: never a call to Slack on the delivery path
    # (bot/jobs/roster.py refreshes people ahead of time, in the hour before the slot too).
    people = people_facts(db, workspace, by_owner, cached)

    posts = []
    for owner_id, krs in by_owner.items():
        person = people.get(owner_id)
        if person is None:
            continue
        tz = zone(person.tz, workspace.timezone)
        occurrence = latest_occurrence(WeeklySlot(weekday, time_of_day, tz.key), calendar, now)
        since = naive_utc(local_midnight_utc(occurrence.week_start, tz))
        pending = [kr for kr in krs if kr.last_checkin_at is None or kr.last_checkin_at < since]
        if not pending:
            continue
        posts.append(
            PlannedPost.message(
                Key(KIND, workspace.id, person.user_id, occurrence.period),
                occurrence.due,
                person.user_id,
                partial(
                    reminders_ui.with_followed,
                    partial(
                        reminders_ui.checkin_reminder,
                        pending,
                        week_start=occurrence.week_start,
                        tz=tz,
                        synced={kr.id for kr in pending if kr.bound_to_source},
                    ),
                    movements.get(owner_id, ()),
                ),
                unreachable=unreachable(person, now.astimezone(tz).date()),
            )
        )
    return posts


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
