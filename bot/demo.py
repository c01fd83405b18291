"""`northline demo`: a small product team in a fresh SQLite file, shown as text. No Slack needed.

Everything is seeded through the real services (KRAs, objectives, check-ins, a sprint) and shown
through the real message builders, turned into text by bot.ui.text.blocks_to_text. Given `now`,
the output is the same every time: check-in values are placed relative to how much of the current
quarter has passed, so the demo shows on-track, at-risk and off-track key results whatever today is.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.clock import as_stored, stored_now
from bot.domain.cycles import Cycle, cycle_for
from bot.domain.progress import Confidence, expected_progress
from bot.forms.kra import KpiForm, KraForm
from bot.forms.okr import CheckInEntry, KeyResultForm, ObjectiveForm
from bot.forms.sprint import SprintForm
from bot.jobs import digest
from bot.services import assessment, checkins, home, kras, okrs, sprints
from bot.services.home import monday_midnight_utc
from bot.services.workspaces import workspace_for
from bot.ui import digest as digest_ui
from bot.ui import kra as kra_ui
from bot.ui import okr as okr_ui
from bot.ui import sprint as sprint_ui
from bot.ui.chart import render_history_png
from bot.ui.home import home_view
from bot.ui.text import blocks_to_text
from storage.db import Database, upgrade
from storage.models import Direction, Workspace
from storage.repositories import kras as kra_repo

TEAM_ID = "TDEMO0001"
PEOPLE = {
    "UDEMOMAYA": "Maya",
    "UDEMOLEO": "Leo",
    "UDEMOSAM": "Sam",
    "UDEMOIDA": "Ida",
}
CHANNEL = "CDEMOPROD"
CHANNEL_NAME = "product-team"
NAMES = {**PEOPLE, CHANNEL: CHANNEL_NAME}
HOME_OF = "UDEMOMAYA"
CHART_FILE = "progress-chart.png"

# (owner, title, role, [(kpi name, unit, target, direction, weekly values oldest first)])
KRAS = [
    (
        "UDEMOMAYA",
        "Customer value delivered",
        "Product lead",
        [
            ("Weekly active teams", "", 400, Direction.HIGHER, [310, 322, 335, 341, 356, 362]),
            ("Feature adoption", "%", 40, Direction.HIGHER, [22, 24, 27, 29, 31, 33]),
        ],
    ),
    (
        "UDEMOMAYA",
        "Product strategy and roadmap",
        "Product lead",
        [
            ("Roadmap items shipped on time", "%", 80, Direction.HIGHER, [60, 62, 70, 65, 72, 75]),
        ],
    ),
    (
        "UDEMOMAYA",
        "Stakeholder alignment",
        "Product lead",
        [
            ("Stakeholder satisfaction", "", 4.5, Direction.HIGHER, [3.9, 4.0, 4.0, 4.1, 4.2, 4.2]),
        ],
    ),
    (
        "UDEMOLEO",
        "Platform reliability",
        "Engineering lead",
        [
            ("Uptime", "%", 99.9, Direction.HIGHER, [99.5, 99.7, 99.8, 99.6, 99.9, 99.95]),
            ("Time to restore", "h", 1, Direction.LOWER, [4, 3.5, 3, 2, 1.5, 1.2]),
        ],
    ),
    (
        "UDEMOLEO",
        "Delivery speed",
        "Engineering lead",
        [
            ("Lead time for changes", "days", 2, Direction.LOWER, [6, 5.5, 5, 4, 3.5, 3]),
        ],
    ),
    (
        "UDEMOSAM",
        "Customer satisfaction",
        "Support lead",
        [
            ("NPS", "", 50, Direction.HIGHER, [31, 33, 36, 38, 41, 44]),
            ("First response time", "h", 6, Direction.LOWER, [24, 20, 16, 12, 10, 8]),
        ],
    ),
    (
        "UDEMOIDA",
        "Design quality",
        "Designer",
        [
            ("Usability test success rate", "%", 90, Direction.HIGHER, [70, 74, 78, 80, 83, 85]),
        ],
    ),
]


@dataclass(frozen=True)
class KrPlan:
    """A key result and the story its check-ins tell.

    `offset`: its progress at its latest check-in minus the cycle's expected progress today
    (docs/commands.md, *Pace*: on track ≥ −0.10, at risk down to −0.25, off track below), so the pace it shows
    holds whatever day of the quarter the demo runs. `this_week`: checked in since Monday.
    """

    title: str
    owner: str
    start: float = 0.0
    target: float = 1.0
    unit: str = ""
    step: float = 1.0  # values are rounded to this, like a person would type them
    offset: float = 0.0
    confidence: Confidence = Confidence.ON_TRACK
    note: str = ""
    earlier_note: str = ""
    pending_note: str = ""  # a milestone's note while it is not done yet
    this_week: bool = True
    milestone: bool = False


@dataclass(frozen=True)
class ObjectivePlan:
    title: str
    owner: str
    kra: str  # the seeded KRA's title
    key_results: tuple[KrPlan, ...]
    parent: int | None = None  # index into OBJECTIVES


ON, AT_RISK, OFF = Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK

OBJECTIVES = [
    ObjectivePlan(
        "Make onboarding effortless for new teams",
        "UDEMOMAYA",
        "Customer value delivered",
        (
            KrPlan(
                "Grow weekly active teams from 340 to 420",
                "UDEMOMAYA",
                340,
                420,
                step=1,
                offset=0.05,
                note="Two agencies brought 30 teams between them",
                earlier_note="Referral banner is live",
            ),
            KrPlan(
                "Raise 7-day activation from 25% to 45%",
                "UDEMOMAYA",
                25,
                45,
                "%",
                step=1,
                offset=-0.17,
                confidence=ON,
                this_week=False,
                note="The new setup checklist ships this sprint; expect a jump",
            ),
            KrPlan(
                "Self-serve onboarding live for every new sign-up",
                "UDEMOIDA",
                milestone=True,
                note="Rolled out to 100% of sign-ups",
                pending_note="Beta with five teams; launch on schedule",
            ),
        ),
    ),
    ObjectivePlan(
        "Customers get fast, friendly help",
        "UDEMOSAM",
        "Customer satisfaction",
        (
            KrPlan(
                "Cut first response time from 24 h to 6 h",
                "UDEMOSAM",
                24,
                6,
                "h",
                step=0.5,
                offset=-0.17,
                confidence=AT_RISK,
                note="Two agents out this week; a triage rota starts Monday",
                earlier_note="Moved the EU queue to the morning shift",
            ),
            KrPlan(
                "Lift NPS from 35 to 50",
                "UDEMOSAM",
                35,
                50,
                step=1,
                offset=0.02,
                confidence=AT_RISK,
                this_week=False,
                note="Score is up, but complaints about billing doubled",
            ),
            KrPlan(
                "Answer 30% of tickets with help-center articles",
                "UDEMOIDA",
                10,
                30,
                "%",
                step=1,
                offset=-0.35,
                confidence=OFF,
                note="Article search is broken on mobile",
            ),
        ),
    ),
    ObjectivePlan(
        "A platform customers can rely on",
        "UDEMOLEO",
        "Platform reliability",
        (
            KrPlan(
                "Raise uptime from 99.5% to 99.9%",
                "UDEMOLEO",
                99.5,
                99.9,
                "%",
                step=0.01,
                offset=0.05,
                note="No incidents since the database failover drill",
            ),
            KrPlan(
                "Bring p95 page load from 3.2 s to 1.5 s",
                "UDEMOLEO",
                3.2,
                1.5,
                "s",
                step=0.1,
                offset=-0.32,
                confidence=OFF,
                note="The CDN migration slipped two weeks",
            ),
        ),
    ),
    ObjectivePlan(
        "Onboarding that explains itself",
        "UDEMOIDA",
        "Design quality",
        parent=0,
        key_results=(
            KrPlan(
                "Usability test success from 70% to 90%",
                "UDEMOIDA",
                70,
                90,
                "%",
                step=1,
                offset=0.0,
                note="8 of 10 testers finished setup unaided",
            ),
            KrPlan(
                "Cut setup-wizard drop-off from 40% to 15%",
                "UDEMOIDA",
                40,
                15,
                "%",
                step=1,
                offset=-0.18,
                confidence=AT_RISK,
                note="Step 3 (invite teammates) still loses a third of people",
            ),
        ),
    ),
]

SPRINT_NAME = "Sprint 1"
SPRINT_GOAL = "Ship the setup checklist and start the support triage rota"
SPRINT_SERVES = ((0, 1), (1, 0))  # (objective, key result) indices: 7-day activation, first response time
HISTORY_WEEKS = 14  # a whole quarter of weekly check-ins


def _step(value: float, step: float) -> float:
    return round(round(value / step) * step, 6)


def _weeks_back(latest: datetime, cycle: Cycle) -> list[datetime]:
    """Weekly check-in times, oldest first, ending at `latest`, none before the cycle began."""
    times = [latest - timedelta(weeks=k) for k in range(HISTORY_WEEKS)]
    return sorted(t for t in times if t > cycle.start_at)


def _line_value(value: float) -> str:
    return f"{value:g}"


def _check_in(
    session, workspace: Workspace, kr_number: int, kr_id: int, plan: KrPlan, cycle: Cycle, now: datetime
):
    """Weekly check-ins from the cycle's start up to the latest one; the latest as `/okr checkin KR-n …`."""
    monday = monday_midnight_utc(now, workspace.timezone)
    this_week = now - min(timedelta(hours=3), now - monday)
    latest = this_week if plan.this_week else this_week - timedelta(weeks=1)
    times = _weeks_back(latest, cycle)
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
            entry = CheckInEntry(key_result_id=kr_id, value=value, confidence=ON, note=note)
            checkins.record(session, workspace, plan.owner, [entry], now=moment, field_errors=False)


def seed(db: Database, now: datetime) -> Workspace:
    with db.session() as session:
        workspace = workspace_for(session, TEAM_ID)
        workspace.name = "Acme Product (demo)"
        kra_ids: dict[str, int] = {}
        for owner, title, role, kpis in KRAS:
            form = KraForm(
                title=title,
                owner_id=owner,
                role=role,
                channel_id=CHANNEL,
                kpis=[KpiForm(name=n, unit=u, target=t, direction=d) for n, u, t, d, _ in kpis],
            )
            saved = kras.create_kra(session, workspace, owner, form)
            kra_ids[title] = saved.kra.id
            created = kra_repo.kpis_of(session, [saved.kra.id])[saved.kra.id]
            for kpi, (*_, values) in zip(created, kpis, strict=True):
                for weeks_ago, value in zip(range(len(values) - 1, -1, -1), values, strict=True):
                    kras.log_measurement(
                        session,
                        workspace,
                        owner,
                        f"KPI-{kpi.number}",
                        value,
                        "",
                        at=now - timedelta(weeks=weeks_ago),
                    )
        objectives = seed_okrs(session, workspace, kra_ids, now)
        seed_sprint(session, workspace, objectives, now)
    return workspace


def seed_okrs(session, workspace: Workspace, kra_ids: dict[str, int], now: datetime) -> list[okrs.Saved]:
    cycle = cycle_for(now.date(), workspace.fiscal_year_start_month)
    created = []
    for plan in OBJECTIVES:
        form = ObjectiveForm(
            title=plan.title,
            owner_id=plan.owner,
            cycle=cycle.name,
            channel_id=CHANNEL,
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
        created.append(saved)
        for kr, kr_plan in zip(saved.key_results, plan.key_results, strict=True):
            _check_in(session, workspace, kr.number, kr.id, kr_plan, cycle, now)
    return created


def seed_sprint(session, workspace: Workspace, objectives: list[okrs.Saved], now: datetime) -> None:
    numbers = [objectives[o].key_results[k].number for o, k in SPRINT_SERVES]
    starts_on = now.date() - timedelta(days=4)
    form = SprintForm(
        name=SPRINT_NAME,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=13),
        goal=SPRINT_GOAL,
        key_result_numbers=numbers,
    )
    sprints.start_sprint(session, workspace, "UDEMOMAYA", CHANNEL, form, now=now - timedelta(days=4))


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        return stored_now()
    return as_stored(now).replace(microsecond=0)


# Slack shows these shortcodes as emoji; a terminal shows them as emoji too, not as `:red_circle:`.
EMOJI = {
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "red_circle": "🔴",
    "white_circle": "⚪",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "dart": "🎯",
    "link": "🔗",
    "tada": "🎉",
    "bulb": "💡",
    "compass": "🧭",
    "rocket": "🚀",
}
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
_ITALIC = re.compile(r"(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])")


def readable(text: str) -> str:
    """What blocks_to_text leaves of Slack's markup, tidied for a terminal: emoji, no _italics_."""
    text = _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return _ITALIC.sub(r"\1", text)


def _section(title: str, body: str) -> list[str]:
    return [title, "─" * len(title), readable(body), ""]


def run_demo(path: str | None = None, now: datetime | None = None) -> str:
    """Seed a demo workspace as of `now` (naive UTC; default: now) and return what it shows, as text."""
    now = _naive_utc(now)
    folder = Path(path) if path else Path(tempfile.mkdtemp(prefix="northline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_file = folder / "northline-demo.db"
    database_file.unlink(missing_ok=True)
    url = f"sqlite:///{database_file}"
    upgrade(url)
    db = Database.from_url(url)
    try:
        workspace = seed(db, now)
        out = [
            f"Northline demo: {workspace.name}, {len(PEOPLE)} people ({', '.join(PEOPLE.values())}) "
            f"in #{CHANNEL_NAME}, as of {now:%a %-d %b %Y %H:%M} UTC",
            f"Database: {database_file}",
            "",
        ]
        with db.session() as session:
            workspace = workspace_for(session, TEAM_ID)
            out += _kra_list(session, workspace)
            out += _okr_list(session, workspace, now)
            out += _okr_show(session, workspace, now, "OBJ-4")
            out += _home(session, workspace, now)
            out += _sprint_show(session, workspace, now)
            out += _digest(session, workspace, now, folder / CHART_FILE)
    finally:
        db.dispose()
    return "\n".join(out).rstrip() + "\n"


def _kra_list(session, workspace: Workspace) -> list[str]:
    page = kra_repo.list_kras(session, workspace.id)
    answer = kra_ui.kra_list("All KRAs", page.kras, page.kpis, page.total)
    return _section("$ /kra list all", blocks_to_text(answer["blocks"], NAMES))


def _okr_list(session, workspace: Workspace, now: datetime) -> list[str]:
    cycle = assessment.current_cycle(workspace, now).name
    result = okrs.list_objectives(session, workspace, cycle=cycle, now=now)
    answer = okr_ui.objective_list(f"All objectives · {cycle}", result, cycle=cycle, command="/okr list")
    return _section("$ /okr list all", blocks_to_text(answer["blocks"], NAMES))


def _okr_show(session, workspace: Workspace, now: datetime, reference: str) -> list[str]:
    """One objective up close: where it fits (KRA → parent objective → it), trends, sprints."""
    objective = okrs.find_objective(session, workspace, reference)
    answer = okr_ui.objective_detail(okrs.objective_detail(session, workspace, objective, now=now))
    return _section(f"$ /okr show {reference}", blocks_to_text(answer["blocks"], NAMES))


def _home(session, workspace: Workspace, now: datetime) -> list[str]:
    view = home_view(home.home_data(session, workspace, HOME_OF, now=now))
    return _section(f"App Home of {PEOPLE[HOME_OF]}", blocks_to_text(view["blocks"], NAMES))


def _sprint_show(session, workspace: Workspace, now: datetime) -> list[str]:
    detail = sprints.find_current(session, workspace, CHANNEL)
    today: date = now.date()
    answer = sprint_ui.sprint_show(detail, sprints.standings_of(detail, workspace, now), today)
    return _section(f"$ /sprint show (in #{CHANNEL_NAME})", blocks_to_text(answer["blocks"], NAMES))


def _digest(session, workspace: Workspace, now: datetime, chart_file: Path) -> list[str]:
    tz = ZoneInfo(workspace.timezone or "UTC")
    data = digest.digest_data(session, workspace, CHANNEL, tz, now.replace(tzinfo=UTC))
    parent = blocks_to_text(digest_ui.digest_parent(data)["blocks"], NAMES)
    replies = [blocks_to_text(m["blocks"], NAMES) for m in digest_ui.digest_thread(data)]
    thread = "\n  │\n".join(
        "\n".join(f"  │ {line}".rstrip() for line in reply.splitlines()) for reply in replies
    )
    chart = digest.chart_of(data)
    lines = [
        f"(posted every Friday at {digest.DEFAULT_TIME}, {tz.key}; shown here as it would read today)",
        "",
        parent,
        "",
        f"↳ {len(replies)} {'reply' if len(replies) == 1 else 'replies'} in its thread:",
        thread,
    ]
    if chart is not None:
        chart_file.write_bytes(render_history_png(chart))
        lines += [
            "  │",
            "  │ (the progress chart, as an image: see below)",
            "",
            f"Progress chart: {chart_file}",
        ]
    return _section(f"Weekly digest in #{CHANNEL_NAME} (Friday {digest.DEFAULT_TIME})", "\n".join(lines))
