"""The demo's team (data.yaml) seeded through the real services: KRAs, objectives, check-ins, a sprint.

Given `now`, the same rows every time: check-in values are placed relative to how much of the
current quarter has passed, so the demo shows on-track, at-risk and off-track key results whatever
today is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.demo.data import DemoData, KeyResult
from bot.domain.cycles import Cycle, cycle_for
from bot.domain.progress import Confidence, expected_progress
from bot.forms.kra import KpiForm, KraForm
from bot.forms.okr import CheckInEntry, KeyResultForm, ObjectiveForm
from bot.forms.sprint import SprintForm
from bot.services import checkins, kras, okrs, sprints
from bot.services.home import monday_midnight_utc
from bot.services.workspaces import workspace_for
from storage.db import Database
from storage.models import Workspace
from storage.repositories import kras as kra_repo


def seed(db: Database, data: DemoData, now: datetime) -> Workspace:
    with db.session() as session:
        workspace = workspace_for(session, data.team_id)
        workspace.name = data.workspace
        kra_ids: dict[str, int] = {}
        for kra in data.kras:
            form = KraForm(
                title=kra.title,
                owner_id=kra.owner,
                role=kra.role,
                channel_id=data.channel.id,
                kpis=[
                    KpiForm(name=k.name, unit=k.unit, target=k.target, direction=k.direction)
                    for k in kra.kpis
                ],
            )
            saved = kras.create_kra(session, workspace, kra.owner, form)
            kra_ids[kra.title] = saved.kra.id
            created = kra_repo.kpis_of(session, [saved.kra.id])[saved.kra.id]
            for kpi, planned in zip(created, kra.kpis, strict=True):
                values = planned.weekly
                for weeks_ago, value in zip(range(len(values) - 1, -1, -1), values, strict=True):
                    kras.log_measurement(
                        session,
                        workspace,
                        kra.owner,
                        f"KPI-{kpi.number}",
                        value,
                        "",
                        at=now - timedelta(weeks=weeks_ago),
                    )
        objectives = _seed_okrs(session, workspace, data, kra_ids, now)
        _seed_sprint(session, workspace, data, objectives, now)
    return workspace


def _seed_okrs(
    session, workspace: Workspace, data: DemoData, kra_ids: dict[str, int], now: datetime
) -> list[okrs.Saved]:
    cycle = cycle_for(now.date(), workspace.fiscal_year_start_month)
    created: dict[str, okrs.Saved] = {}
    for plan in data.objectives:
        form = ObjectiveForm(
            title=plan.title,
            owner_id=plan.owner,
            cycle=cycle.name,
            channel_id=data.channel.id,
            kra_id=kra_ids[plan.kra],
            parent_id=created[plan.parent].objective.id if plan.parent is not None else None,
            key_results=[
                KeyResultForm(
                    row=row,
                    title=kr.title,
                    milestone=kr.milestone,
                    start=kr.start,
                    target=kr.target,
                    unit=kr.unit,
                    owner_id=kr.owner,
                )
                for row, kr in enumerate(plan.key_results, start=1)
            ],
        )
        saved = okrs.create_objective(session, workspace, plan.owner, form)
        saved.objective.created_at = min(now, cycle.start_at)
        created[plan.title] = saved
        for kr, kr_plan in zip(saved.key_results, plan.key_results, strict=True):
            _check_in(session, workspace, kr.number, kr.id, kr_plan, cycle, data.history_weeks, now)
    return list(created.values())


def _seed_sprint(
    session, workspace: Workspace, data: DemoData, objectives: list[okrs.Saved], now: datetime
) -> None:
    number_of = {kr.title: kr.number for saved in objectives for kr in saved.key_results}
    starts_on = now.date() - timedelta(days=4)
    form = SprintForm(
        name=data.sprint.name,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=13),
        goal=data.sprint.goal,
        key_result_numbers=[number_of[title] for title in data.sprint.serves],
    )
    sprints.start_sprint(
        session, workspace, data.sprint.started_by, data.channel.id, form, now=now - timedelta(days=4)
    )


def _step(value: float, step: float) -> float:
    return round(round(value / step) * step, 6)


def _weeks_back(latest: datetime, cycle: Cycle, weeks: int) -> list[datetime]:
    """Weekly check-in times, oldest first, ending at `latest`, none before the cycle began."""
    times = [latest - timedelta(weeks=k) for k in range(weeks)]
    return sorted(t for t in times if t > cycle.start_at)


def _line_value(value: float) -> str:
    return f"{value:g}"


def _check_in(
    session,
    workspace: Workspace,
    kr_number: int,
    kr_id: int,
    plan: KeyResult,
    cycle: Cycle,
    weeks: int,
    now: datetime,
):
    """Weekly check-ins from the cycle's start up to the latest one; the latest as `/okr checkin KR-n …`."""
    monday = monday_midnight_utc(now, workspace.timezone)
    this_week = now - min(timedelta(hours=3), now - monday)
    latest = this_week if plan.this_week else this_week - timedelta(weeks=1)
    times = _weeks_back(latest, cycle, weeks)
    if not times:
        return  # the quarter has only just begun: "no check-in yet" is part of the story too
    span = (latest - cycle.start_at).total_seconds() or 1.0
    final = min(1.0, max(0.0, expected_progress(now, cycle.start_at, cycle.end_at) + plan.offset))
    for index, moment in enumerate(times):
        last = index == len(times) - 1
        if plan.milestone:
            # Done two check-ins ago once half the quarter has passed; until then, in progress.
            done = final >= 0.5 and index >= len(times) - 2
            value = 1.0 if done else 0.0
        else:
            wiggle = 0.0 if last else (0.03 if index % 2 else -0.02)
            progress = max(0.0, final * (moment - cycle.start_at).total_seconds() / span + wiggle)
            value = _step(plan.start + progress * (plan.target - plan.start), plan.step)
        if last:
            note = plan.pending_note if plan.milestone and not value else plan.note
            text = f"KR-{kr_number} {'done' if plan.milestone and value else _line_value(value)}"
            text += f" {plan.confidence.value.replace('_', '-')} {note}".rstrip()
            checkins.check_in_line(session, workspace, plan.owner, text, now=moment)
        else:
            note = plan.earlier_note if index == len(times) - 3 else ""
            entry = CheckInEntry(key_result_id=kr_id, value=value, confidence=Confidence.ON_TRACK, note=note)
            checkins.record(session, workspace, plan.owner, [entry], now=moment, field_errors=False)
