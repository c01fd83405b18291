"""The sprint-planning prompt: on the last day of a sprint (or of the channel's
cadence, `/sprint schedule LENGTH_WEEKS DAY HH:MM`), 10:00 by default, in the channel: the sprint
ending, its goal and a *Review sprint* button, key results behind pace as suggestions, and a
*Plan next sprint* button.

When: a channel with an active sprint is prompted on the sprint's last work day (a weekend or
holiday end moves it earlier, never past the end), at the time of the channel's sprint schedule
(default 10:00, in its time zone, else the workspace's). A channel with a cadence but no active
sprint is prompted on DAY every LENGTH_WEEKS weeks, counted from the week the cadence was set (its
last week is the prompt's); a day off moves that one to the next working day. Suggestions are
the channel's own key results behind pace that no other active sprint serves. `/sprint schedule off` stops both. Key: (sprint_prompt, workspace, channel, SPR-n or
the week of the cadence).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.domain.progress import PaceStatus
from bot.domain.schedule_time import (
    SPRINT_PROMPT_TIME,
    WeeklySlot,
    WorkCalendar,
    local_datetime,
    occurrence_in_week,
    parse_time,
    period_of,
    zone,
)
from bot.jobs.common import naive_utc, utc
from bot.jobs.delivery import Key
from bot.jobs.digest import disable_channel
from bot.jobs.engine import PlanContext, PlannedPost, kind_runner
from bot.services import sprint_views
from bot.services import sprints as sprint_service
from bot.ui import prompts as prompts_ui
from storage.db import Database
from storage.models import Schedule, ScheduleKind, Workspace
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.sprint_prompts")

KIND = "sprint_prompt"
REPORT_KIND = KIND
DEFAULT_TIME = SPRINT_PROMPT_TIME


@dataclass(frozen=True)
class Prompt:
    channel_id: str
    due: datetime  # aware UTC
    period: str
    tz: ZoneInfo
    setter: str
    sprint_id: int | None


def _epoch_week(d: date) -> int:
    return (d - date(1970, 1, 5)).days // 7  # 1970-01-05 was a Monday


def prompt_for(
    schedule: Schedule | None,
    detail,
    workspace: Workspace,
    calendar: WorkCalendar,
    now: datetime,
    *,
    upcoming=False,
) -> Prompt | None:
    """The latest prompt due at or before `now` (or, with upcoming, the next one after it)."""
    if schedule is not None and not schedule.enabled:
        return None
    tz = zone(schedule.timezone if schedule else workspace.timezone, workspace.timezone)
    time_of_day = schedule.time_of_day if schedule else DEFAULT_TIME
    if detail is not None:
        sprint = detail.sprint
        # The sprint's last work day: a weekend or holiday end moves the prompt earlier, never
        # past the end (a prompt about a sprint that is over is no use for planning the next).
        day = calendar.last_working_day(sprint.starts_on, sprint.ends_on)
        due = local_datetime(day, parse_time(time_of_day), tz).astimezone(now.tzinfo)
        if not upcoming and due > now:
            return None
        if upcoming and due <= now:
            return None
        setter = schedule.set_by if schedule else sprint.created_by
        return Prompt(sprint.channel_id, due, detail.ref, tz, setter, sprint.id)
    if schedule is None:
        return None
    length = max(1, min(4, schedule.length_weeks or 2))
    anchor = _epoch_week((schedule.updated_at or now.replace(tzinfo=None)).date())
    slot = WeeklySlot(schedule.weekday, schedule.time_of_day, tz.key)
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    weeks = range(-1, 5 * length) if upcoming else range(0, 5 * length)
    for offset in weeks:
        week = monday - timedelta(weeks=offset) if not upcoming else monday + timedelta(weeks=offset)
        if (_epoch_week(week) - anchor) % length != length - 1:
            continue
        occurrence = occurrence_in_week(slot, calendar, week)
        if (occurrence.due <= now) != upcoming:
            return Prompt(
                schedule.channel_id, occurrence.due, f"cadence-{period_of(week)}", tz, schedule.set_by, None
            )
    return None


@dataclass(frozen=True)
class Upcoming:
    """For `/sprint schedule`: the cadence's next prompt, and the active sprint's, apart."""

    cadence: datetime | None  # the next prompt by the channel's cadence alone
    sprint_ends_on: date | None  # the active sprint's last day
    sprint_prompt: datetime | None  # its prompt, on its last work day (None once past)
    sprint_ref: str | None = None


def next_prompt(session, workspace: Workspace, channel_id: str, now: datetime) -> Upcoming:
    """When this channel's planning prompts go out (for `/sprint schedule`)."""
    schedule = repo.schedule(session, workspace.id, ScheduleKind.SPRINT, channel_id)
    detail = sprint_views.current_sprint(session, workspace.id, channel_id)
    calendar = WorkCalendar.of_workspace(workspace)
    cadence = prompt_for(schedule, None, workspace, calendar, utc(now), upcoming=True) if schedule else None
    sprint = prompt_for(schedule, detail, workspace, calendar, utc(now), upcoming=True) if detail else None
    return Upcoming(
        cadence.due if cadence else None,
        detail.sprint.ends_on if detail else None,
        sprint.due if sprint else None,
        detail.ref if detail else None,
    )


sprint_prompts = kind_runner("sprint-prompts", "sprint_prompts")


def plan(context: PlanContext) -> list[PlannedPost]:
    db, workspace, now = context.db, context.workspace, context.now
    with db.session() as session:
        schedules = repo.schedules(session, workspace.id, ScheduleKind.SPRINT)
        details = {d.sprint.channel_id: d for d in sprint_views.active_sprints(session, workspace.id)}
        session.expunge_all()
    calendar = WorkCalendar.of_workspace(workspace)
    posts = []
    for channel_id in sorted(set(details) | {c for c in schedules if c}):
        if context.channel_id and channel_id != context.channel_id:
            continue
        prompt = prompt_for(schedules.get(channel_id), details.get(channel_id), workspace, calendar, now)
        if prompt is None:
            continue
        key = Key(KIND, workspace.id, prompt.channel_id, prompt.period)
        build = partial(_prompt_message, db, workspace, prompt, details.get(channel_id), now)
        posts.append(
            PlannedPost.message(
                key,
                prompt.due,
                prompt.channel_id,
                build,
                on_channel_gone=partial(_disable, db, workspace, prompt),
            )
        )
    return posts


def _prompt_message(db: Database, workspace: Workspace, prompt: Prompt, detail, now: datetime) -> dict:
    """Built after the claim: the key results behind pace, as suggestions for the next sprint."""
    with db.session() as session:
        suggestions = sprint_service.candidate_key_results(
            session, workspace, prompt.channel_id, naive_utc(now), limit=40
        )
        # Another team's active sprint already serves these: never suggest them here.
        elsewhere = set().union(
            *(
                other.active_key_result_ids
                for other in sprint_views.active_sprints(session, workspace.id)
                if other.sprint.channel_id != prompt.channel_id
            )
        )
        own = [s for s in suggestions if s.in_channel and s.key_result.id not in elsewhere]
        # The channel's own key results, behind pace first; a channel with none is told how to
        # link some rather than handed other teams' key results.
        behind = sorted(
            (s for s in own if s.behind), key=lambda s: (s.pace != PaceStatus.OFF_TRACK, s.key_result.number)
        )
        message = prompts_ui.sprint_prompt(prompt.channel_id, detail, behind[:10], has_own=bool(own))
        session.expunge_all()
    return message


def _disable(db: Database, workspace: Workspace, prompt: Prompt, outbox, result) -> None:
    disable_channel(
        db,
        outbox.client,
        workspace,
        ScheduleKind.SPRINT,
        prompt.channel_id,
        result.error or "",
        prompt.setter,
        prompt.tz,
        (5, DEFAULT_TIME),
    )
