"""Bulk data for statement-count tests and benchmarks, inserted in a few statements."""

from __future__ import annotations

from sqlalchemy import insert

from bot.services.workspaces import workspace_for
from storage.db import Database
from storage.models import Kpi, Kra, RefCounter
from tests.conftest import ALICE, BOB, CAROL, TEAM

OWNERS = (ALICE, BOB, CAROL)


def seed_kras(db: Database, count: int, kpis_per_kra: int = 3, team_id: str = TEAM, first: int = 1) -> int:
    """KRAs numbered first … first+count−1, each with `kpis_per_kra` KPIs."""
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        kras = [
            {"workspace_id": workspace.id, "number": n, "title": f"Area {n}", "owner_id": OWNERS[n % 3],
             "created_by": OWNERS[n % 3], "description": "", "role": ""}
            for n in range(first, first + count)
        ]
        session.execute(insert(Kra), kras)
        ids = dict(session.execute(Kra.__table__.select().with_only_columns(Kra.number, Kra.id)).all())
        kpis = [
            {"workspace_id": workspace.id, "kra_id": ids[n], "number": (n - 1) * kpis_per_kra + k + 1,
             "name": f"Metric {k}", "target": 100.0, "position": k, "unit": "%", "latest_value": 40.0 + k}
            for n in range(first, first + count)
            for k in range(kpis_per_kra)
        ]
        if kpis:
            session.execute(insert(Kpi), kpis)
        last = first + count - 1
        for kind, number in (("KRA", last), ("KPI", last * kpis_per_kra)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id
