"""Alignment nudges, from bot.domain.alignment:

- a sprint goal that serves no active key result: once per sprint, in its channel, mid-sprint
  (the middle day of the sprint, 10:00 in the channel's sprint-schedule time zone, else the
  workspace's; a day off moves it to the next working day). Key: (nudge_sprint, workspace,
  channel, SPR-n).
- a key result off track at each of its last two check-ins (pace computed at each check-in) that
  no active sprint serves: a weekly DM to its owner, Wednesday 10:00 their time (two days after the
  check-in reminder, so the nudge follows a week's check-ins rather than racing them). One DM per
  owner listing all such key results. Key: (nudge_kr, workspace, owner, 2026-W49). Nobody paused,
  deactivated or away is nudged.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial

from bot.domain.alignment import off_track_twice_unserved, served_key_results
from bot.domain.cycles import parse_cycle
from bot.domain.members import unreachable
from bot.domain.preferences import MessageKind
from bot.domain.progress import PaceStatus, expected_progress, pace_status, value_progress
from bot.domain.schedule_time import (
    WeeklySlot,
    WorkCalendar,
    latest_occurrence,
    local_datetime,
    parse_time,
    zone,
)
from bot.jobs import weekly
from bot.jobs.delivery import Key
from bot.jobs.engine import PlanContext, PlannedPost, kind_runner
from bot.jobs.people import people_facts
from bot.services import sprint_views
from bot.ui import prompts as prompts_ui
from storage.models import KeyResult, KeyResultKind, ScheduleKind, Workspace
from storage.repositories import digest as digest_repo
from storage.repositories import okrs as okr_repo
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.nudges")

SPRINT_KIND = "nudge_sprint"
KR_KIND = "nudge_kr"
NUDGE_TIME = "10:00"
KR_NUDGE_WEEKDAY = 3  # Wednesday
REPORT_KIND = "nudges"


alignment_nudges = kind_runner("nudges", "alignment_nudges")


def plan(context: PlanContext) -> list[PlannedPost]:
    posts = _sprint_nudges(context)
    if context.channel_id is None:
        posts += _key_result_nudges(context)
    return posts


def _sprint_nudges(context: PlanContext) -> list[PlannedPost]:
    db, workspace = context.db, context.workspace
    with db.session() as session:
        details = sprint_views.active_sprints(session, workspace.id)
        schedules = repo.schedules(session, workspace.id, ScheduleKind.SPRINT)
        session.expunge_all()
    calendar = WorkCalendar.of_workspace(workspace)
    posts = []
    for detail in details:
        sprint = detail.sprint
        if detail.aligned or (context.channel_id and sprint.channel_id != context.channel_id):
            continue
        schedule = schedules.get(sprint.channel_id)
        tz = zone(schedule.timezone if schedule else workspace.timezone, workspace.timezone)
        middle = sprint.starts_on + timedelta(days=max(0, (sprint.ends_on - sprint.starts_on).days) // 2)
        moment = local_datetime(calendar.next_working_day(middle), parse_time(NUDGE_TIME), tz)
        key = Key(SPRINT_KIND, workspace.id, sprint.channel_id, detail.ref)
        posts.append(
            PlannedPost.message(
                key, moment, sprint.channel_id, partial(prompts_ui.unaligned_sprint_nudge, detail)
            )
        )
    return posts


def off_track_by_owner(
    db, workspace: Workspace, key_results: list[KeyResult] | None = None, details=None
) -> dict[str, list[KeyResult]]:
    """owner → their key results off track at each of the last two check-ins that no active
    sprint serves (by number); detached from the session. `key_results` and `details` (the
    active sprints) when the caller has them already."""
    with db.session() as session:
        if key_results is None:
            key_results = digest_repo.active_key_results(session, workspace.id)
        if details is None:
            details = sprint_views.active_sprints(session, workspace.id)
        newest_first = okr_repo.recent_checkins(
            session, sorted({kr.id for kr in key_results}), per_key_result=2
        )
        history = {kr_id: checkins[::-1] for kr_id, checkins in newest_first.items()}  # oldest first
        session.expunge_all()
    served = served_key_results(details)
    by_id = {kr.id: kr for kr in key_results}
    statuses = {
        kr_id: [_pace_at(by_id[kr_id], checkin.value, checkin.created_at, workspace) for checkin in checkins]
        for kr_id, checkins in history.items()
        if kr_id in by_id
    }
    flagged = off_track_twice_unserved(statuses, served)
    by_owner: dict[str, list[KeyResult]] = defaultdict(list)
    for kr_id in sorted(flagged, key=lambda i: by_id[i].number):
        by_owner[by_id[kr_id].owner_id].append(by_id[kr_id])
    return dict(by_owner)


def _key_result_nudges(context: PlanContext) -> list[PlannedPost]:
    db, workspace, now = context.db, context.workspace, context.now
    by_owner = off_track_by_owner(db, workspace)
    if by_owner:
        # Whoever gets the weekly check-in reminder reads these there (bot/jobs/weekly.py);
        # whoever switched nudges off gets none.
        skip = weekly.batched_or_muted(db, workspace, MessageKind.NUDGES)
        by_owner = {owner: krs for owner, krs in by_owner.items() if owner not in skip}
    if not by_owner:
        return []
    people = people_facts(db, workspace, list(by_owner))
    calendar = WorkCalendar.of_workspace(workspace)
    posts = []
    for owner_id, krs in by_owner.items():
        person = people.get(owner_id)
        if person is None:
            continue
        tz = zone(person.tz, workspace.timezone)
        occurrence = latest_occurrence(WeeklySlot(KR_NUDGE_WEEKDAY, NUDGE_TIME, tz.key), calendar, now)
        key = Key(KR_KIND, workspace.id, person.user_id, occurrence.period)
        posts.append(
            PlannedPost.message(
                key,
                occurrence.due,
                person.user_id,
                partial(prompts_ui.off_track_nudge, krs),
                unreachable=unreachable(person, now.astimezone(tz).date()),
            )
        )
    return posts


def _pace_at(kr: KeyResult, value: float, at: datetime, workspace: Workspace) -> PaceStatus:
    """The pace a check-in of `value` at `at` showed (against its objective's cycle)."""
    # None (numbers that predate validation) reads as no check-in, like an unreadable cycle.
    progress = value_progress(kr.kind == KeyResultKind.MILESTONE, kr.start_value, kr.target_value, value)
    try:
        cycle = parse_cycle(kr.objective.cycle, workspace.fiscal_year_start_month)
    except (ValueError, TypeError):
        return PaceStatus.NO_CHECKIN
    return pace_status(progress, expected_progress(at, cycle.start_at, cycle.end_at))
