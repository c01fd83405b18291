"""KRA review packs for performance conversations (the seeds: "the review walks through each KRA
and discusses the results"), who may have them, and what the method's other helpers need from
the database: how long KRAs have stood, and the first week's steps.

A pack is gathered into plain dataclasses in a fixed number of statements, so that it can be
laid out (blocks, Markdown, a chart) after the session is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.cycles import cycle_for
from bot.domain.first_week import FirstWeek, in_first_week
from bot.domain.progress import final_score
from bot.domain.references import RefKind, format_ref
from bot.domain.review_pack import KpiReading, Period, check_in_weeks, parse_period, read_kpi
from bot.domain.slack_text import parse_user_mention
from bot.domain.stability import changed_at_last_two_reviews, standing
from bot.errors import Forbidden, Invalid, Usage
from bot.services import assessment
from bot.services.kras import active_kras_of
from bot.services.members import member, reader_zone
from storage.models import Direction, Kra, ReviewDecision, Status, Workspace
from storage.repositories import review_pack as repo
from storage.repositories.kras import KraPage, ListedKpi

REFUSED = (
    "You can have your own review pack, the pack of someone who named you their reviewer "
    "(`/kra reviewer @you`), or, as a workspace admin, anyone's. Nothing was sent."
)


@dataclass
class KpiLine:
    ref: str
    name: str
    unit: str
    target: float
    higher_is_better: bool
    reading: KpiReading
    archived: bool = False


@dataclass
class ObjectiveLine:
    ref: str
    title: str
    cycle: str
    closed: bool
    progress: float  # 0..1 now, for an open objective
    score: float | None  # its final score, once closed
    kept: int = 0
    missed: int = 0


@dataclass
class ReviewLine:
    decision: ReviewDecision
    note: str
    reviewer_id: str
    reviewed_at: datetime


@dataclass
class KraSection:
    ref: str
    title: str
    role: str
    created_at: datetime
    archived_at: datetime | None  # inside the period, or before its end
    kpis: list[KpiLine] = field(default_factory=list)
    objectives: list[ObjectiveLine] = field(default_factory=list)
    reviews: list[ReviewLine] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return sum(o.kept for o in self.objectives)

    @property
    def missed(self) -> int:
        return sum(o.missed for o in self.objectives)


@dataclass
class ReviewPack:
    person_id: str
    person_name: str
    period: Period
    generated_at: datetime
    kras: list[KraSection] = field(default_factory=list)

    @property
    def kpi_count(self) -> int:
        return sum(len(k.kpis) for k in self.kras)


# --- who may have a pack --------------------------------------------------------------------------


def authorize(session: Session, workspace: Workspace, actor_id: str, person_id: str) -> None:
    """The person, a reviewer they named, or a workspace admin (the cached admin flag; called
    after ack())."""
    if actor_id == person_id or repo.is_reviewer(session, workspace.id, person_id, actor_id):
        return
    if member(session, workspace, actor_id).is_admin:
        return
    raise Forbidden(REFUSED)


def name_reviewer(
    session: Session, workspace: Workspace, person_id: str, reviewer_id: str, now: datetime
) -> bool:
    if reviewer_id == person_id:
        raise Invalid("You can always read your own review pack; name someone else as your reviewer.")
    return repo.add_reviewer(session, workspace.id, person_id, reviewer_id, now)


def drop_reviewer(session: Session, workspace: Workspace, person_id: str, reviewer_id: str) -> bool:
    return repo.remove_reviewer(session, workspace.id, person_id, reviewer_id)


def reviewers(session: Session, workspace: Workspace, person_id: str) -> list[str]:
    return repo.reviewers_of(session, workspace.id, person_id)


def resolve_person(session: Session, workspace: Workspace, text: str) -> str:
    """`U…`, `@U…`, `<@U…>` or a name the member cache knows (for the command line)."""
    token = text.strip()
    if mentioned := parse_user_mention(token):
        return mentioned
    bare = token.removeprefix("@")
    if bare[:1] in ("U", "W") and bare.isalnum() and bare.upper() == bare:
        return bare
    found = repo.members_named(session, workspace.id, bare)
    if len(found) == 1:
        return found[0]
    if not found:
        raise Usage(f"no one called {bare!r} is known in this workspace; give their Slack user id (U…).")
    raise Usage(f"{len(found)} people are called {bare!r}; give the Slack user id (U…) of the one you mean.")


# --- the pack ---------------------------------------------------------------------------------------


def _cycles_overlapping(period: Period, fiscal_start_month: int) -> list[str]:
    names = []
    cycle = cycle_for(period.start.date(), fiscal_start_month)
    while cycle.start_at < period.end:
        names.append(cycle.name)
        cycle = cycle.next()
    return names


@dataclass(frozen=True)
class RequestedPack:
    """A review pack as `/kra report` sends it: the pack, and the zone the asker reads its dates in."""

    pack: ReviewPack
    tz: ZoneInfo


def requested_pack(
    session: Session, workspace: Workspace, actor_id: str, person_id: str, period_text: str, now: datetime
) -> RequestedPack:
    """`/kra report`: the review pack of `person_id` over the period `period_text` names (this
    quarter by default), for the person, a reviewer they named or an admin. Usage when the
    period is not one."""
    authorize(session, workspace, actor_id, person_id)
    try:
        period = parse_period(period_text, fiscal_start_month=workspace.fiscal_year_start_month, now=now)
    except ValueError as error:
        raise Usage(str(error)) from None
    pack = build_pack(session, workspace, person_id, period, now)
    return RequestedPack(pack, reader_zone(session, workspace, actor_id))


def build_pack(
    session: Session, workspace: Workspace, person_id: str, period: Period, now: datetime
) -> ReviewPack:
    start, end = period.start, period.end
    name = repo.member_name(session, workspace.id, person_id) or person_id
    pack = ReviewPack(person_id=person_id, person_name=name, period=period, generated_at=now)
    kras = repo.kras_in_period(session, workspace.id, person_id, start, end)
    if not kras:
        return pack
    kra_ids = [k.id for k in kras]
    kpis = repo.all_kpis_of(session, kra_ids)
    kpi_ids = [k.id for k in kpis]
    inside = repo.measurements_between(session, kpi_ids, start, end)
    before = repo.values_before(session, kpi_ids, start)
    objectives = repo.objectives_in(
        session, kra_ids, _cycles_overlapping(period, workspace.fiscal_year_start_month)
    )
    key_results = repo.key_results_of(session, [o.id for o in objectives])
    checked = repo.check_in_times(
        session, [kr.id for krs in key_results.values() for kr in krs], start, min(end, now)
    )
    reviews = repo.reviews_between(session, kra_ids, start, end)

    sections: dict[int, KraSection] = {}
    for kra in kras:
        archived = kra.updated_at if kra.status != Status.ACTIVE else None
        sections[kra.id] = KraSection(
            ref=format_ref(RefKind.KRA, kra.number),
            title=kra.title,
            role=kra.role or "",
            created_at=kra.created_at,
            archived_at=archived,
            reviews=[
                ReviewLine(r.decision, r.note or "", r.reviewer_id, r.reviewed_at)
                for r in reviews.get(kra.id, [])
            ],
        )
    for kpi in kpis:
        measured = inside.get(kpi.id, [])
        dropped = kpi.status != Status.ACTIVE
        if dropped and not measured:
            continue  # a KPI dropped before the period with nothing to say about it
        if kpi.created_at is not None and kpi.created_at >= end and not measured:
            continue  # added after the period
        higher = kpi.direction == Direction.HIGHER
        reading = read_kpi(before.get(kpi.id), [m.value for m in measured], kpi.target, higher)
        sections[kpi.kra_id].kpis.append(
            KpiLine(
                format_ref(RefKind.KPI, kpi.number),
                kpi.name,
                kpi.unit or "",
                kpi.target,
                higher,
                reading,
                dropped,
            )
        )
    for objective in objectives:
        cycle = assessment.cycle_of(objective, workspace)
        krs = key_results.get(objective.id, [])
        closed = objective.status == Status.CLOSED
        status = assessment.assess(objective, krs, workspace, now)
        counted = [kr for kr in krs if kr.status != Status.ARCHIVED]
        score = final_score([(kr.final_score, kr.weight) for kr in counted]) if closed and counted else None
        line = ObjectiveLine(
            ref=format_ref(RefKind.OBJ, objective.number),
            title=objective.title,
            cycle=objective.cycle,
            closed=closed,
            progress=status.progress,
            score=score,
        )
        if cycle is not None:
            window_end = min(end, cycle.end_at, now, objective.closed_at or end)
            for kr in counted:
                window_start = max(start, cycle.start_at, kr.created_at or objective.created_at)
                kept, missed = check_in_weeks(window_start, window_end, checked.get(kr.id, []))
                line.kept += kept
                line.missed += missed
        sections[objective.kra_id].objectives.append(line)
    pack.kras = list(sections.values())
    return pack


# --- stable KRAs ----------------------------------------------------------------------------------


@dataclass
class Stability:
    standing: dict[int, str]  # KRA id → "standing 1 year 2 months"
    churning: bool  # the person's set changed at their last two reviews


@dataclass(frozen=True)
class ReviewForm:
    """`/kra review`'s form: the person's active KRAs, with their KPIs, and how stable they are."""

    page: KraPage
    stability: Stability


def review_form(session: Session, workspace: Workspace, owner_id: str, now: datetime) -> ReviewForm:
    page = active_kras_of(session, workspace, owner_id)
    return ReviewForm(page, stability(session, workspace, owner_id, page.kras, now))


def stability(
    session: Session, workspace: Workspace, owner_id: str, kras: Sequence[Kra], now: datetime
) -> Stability:
    history = repo.review_history(session, workspace.id, owner_id)
    changed = [(when, decision != ReviewDecision.KEEP) for when, decision in history]
    return Stability(
        standing={kra.id: standing(kra.created_at, now) for kra in kras},
        churning=changed_at_last_two_reviews(changed, workspace.fiscal_year_start_month),
    )


# --- the first week -------------------------------------------------------------------------------


def first_week(
    session: Session,
    workspace: Workspace,
    user_id: str,
    kras: Sequence[Kra],
    kpis: dict[int, list[ListedKpi]],
    kra_total: int,
    now: datetime,
) -> FirstWeek | None:
    """The guide's steps for this person, or None when it steps aside: the workspace is past its
    first week, or the person has done all four. `kras`/`kpis`: the Home's page of their KRAs."""
    first_kra_at, objectives, sprints, channel = repo.first_week_facts(session, workspace.id, user_id)
    if not in_first_week(first_kra_at, now):
        return None
    steps = FirstWeek.of(
        kra_count=kra_total,
        kras_without_kpis=tuple(k.number for k in kras if not kpis.get(k.id)),
        objectives_in_kra=objectives,
        sprints_serving=sprints,
        team_channel=channel,
    )
    return None if steps.complete else steps
