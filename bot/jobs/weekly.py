"""One DM a week: what else the jobs want from a person that week rides in their check-in reminder.

Whoever gets the weekly check-in reminder (an owner of an active key result, with the team's
reminder on and their own not switched off) reads there, as sections of the same message:

- their key results off track at the last two check-ins that no sprint serves (the alignment
  nudge, bot/jobs/nudges.py, no longer DMs them);
- the quarterly KRA review, in the week a new cycle starts, if they own an active KRA, and
  closing their objectives, in the week their cycle's last week starts (bot/jobs/cycle_prompts.py
  no longer DMs them);
- a sprint they started that serves no key result (its channel still gets its nudge);
- a data source of their key results that is failing.

Each section also follows the person's own switches (`/okr remind off nudges`, …). Everyone
else (a KRA owner with no key result, someone who switched the reminder off) keeps getting the
separate DMs, unless they switched that kind off too. Planning only: the database, no Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.domain.cycles import Cycle, cycle_for
from bot.domain.preferences import MessageKind, Preferences
from bot.domain.schedule_time import WorkCalendar
from bot.services import sprint_views
from bot.ui.reminders import WeekExtras
from storage.db import Database
from storage.models import KeyResult, Objective, ScheduleKind, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import preferences as preferences_repo
from storage.repositories import schedules as schedules_repo


def batched_or_muted(db: Database, workspace: Workspace, kind: MessageKind) -> set[str]:
    """Who must not get a separate DM of `kind`: whoever reads it in their weekly reminder, and
    whoever switched `kind` off. Two statements."""
    with db.session() as session:
        schedule = schedules_repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
        owners = preferences_repo.key_result_owners(session, workspace.id)
        prefs = {
            user: Preferences.of(row)
            for user, row in preferences_repo.preferences(session, workspace.id).items()
        }
    team_on = schedule is None or schedule.enabled
    default = Preferences()
    skip = {user for user, p in prefs.items() if not p.wants(kind)}
    if team_on:
        skip |= {owner for owner in owners if prefs.get(owner, default).wants(MessageKind.CHECKIN)}
    return skip


@dataclass
class Facts:
    """What the week's sections are made of, for every owner at once (detached rows)."""

    off_track: dict[str, list[KeyResult]] = field(default_factory=dict)
    kra_owners: set[str] = field(default_factory=set)
    objectives: dict[str, dict[str, list[Objective]]] = field(
        default_factory=dict
    )  # cycle → owner → objectives
    sprints: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=dict
    )  # owner → (ref, channel, goal)
    failing: dict[str, list[tuple[KeyResult, str]]] = field(default_factory=dict)  # owner → (kr, error)


def facts(db: Database, workspace: Workspace, key_results: list[KeyResult], today: date) -> Facts:
    """The week's facts for the owners of `key_results`; a fixed number of statements."""
    from bot.jobs.nudges import off_track_by_owner  # nudges imports this module

    cycles = _cycles_around(today, workspace.fiscal_year_start_month or 1)
    with db.session() as session:
        kra_owners = set(digest_repo.kra_owners(session, workspace.id))
        objectives = digest_repo.objective_owners_in_cycles(session, workspace.id, [c.name for c in cycles])
        details = sprint_views.active_sprints(session, workspace.id)
        failing = preferences_repo.failing_key_result_ids(session, workspace.id)
        session.expunge_all()
    sprints: dict[str, list[tuple[str, str, str]]] = {}
    for detail in details:
        if not detail.aligned and detail.sprint.created_by:
            sprints.setdefault(detail.sprint.created_by, []).append(
                (detail.ref, detail.sprint.channel_id, detail.sprint.goal or "")
            )
    broken: dict[str, list[tuple[KeyResult, str]]] = {}
    for kr in key_results:
        if kr.id in failing:
            broken.setdefault(kr.owner_id, []).append((kr, failing[kr.id]))
    return Facts(
        off_track=off_track_by_owner(db, workspace, key_results, details),
        kra_owners=kra_owners,
        objectives={name: dict(owners) for name, owners in objectives.items()},
        sprints=sprints,
        failing=broken,
    )


def _cycles_around(today: date, fiscal: int) -> list[Cycle]:
    current = cycle_for(today, fiscal)
    return [current.previous(), current, current.next()]


def for_week(
    facts: Facts, owner: str, prefs: Preferences, week_start: date, calendar: WorkCalendar, fiscal: int
) -> WeekExtras:
    """The sections of `owner`'s reminder for the week starting Monday `week_start`."""
    week_end = week_start + timedelta(days=7)

    def in_week(d: date) -> bool:
        return week_start <= calendar.next_working_day(d) < week_end

    review = closing = None
    closing_objectives: list[Objective] = []
    if prefs.wants(MessageKind.REVIEWS):
        for cycle in {
            c.name: c for c in (cycle_for(week_start, fiscal), cycle_for(week_end, fiscal))
        }.values():
            if owner in facts.kra_owners and in_week(cycle.start):
                review = cycle
            mine = facts.objectives.get(cycle.name, {}).get(owner) or []
            if mine and in_week(cycle.last_week_start):
                closing, closing_objectives = cycle, mine
    return WeekExtras(
        off_track=facts.off_track.get(owner, []) if prefs.wants(MessageKind.NUDGES) else [],
        review=review,
        closing=closing,
        closing_objectives=closing_objectives,
        sprints=facts.sprints.get(owner, []) if prefs.wants(MessageKind.SPRINTS) else [],
        failing=facts.failing.get(owner, []) if prefs.wants(MessageKind.SOURCES) else [],
    )
