"""App Home: gather what a person's Home shows, and publish it.

Gathering is a fixed number of statements whatever the data size (each list is a LIMIT plus a
COUNT), so opening Home costs the same for a team of five and a company of five thousand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.cycles import week_start
from bot.domain.enums import BY_WORKFLOW
from bot.domain.first_week import FirstWeek
from bot.domain.schedule_time import zone
from bot.services import assessment, members, okrs, preferences, review_pack, sprint_views
from bot.services.assessment import KeyResultStatus, ObjectiveStatus
from bot.services.preferences import MyReminders
from bot.services.sprint_views import SprintSummary
from storage.models import KeyResult, Kra, Objective, Status, Workspace
from storage.repositories import kras as kra_repo
from storage.repositories import okrs as okr_repo
from storage.repositories import preferences as preference_repo
from storage.repositories.kras import ListedKpi

log = logging.getLogger(__name__)

HOME_KRAS = 20
HOME_OBJECTIVES = 8
HOME_KEY_RESULTS = 15
HOME_NEEDS_YOU = 10


@dataclass
class HomeData:
    user_id: str
    kras: list[Kra] = field(default_factory=list)
    kpis: dict[int, list[ListedKpi]] = field(default_factory=dict)
    kra_total: int = 0
    # Your active key results (most overdue first), assessed, with their objectives.
    key_results: list[tuple[KeyResultStatus, Objective]] = field(default_factory=list)
    key_result_total: int = 0
    # Those of them whose latest check-in an unattended workflow step made for you (BY_WORKFLOW).
    by_workflow: set[int] = field(default_factory=set)
    # Those whose latest number a bound data source recorded: (its origin, source:jira, and when).
    by_source: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    # Your active objectives, assessed.
    objectives: list[ObjectiveStatus] = field(default_factory=list)
    objective_total: int = 0
    # "Needs you this week": your active key results not checked in since Monday 00:00, your time.
    needs_checkin: list[tuple[KeyResult, Objective]] = field(default_factory=list)
    needs_checkin_total: int = 0
    # … and your KPIs (of the KRAs shown) with no value logged since that Monday, with their KRA.
    kpis_due: list[tuple[ListedKpi, Kra]] = field(default_factory=list)
    kpis_due_total: int = 0
    week_starts_at: datetime | None = None  # that Monday 00:00, as naive UTC
    timezone: str = "UTC"  # the person's, for the dates they read
    team_sprint_goals: list[SprintSummary] = field(default_factory=list)
    first_week: FirstWeek | None = None  # the guide's steps, while it shows
    reminders: MyReminders | None = None  # your own reminder day, time and switches (`/okr remind`)

    @property
    def unaligned_sprints(self) -> list[SprintSummary]:
        """Your teams' sprints whose goal serves no key result: they need you this week too."""
        return [sprint for sprint in self.team_sprint_goals if not sprint.aligned]


def monday_midnight_utc(now: datetime, tz: ZoneInfo | str | None) -> datetime:
    """Monday 00:00 of `now`'s week in `tz` (a zone, or its name: an unknown one is UTC), as
    naive UTC (`now` is naive UTC)."""
    tz = tz if isinstance(tz, ZoneInfo) else zone(tz)
    local = now.replace(tzinfo=UTC).astimezone(tz)
    start = datetime.combine(week_start(local.date()), time.min, tzinfo=tz)
    return start.astimezone(UTC).replace(tzinfo=None)


def team_sprint_goals(
    session: Session, workspace: Workspace, user_id: str, today: date
) -> list[SprintSummary]:
    """Your teams' current sprint goals (storage/repositories/sprints.py says whose teams):
    SprintSummary rows, each knowing whether it is aligned. Two statements."""
    return sprint_views.current_sprints_for_user(session, workspace.id, user_id, today)


def kpis_due(
    kras: list[Kra], kpis: dict[int, list[ListedKpi]], since: datetime
) -> list[tuple[ListedKpi, Kra]]:
    """The active KPIs of `kras` with no value logged since `since` (naive UTC), in the KRAs' order."""
    return [
        (kpi, kra)
        for kra in kras
        for kpi in kpis.get(kra.id, [])
        if kpi.status == Status.ACTIVE and (kpi.latest_at is None or kpi.latest_at < since)
    ]


def _first_week(
    session: Session, workspace: Workspace, user_id: str, page, now: datetime
) -> FirstWeek | None:
    """The guide's steps while it shows and the person has not hidden it (asked only then, so an
    established workspace's Home pays no statement for it)."""
    guide = review_pack.first_week(session, workspace, user_id, page.kras, page.kpis, page.total, now)
    if guide is None or preference_repo.guide_hidden(session, workspace.id, user_id):
        return None
    return guide


def home_data(
    session: Session, workspace: Workspace, user_id: str, *, now: datetime | None = None
) -> HomeData:
    now = now or stored_now()
    page = kra_repo.list_kras(session, workspace.id, owner_id=user_id, limit=HOME_KRAS)
    # Their week starts on their Monday: their zone as users.info gave it last, else the workspace's.
    tz = members.reader_zone(session, workspace, user_id)
    since = monday_midnight_utc(now, tz)

    owned = okr_repo.key_results_owned_by(session, workspace.id, user_id, limit=HOME_KEY_RESULTS)
    key_results = []
    for kr, objective in owned.items:
        expected = assessment.expected_for(assessment.cycle_of(objective, workspace), now)
        key_results.append((assessment.key_result_status(kr, expected), objective))
    latest = okr_repo.recent_checkins(session, [kr.id for kr, _ in owned.items], per_key_result=1)
    by_workflow = {kr_id for kr_id, (last, *_) in latest.items() if last.origin == BY_WORKFLOW}
    by_source = {
        kr_id: (last.origin, last.created_at)
        for kr_id, (last, *_) in latest.items()
        if last.automatic and (last.origin or "").startswith("source:")
    }
    needs = okr_repo.key_results_owned_by(
        session, workspace.id, user_id, not_checked_in_since=since, limit=HOME_NEEDS_YOU
    )
    objectives = okrs.list_objectives(
        session, workspace, owner_id=user_id, statuses=(Status.ACTIVE,), limit=HOME_OBJECTIVES, now=now
    )
    due = kpis_due(page.kras, page.kpis, since)
    return HomeData(
        user_id=user_id,
        timezone=tz.key,
        kras=page.kras,
        kpis=page.kpis,
        kra_total=page.total,
        key_results=key_results,
        key_result_total=owned.total,
        by_workflow=by_workflow,
        by_source=by_source,
        objectives=objectives.statuses,
        objective_total=objectives.total,
        needs_checkin=needs.items,
        needs_checkin_total=needs.total,
        kpis_due=due[:HOME_NEEDS_YOU],
        kpis_due_total=len(due),
        week_starts_at=since,
        team_sprint_goals=team_sprint_goals(session, workspace, user_id, now.date()),
        first_week=_first_week(session, workspace, user_id, page, now),
        reminders=preferences.my_reminders(session, workspace, user_id, now.replace(tzinfo=UTC), tz=tz),
    )


def homes_of(
    session: Session, workspace: Workspace, user_ids: list[str], *, now: datetime | None = None
) -> dict[str, HomeData]:
    """The Home of each of `user_ids` (a change touched them all), read together."""
    now = now or stored_now()
    return {user_id: home_data(session, workspace, user_id, now=now) for user_id in dict.fromkeys(user_ids)}


def hide_guide(
    session: Session, workspace: Workspace, user_id: str, *, now: datetime | None = None
) -> HomeData:
    """*Hide this guide*: the person no longer sees the first-week guide, in this workspace only;
    their Home as it is now, to publish once this commits."""
    now = now or stored_now()
    preference_repo.hide_guide(session, workspace.id, user_id, now)
    return home_data(session, workspace, user_id, now=now)
