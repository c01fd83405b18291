"""Keeping people's facts fresh ahead of time, so that planning asks the database only.

Each installed workspace gets one users.list pass (bot/jobs/people.py: paged, paced by its Tier 2
bucket, one statement a page):

- once a day, from an hour of the day (UTC) that depends on the workspace, so a thousand
  workspaces do not all list their people at midnight;
- in the hour before the workspace's check-in slot (its own time zone), so a vacation status set
  on Monday morning holds back Monday's reminder.

A pass is claimed in the delivery log like a post (kind ``people``, target ``users.list``, period
``day YYYY-MM-DD`` or ``before YYYY-Www``): two clocks, or a clock and `northline jobs run`,
never list a workspace twice for the same reason, and one run lists a workspace at most once
even when both reasons fall due together. A pass that fails is marked failed and not retried
before its next reason comes (a workspace whose token was revoked is not listed every minute).

It runs on the clock's background pool (bot/scheduler.py), never on the delivery path: a
reminder is never held back waiting for users.list.
"""

from __future__ import annotations

import logging
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.schedule_time import WeeklySlot, WorkCalendar, next_occurrence
from bot.jobs import delivery
from bot.jobs.common import ClientFor, utc
from bot.jobs.pacing import Pacer
from bot.jobs.people import refresh_workspace
from bot.jobs.reminders import DEFAULT_TIME, DEFAULT_WEEKDAY
from storage.db import Database
from storage.models import DeliveryState, ScheduleKind, Workspace
from storage.repositories import schedules as schedules_repo
from storage.repositories import workspaces as workspaces_repo

log = logging.getLogger("northline.jobs.roster")

KIND = "people"
TARGET = "users.list"
BEFORE_SLOT = timedelta(hours=1)


@dataclass
class RefreshReport:
    """What one run of the refresh did, workspace by workspace."""

    listed: list[str] = field(default_factory=list)  # team ids listed in full
    failed: list[str] = field(default_factory=list)  # team ids whose pass ended on an error
    pages: int = 0


def daily_hour(team_id: str) -> int:
    """The UTC hour from which a workspace's daily pass is due: stable, spread over the day."""
    return zlib.crc32(team_id.encode()) % 24


def reasons_due(workspace: Workspace, slot: WeeklySlot, now: datetime) -> list[str]:
    """The periods a pass is due for now: ``before <week>`` in the hour before the check-in slot,
    ``day <date>`` once the workspace's daily hour has come. Pure: `now` is passed."""
    now = utc(now)
    periods = []
    upcoming = next_occurrence(slot, WorkCalendar.of_workspace(workspace), now)
    if upcoming.due - now <= BEFORE_SLOT:
        periods.append(f"before {upcoming.period}")
    if now.hour >= daily_hour(workspace.team_id):
        periods.append(f"day {now.date().isoformat()}")
    return periods


def refresh_people(
    db: Database,
    client_for: ClientFor,
    now: datetime,
    *,
    pacer: Pacer | None = None,
    stop: threading.Event | None = None,
    team_id: str | None = None,
) -> RefreshReport:
    """Every installed workspace (or `team_id`) whose pass is due now: at most one pass each."""
    report = RefreshReport()
    with db.session() as session:
        workspaces = workspaces_repo.workspaces(session, team_id)
        slots = {w.id: _checkin_slot(session, w) for w in workspaces}
        session.expunge_all()
    for workspace in workspaces:
        if stop is not None and stop.is_set():
            break
        claimed = [
            period
            for period in reasons_due(workspace, slots[workspace.id], now)
            if delivery.claim(db, KIND, workspace.id, TARGET, period)
        ]
        if claimed:
            _one_pass(db, client_for, workspace, claimed, report, pacer=pacer, stop=stop)
    return report


def _one_pass(
    db: Database,
    client_for: ClientFor,
    workspace: Workspace,
    periods: list[str],
    report: RefreshReport,
    *,
    pacer: Pacer | None,
    stop: threading.Event | None,
) -> None:
    try:
        client = client_for(workspace)
    except Exception as error:  # noqa: BLE001 - no token for one workspace must not stop the rest
        log.warning("no Slack client for workspace %s: %s", workspace.team_id, error)
        outcome, detail = DeliveryState.FAILED, {"error": type(error).__name__}
    else:
        done = refresh_workspace(db, client, workspace, pacer=pacer, stop=stop)
        report.pages += done.pages
        detail = {"pages": done.pages, "people": done.people, "error": done.error}
        if done.error == "stopped":
            for period in periods:  # never listed: the next run does it
                delivery.release(db, KIND, workspace.id, TARGET, period)
            return
        outcome = DeliveryState.SENT if done.complete else DeliveryState.FAILED
    (report.listed if outcome == DeliveryState.SENT else report.failed).append(workspace.team_id)
    for period in periods:
        delivery.mark(db, KIND, workspace.id, TARGET, period, outcome, detail)


def _checkin_slot(session, workspace: Workspace) -> WeeklySlot:
    schedule = schedules_repo.schedule(session, workspace.id, ScheduleKind.CHECKIN)
    weekday = schedule.weekday if schedule else DEFAULT_WEEKDAY
    time_of_day = schedule.time_of_day if schedule else DEFAULT_TIME
    return WeeklySlot(weekday, time_of_day, workspace.timezone or "UTC")
