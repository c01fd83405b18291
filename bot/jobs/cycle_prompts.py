"""Cycle prompts, each a DM at 10:00 in the person's own time zone:

- on the first working day of a cycle, to every owner of an active KRA: time for the quarterly
  `/kra review`. Key: (cycle_kra_review, workspace, owner, 2026-Q4).
- on the first working day of a cycle's last week (its last seven days), to every owner of an
  active objective of that cycle: close and score them. Key: (cycle_close, workspace, owner, cycle).

Nobody paused, deactivated or away is prompted. A day off moves the prompt to the next working day.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from bot.domain.cycles import cycle_for
from bot.domain.members import unreachable
from bot.domain.preferences import MessageKind
from bot.domain.schedule_time import WorkCalendar, local_datetime, parse_time, zone
from bot.jobs import weekly
from bot.jobs.delivery import Key
from bot.jobs.engine import PlanContext, PlannedPost, kind_runner
from bot.jobs.people import people_facts
from bot.ui import prompts as prompts_ui
from storage.repositories import digest as digest_repo

log = logging.getLogger("northline.jobs.cycle_prompts")

REVIEW_KIND = "cycle_kra_review"
CLOSE_KIND = "cycle_close"
PROMPT_TIME = "10:00"
REPORT_KIND = "cycle-prompts"


cycle_prompts = kind_runner("cycle-prompts", "cycle_prompts")


def plan(context: PlanContext) -> list[PlannedPost]:
    db, workspace, now = context.db, context.workspace, context.now
    calendar = WorkCalendar.of_workspace(workspace)
    fiscal = workspace.fiscal_year_start_month or 1
    # Which cycle is "now" differs by a day across time zones; take both neighbours of UTC's.
    utc_cycle = cycle_for(now.date(), fiscal)
    cycles = {
        utc_cycle.name: utc_cycle,
        utc_cycle.previous().name: utc_cycle.previous(),
        utc_cycle.next().name: utc_cycle.next(),
    }
    today = now.date()
    near = any(
        start - timedelta(days=1) <= today <= start + timedelta(days=10)
        for cycle in cycles.values()
        for start in (cycle.start, cycle.last_week_start)
    )
    if not near:
        return []  # nothing can be due: no queries, no users.info calls
    with db.session() as session:
        kra_owners = digest_repo.kra_owners(session, workspace.id)
        objective_owners = digest_repo.objective_owners_in_cycles(session, workspace.id, cycles)
        session.expunge_all()
    # Whoever gets the weekly check-in reminder reads these in it (bot/jobs/weekly.py); whoever
    # switched review prompts off gets none.
    skip = weekly.batched_or_muted(db, workspace, MessageKind.REVIEWS)
    kra_owners = [owner for owner in kra_owners if owner not in skip]
    objective_owners = {
        name: {owner: objectives for owner, objectives in owners.items() if owner not in skip}
        for name, owners in objective_owners.items()
    }
    everyone = set(kra_owners) | {owner for owners in objective_owners.values() for owner in owners}
    if not everyone:
        return []
    people = people_facts(db, workspace, sorted(everyone))
    time_of_day = parse_time(PROMPT_TIME)
    posts = []
    for owner in kra_owners:
        person = people.get(owner)
        if person is None:
            continue
        tz = zone(person.tz, workspace.timezone)
        cycle = cycle_for(now.astimezone(tz).date(), fiscal)
        due = local_datetime(calendar.next_working_day(cycle.start), time_of_day, tz)
        key = Key(REVIEW_KIND, workspace.id, person.user_id, cycle.name)
        away = unreachable(person, now.astimezone(tz).date())
        posts.append(
            PlannedPost.message(
                key, due, person.user_id, partial(prompts_ui.kra_review_prompt, cycle), unreachable=away
            )
        )
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
            key = Key(CLOSE_KIND, workspace.id, person.user_id, name)
            away = unreachable(person, now.astimezone(tz).date())
            build = partial(prompts_ui.close_cycle_prompt, cycle, objectives)
            posts.append(PlannedPost.message(key, due, person.user_id, build, unreachable=away))
    return posts
