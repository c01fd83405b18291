"""Cycle prompts (SPEC section 6), each a DM at 10:00 in the person's own time zone:

- on the first working day of a cycle, to every owner of an active KRA: time for the quarterly
  `/kra review`. Key: (cycle_kra_review, workspace, owner, 2026-Q4).
- on the first working day of a cycle's last week (its last seven days), to every owner of an
  active objective of that cycle: close and score them. Key: (cycle_close, workspace, owner, cycle).

Nobody paused, deactivated or away is prompted. A day off moves the prompt to the next working day.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.domain.cycles import cycle_for
from bot.domain.schedule_time import Decision, WorkCalendar, decide, local_datetime, parse_time, zone
from bot.jobs import delivery
from bot.jobs.common import (
    ClientFor,
    RunReport,
    deliver,
    for_each_workspace,
    record_late,
    stopping,
)
from bot.jobs.delivery import Key
from bot.jobs.people import people_facts, unreachable
from bot.ui import scheduled as ui
from storage.db import Database
from storage.models import Workspace
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.cycle_prompts")

REVIEW_KIND = "cycle_kra_review"
CLOSE_KIND = "cycle_close"
PROMPT_TIME = "10:00"


def cycle_prompts(
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

    return for_each_workspace("cycle-prompts", db, client_for, now, team_id, stop, work)


def _run_workspace(db, client, workspace: Workspace, now: datetime, report: RunReport, stop) -> None:
    calendar = WorkCalendar.of(workspace.work_days, workspace.holiday_country)
    fiscal = workspace.fiscal_year_start_month or 1
    # Which cycle is "now" differs by a day across time zones; take both neighbours of UTC's.
    utc_cycle = cycle_for(now.date(), fiscal)
    cycles = {utc_cycle.name: utc_cycle, utc_cycle.previous().name: utc_cycle.previous(), utc_cycle.next().name: utc_cycle.next()}
    today = now.date()
    near = any(
        start - timedelta(days=1) <= today <= start + timedelta(days=10)
        for cycle in cycles.values()
        for start in (cycle.start, cycle.last_week_start)
    )
    if not near:
        return  # nothing can be due: no queries, no users.info calls
    with db.session() as session:
        kra_owners = repo.kra_owners(session, workspace.id)
        objective_owners = {name: repo.objective_owners_in_cycle(session, workspace.id, name) for name in cycles}
        session.expunge_all()
    everyone = set(kra_owners) | {owner for owners in objective_owners.values() for owner in owners}
    if not everyone:
        return
    people = people_facts(db, client, workspace, sorted(everyone))
    time_of_day = parse_time(PROMPT_TIME)
    plans = []  # (kind, person, tz, due, cycle name, message)
    for owner in kra_owners:
        person = people.get(owner)
        if person is None:
            continue
        tz = zone(person.tz, workspace.timezone)
        cycle = cycle_for(now.astimezone(tz).date(), fiscal)
        due = local_datetime(calendar.next_working_day(cycle.start), time_of_day, tz)
        plans.append((REVIEW_KIND, person, tz, due, cycle.name, lambda c=cycle: ui.kra_review_prompt(c)))
    for name, owners in objective_owners.items():
        for owner, objectives in owners.items():
            person = people.get(owner)
            if person is None:
                continue
            tz = zone(person.tz, workspace.timezone)
            if cycle_for(now.astimezone(tz).date(), fiscal).name != name:
                continue
            cycle = cycles[name]
            due = local_datetime(calendar.next_working_day(cycle.last_week_start), time_of_day, tz)
            plans.append((CLOSE_KIND, person, tz, due, name, lambda c=cycle, o=objectives: ui.close_cycle_prompt(c, o)))
    known = {
        kind: delivery.known(db, kind, workspace.id, {p[4] for p in plans if p[0] == kind})
        for kind in (REVIEW_KIND, CLOSE_KIND)
    }
    for kind, person, tz, due, cycle_name, build in plans:
        if stopping(stop):
            report.stopped = True
            return
        key = Key(kind, workspace.id, person.user_id, cycle_name)
        existing = known[kind].get((key.target, key.period))
        if existing is not None:
            delivery.in_doubt(existing)
            continue
        decision = decide(due, now)
        if decision not in (Decision.SEND, Decision.LATE) or unreachable(person, now.astimezone(tz).date()):
            continue
        if decision == Decision.LATE:
            record_late(db, key, due, now, report)
            continue
        deliver(db, client, key, report, channel=person.user_id, **build())
