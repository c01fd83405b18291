"""`northline demo`: a small product team in a fresh SQLite file, shown as text. No Slack needed."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from bot.forms.kra import KpiForm, KraForm
from bot.services import home, kras
from bot.services.workspaces import workspace_for
from bot.ui import kra as kra_ui
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
NAMES = {**PEOPLE, CHANNEL: "product-team"}

# (owner, title, role, [(kpi name, unit, target, direction, weekly values oldest first)])
KRAS = [
    ("UDEMOMAYA", "Customer value delivered", "Product lead", [
        ("Weekly active teams", "", 400, Direction.HIGHER, [310, 322, 335, 341, 356, 362]),
        ("Feature adoption", "%", 40, Direction.HIGHER, [22, 24, 27, 29, 31, 33]),
    ]),
    ("UDEMOMAYA", "Product strategy and roadmap", "Product lead", [
        ("Roadmap items shipped on time", "%", 80, Direction.HIGHER, [60, 62, 70, 65, 72, 75]),
    ]),
    ("UDEMOMAYA", "Stakeholder alignment", "Product lead", [
        ("Stakeholder satisfaction", "", 4.5, Direction.HIGHER, [3.9, 4.0, 4.0, 4.1, 4.2, 4.2]),
    ]),
    ("UDEMOLEO", "Platform reliability", "Engineering lead", [
        ("Uptime", "%", 99.9, Direction.HIGHER, [99.5, 99.7, 99.8, 99.6, 99.9, 99.95]),
        ("Time to restore", "h", 1, Direction.LOWER, [4, 3.5, 3, 2, 1.5, 1.2]),
    ]),
    ("UDEMOLEO", "Delivery speed", "Engineering lead", [
        ("Lead time for changes", "days", 2, Direction.LOWER, [6, 5.5, 5, 4, 3.5, 3]),
    ]),
    ("UDEMOSAM", "Customer satisfaction", "Support lead", [
        ("NPS", "", 50, Direction.HIGHER, [31, 33, 36, 38, 41, 44]),
        ("First response time", "h", 6, Direction.LOWER, [24, 20, 16, 12, 10, 8]),
    ]),
    ("UDEMOIDA", "Design quality", "Designer", [
        ("Usability test success rate", "%", 90, Direction.HIGHER, [70, 74, 78, 80, 83, 85]),
    ]),
]


def seed(db: Database, now: datetime) -> Workspace:
    with db.session() as session:
        workspace = workspace_for(session, TEAM_ID)
        workspace.name = "Acme Product (demo)"
        for owner, title, role, kpis in KRAS:
            form = KraForm(
                title=title,
                owner_id=owner,
                role=role,
                channel_id=CHANNEL,
                kpis=[KpiForm(name=n, unit=u, target=t, direction=d) for n, u, t, d, _ in kpis],
            )
            saved = kras.create_kra(session, workspace, owner, form)
            created = kra_repo.kpis_of(session, [saved.kra.id])[saved.kra.id]
            for kpi, (*_, values) in zip(created, kpis, strict=True):
                for weeks_ago, value in zip(range(len(values) - 1, -1, -1), values, strict=True):
                    kras.log_measurement(
                        session, None, workspace, owner, f"KPI-{kpi.number}", value, "",
                        at=now - timedelta(weeks=weeks_ago),
                    )
    return workspace


def run_demo(path: str | None = None, now: datetime | None = None) -> str:
    now = now or datetime.now().replace(microsecond=0)
    folder = Path(path) if path else Path(tempfile.mkdtemp(prefix="northline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_file = folder / "northline-demo.db"
    database_file.unlink(missing_ok=True)
    url = f"sqlite:///{database_file}"
    upgrade(url)
    db = Database.from_url(url)
    workspace = seed(db, now)
    out = [f"Northline demo: {workspace.name}, {len(PEOPLE)} people, in {database_file}", ""]
    with db.session() as session:
        page = kra_repo.list_kras(session, workspace.id)
        answer = kra_ui.kra_list("All KRAs", page.kras, page.kpis, page.total)
        out += ["$ /kra list all", blocks_to_text(answer["blocks"], NAMES), ""]
        person = "UDEMOMAYA"
        view = home_view(home.home_data(session, workspace, person))
        out += [f"App Home of {PEOPLE[person]}", blocks_to_text(view["blocks"], NAMES)]
    db.dispose()
    return "\n".join(out)
