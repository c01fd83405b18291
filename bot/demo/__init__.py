"""`northline demo`: a small product team in a fresh SQLite file, shown as text. No Slack needed.

The team is data (data.yaml, read and checked by data.py), seeded through the real services
(seed.py) and shown through the real message builders, turned into text by bot.ui.text: its
blocks_to_text, then for_terminal. Given `now`, the output is the same every time.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.demo.data import DemoData, DemoDataError, load
from bot.demo.seed import seed
from bot.domain.clock import as_stored, stored_now
from bot.jobs import digest
from bot.services import assessment, home, okrs, sprints
from bot.services.workspaces import workspace_for
from bot.ui import digest as digest_ui
from bot.ui import kra as kra_ui
from bot.ui import okr as okr_ui
from bot.ui import sprint as sprint_ui
from bot.ui.chart import render_history_png
from bot.ui.home import home_view
from bot.ui.text import blocks_to_text, for_terminal
from storage.db import Database, upgrade
from storage.models import Workspace
from storage.repositories import kras as kra_repo

__all__ = ["CHART_FILE", "DemoDataError", "run_demo"]

CHART_FILE = "progress-chart.png"


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        return stored_now()
    return as_stored(now).replace(microsecond=0)


def _section(title: str, body: str) -> list[str]:
    return [title, "─" * len(title), for_terminal(body), ""]


def run_demo(path: str | None = None, now: datetime | None = None) -> str:
    """Seed a demo workspace as of `now` (naive UTC; default: now) and return what it shows, as text."""
    now = _naive_utc(now)
    data = load()  # a broken data file stops the demo before it writes anything
    folder = Path(path) if path else Path(tempfile.mkdtemp(prefix="northline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_file = folder / "northline-demo.db"
    database_file.unlink(missing_ok=True)
    url = f"sqlite:///{database_file}"
    upgrade(url)
    db = Database.from_url(url)
    try:
        workspace = seed(db, data, now)
        people = data.people.values()
        out = [
            f"Northline demo: {workspace.name}, {len(people)} people ({', '.join(people)}) "
            f"in #{data.channel.name}, as of {now:%a %-d %b %Y %H:%M} UTC",
            f"Database: {database_file}",
            "",
        ]
        with db.session() as session:
            workspace = workspace_for(session, data.team_id)
            names = _names(data)
            out += _kra_list(session, workspace, names)
            out += _okr_list(session, workspace, now, names)
            out += _okr_show(session, workspace, now, names, "OBJ-4")
            out += _home(session, workspace, now, data)
            out += _sprint_show(session, workspace, now, data)
            out += _digest(session, workspace, now, data, folder / CHART_FILE)
    finally:
        db.dispose()
    return "\n".join(out).rstrip() + "\n"


def _names(data: DemoData) -> dict[str, str]:
    """How mentions read: people by name, the channel by its name."""
    return {**data.people, data.channel.id: data.channel.name}


def _kra_list(session, workspace: Workspace, names: dict[str, str]) -> list[str]:
    page = kra_repo.list_kras(session, workspace.id)
    answer = kra_ui.kra_list("All KRAs", page.kras, page.kpis, page.total)
    return _section("$ /kra list all", blocks_to_text(answer["blocks"], names))


def _okr_list(session, workspace: Workspace, now: datetime, names: dict[str, str]) -> list[str]:
    cycle = assessment.current_cycle(workspace, now).name
    result = okrs.list_objectives(session, workspace, cycle=cycle, now=now)
    answer = okr_ui.objective_list(f"All objectives · {cycle}", result, cycle=cycle, command="/okr list")
    return _section("$ /okr list all", blocks_to_text(answer["blocks"], names))


def _okr_show(
    session, workspace: Workspace, now: datetime, names: dict[str, str], reference: str
) -> list[str]:
    """One objective up close: where it fits (KRA → parent objective → it), trends, sprints."""
    objective = okrs.find_objective(session, workspace, reference)
    answer = okr_ui.objective_detail(okrs.objective_detail(session, workspace, objective, now=now))
    return _section(f"$ /okr show {reference}", blocks_to_text(answer["blocks"], names))


def _home(session, workspace: Workspace, now: datetime, data: DemoData) -> list[str]:
    view = home_view(home.home_data(session, workspace, data.home_of, now=now))
    title = f"App Home of {data.people[data.home_of]}"
    return _section(title, blocks_to_text(view["blocks"], _names(data)))


def _sprint_show(session, workspace: Workspace, now: datetime, data: DemoData) -> list[str]:
    detail = sprints.find_current(session, workspace, data.channel.id)
    today: date = now.date()
    answer = sprint_ui.sprint_show(detail, sprints.standings_of(detail, workspace, now), today)
    title = f"$ /sprint show (in #{data.channel.name})"
    return _section(title, blocks_to_text(answer["blocks"], _names(data)))


def _digest(session, workspace: Workspace, now: datetime, data: DemoData, chart_file: Path) -> list[str]:
    tz = ZoneInfo(workspace.timezone or "UTC")
    names = _names(data)
    posted = digest.digest_data(session, workspace, data.channel.id, tz, now.replace(tzinfo=UTC))
    parent = blocks_to_text(digest_ui.digest_parent(posted)["blocks"], names)
    replies = [blocks_to_text(m["blocks"], names) for m in digest_ui.digest_thread(posted)]
    thread = "\n  │\n".join(
        "\n".join(f"  │ {line}".rstrip() for line in reply.splitlines()) for reply in replies
    )
    chart = digest.chart_of(posted)
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
    title = f"Weekly digest in #{data.channel.name} (Friday {digest.DEFAULT_TIME})"
    return _section(title, "\n".join(lines))
