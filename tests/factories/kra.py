"""KRAs, their KPIs, measurements and reviews: through Slack's modal, through the service, or as rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert

from bot.forms.kra import KpiForm, KraForm
from bot.ids import Action, Block, Callback
from bot.services import kras as kra_service
from bot.services.workspaces import workspace_for
from storage.db import Database
from storage.models import Kpi, KpiMeasurement, Kra, KraReview, RefCounter
from tests.conftest import ALICE, TEAM
from tests.factories.answers import opened_view
from tests.factories.rows import added
from tests.factories.workspaces import OWNERS


def kra_values(title="Customer satisfaction", owner=ALICE, kpis=(("NPS", "50", ""),), **extra) -> dict:
    values = {Block.KRA_TITLE: title, Block.KRA_OWNER: owner}
    for n, (name, target, unit) in enumerate(kpis, start=1):
        values[Block.KPI_NAME.of(n=n)] = name
        values[Block.KPI_TARGET.of(n=n)] = target
        values[Block.KPI_UNIT.of(n=n)] = unit
    values.update(extra)
    return values


def make_kra_via_slack(slack, emulator, user=ALICE, team=TEAM, **values) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/kra", "add", user_id=user, team_id=team)
    view = opened_view(emulator, Callback.KRA_NEW, count=before + 1)
    filled = kra_values(**values)
    options = any(str(key).endswith("_direction") for key in filled)
    view = grow_kra_form(
        slack, emulator, view, len(values.get("kpis", ((),))), user=user, team=team, options=options
    )
    response = slack.submit_view(view, filled, user_id=user, team_id=team)
    assert response.status == 200, response.text
    assert not response.body or "errors" not in response.json(), response.text
    return view


def grow_kra_form(slack, emulator, view: dict, kpis: int, *, user=ALICE, team=TEAM, options=False) -> dict:
    """The New KRA form (as opened), grown with *Add KPI* until it shows `kpis` KPI groups, then
    *More options* (each KPI's direction) if `options`; as Slack holds it (with its id and hash)."""
    full = emulator.resolve_view(view, user_id=user)
    for action in [Action.ADD_KPI] * (kpis - 1) + ([Action.KPI_MORE_OPTIONS] if options else []):
        updates = len(emulator.calls_to("views.update"))
        slack.action(action, view=full, user_id=user, team_id=team)
        emulator.wait_for("views.update", count=updates + 1)
        full = emulator.view(full["id"])
    return full


def make_kra_via_service(db, team_id: str = TEAM, owner: str = ALICE) -> tuple[int, list[int]]:
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        form = KraForm(
            title="Customer satisfaction",
            owner_id=owner,
            kpis=[
                KpiForm(name="NPS", unit="", target=50.0),
                KpiForm(name="First response", unit="h", target=4.0),
            ],
        )
        saved = kra_service.create_kra(session, workspace, owner, form)
        session.flush()
        from storage.repositories import kras as repo

        kpis = repo.kpis_of(session, [saved.kra.id]).get(saved.kra.id, [])
        return saved.kra.number, [k.number for k in kpis]


def make_kra_row(session, workspace_id: int, number: int, title: str, owner: str, **fields) -> Kra:
    return added(
        session,
        Kra(
            workspace_id=workspace_id, number=number, title=title, owner_id=owner, created_by=owner, **fields
        ),
    )


def make_kpi_row(session, kra: Kra, number: int, name: str, **fields) -> Kpi:
    return added(
        session, Kpi(workspace_id=kra.workspace_id, kra_id=kra.id, number=number, name=name, **fields)
    )


def make_measurement_row(session, kpi: Kpi, author: str, value: float, **fields) -> None:
    session.add(
        KpiMeasurement(workspace_id=kpi.workspace_id, kpi_id=kpi.id, value=value, author_id=author, **fields)
    )


def make_measurement_rows(session, kpi: Kpi, author: str, values: Iterable[tuple[datetime, float]]) -> None:
    """One measurement of `kpi` per (when, value)."""
    for when, value in values:
        make_measurement_row(session, kpi, author, value, measured_at=when)


def make_kra_review_row(
    session, kra: Kra, decision, reviewer: str, reviewed_at: datetime, note: str = ""
) -> None:
    session.add(
        KraReview(
            workspace_id=kra.workspace_id,
            kra_id=kra.id,
            decision=decision,
            note=note,
            reviewer_id=reviewer,
            reviewed_at=reviewed_at,
        )
    )


def make_kras(db: Database, count: int, kpis_per_kra: int = 3, team_id: str = TEAM, first: int = 1) -> int:
    """KRAs numbered first … first+count−1, each with `kpis_per_kra` KPIs."""
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        kras = [
            {
                "workspace_id": workspace.id,
                "number": n,
                "title": f"Area {n}",
                "owner_id": OWNERS[n % 3],
                "created_by": OWNERS[n % 3],
                "description": "",
                "role": "",
            }
            for n in range(first, first + count)
        ]
        session.execute(insert(Kra), kras)
        ids = dict(session.execute(Kra.__table__.select().with_only_columns(Kra.number, Kra.id)).all())
        kpis = [
            {
                "workspace_id": workspace.id,
                "kra_id": ids[n],
                "number": (n - 1) * kpis_per_kra + k + 1,
                "name": f"Metric {k}",
                "target": 100.0,
                "position": k,
                "unit": "%",
                "latest_value": 40.0 + k,
            }
            for n in range(first, first + count)
            for k in range(kpis_per_kra)
        ]
        if kpis:
            session.execute(insert(Kpi), kpis)
        last = first + count - 1
        for kind, number in (("KRA", last), ("KPI", last * kpis_per_kra)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id
