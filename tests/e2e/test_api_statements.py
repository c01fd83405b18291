"""SQL statements per API request: a fixed number for each operation, whatever the size of the
page (no query per objective, key result, KRA, KPI or data source). Counted over HTTP, so the
token's own statements (three, tests/e2e/test_api_guard_rails.py) are in each figure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.services.workspaces import workspace_for
from storage.models import Kpi, KpiMeasurement, RefCounter, SourceBinding, SourceKind
from tests.conftest import ALICE, TEAM, count_statements
from tests.factories import (
    API_CYCLE,
    NOW,
    make_check_in_row,
    make_key_result_row,
    make_kpi_row,
    make_kra_row,
    make_objective_row,
    new_token,
    served_api,
)

# Operation → statements per request: the token's three, its workspace, then the operation's reads
# (and, for a write, its idempotency claim and writes).
EXPECTED = {
    "listObjectives": 10,
    "getObjective": 9,
    "getKeyResult": 7,
    "createCheckIn": 15,
    "listKras": 8,
    "getKra": 7,
    "getKpi": 8,
    "createMeasurement": 16,
}


def _grow(db, objectives: int, first: int) -> None:
    """`objectives` more objectives, each under the one before and in a KRA of its own, with two
    key results and two KPIs, every one of them bound to a data source and with some history."""
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.flush()
        parent = None
        for n in range(first, first + objectives):
            kra = make_kra_row(session, workspace.id, n, f"Area {n}", ALICE)
            objective = make_objective_row(
                session,
                workspace.id,
                n,
                f"Objective {n}",
                ALICE,
                API_CYCLE,
                kra_id=kra.id,
                parent_id=parent.id if parent else None,
            )
            parent = objective
            for k in (0, 1):
                number = 2 * (n - 1) + k + 1
                kr = make_key_result_row(
                    session,
                    workspace.id,
                    objective.id,
                    number,
                    f"Key result {number}",
                    ALICE,
                    start_value=0.0,
                    target_value=100.0,
                    position=k,
                )
                kpi = make_kpi_row(session, kra, number, f"Metric {number}", target=50.0, position=k)
                for days in (1, 2, 3):
                    at = NOW - timedelta(days=days)
                    make_check_in_row(session, kr, ALICE, 10.0 * days, created_at=at)
                    session.add(
                        KpiMeasurement(
                            workspace_id=workspace.id,
                            kpi_id=kpi.id,
                            value=days,
                            author_id=ALICE,
                            measured_at=at,
                        )
                    )
                for column, row in (("key_result_id", kr), ("kpi_id", kpi)):
                    session.add(
                        SourceBinding(
                            workspace_id=workspace.id,
                            kind=SourceKind.SQL,
                            connection="warehouse",
                            env="WAREHOUSE_URL",
                            query="select 1",
                            created_by=ALICE,
                            **{column: row.id},
                        )
                    )
        last = first + objectives - 1
        for kind, number in (("OBJ", last), ("KR", 2 * last), ("KRA", last), ("KPI", 2 * last)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))


def _counts(db, api, token: str, value: float) -> dict[str, int]:
    """Each operation's statements; the writes send `value` (a new one each time, so that the
    key result and the KPI really move)."""
    requests = {
        "listObjectives": ("GET", "/api/v1/objectives?limit=200", None),
        "getObjective": ("GET", "/api/v1/objectives/OBJ-2", None),
        "getKeyResult": ("GET", "/api/v1/key-results/KR-3?recent=5", None),
        "createCheckIn": ("POST", "/api/v1/key-results/KR-3/check-ins", {"value": value}),
        "listKras": ("GET", "/api/v1/kras?limit=200", None),
        "getKra": ("GET", "/api/v1/kras/KRA-2", None),
        "getKpi": ("GET", "/api/v1/kpis/KPI-3?recent=5", None),
        "createMeasurement": ("POST", "/api/v1/kpis/KPI-3/measurements", {"value": value}),
    }
    counts = {}
    for operation, (method, path, body) in requests.items():
        headers = {"Idempotency-Key": f"{operation}-{value}"} if body else None
        with count_statements(db) as counter:
            reply = api.call(method, path, token=token, body=body, headers=headers)
        assert reply.status in (200, 201), (operation, reply.text)
        counts[operation] = counter.count
    return counts


def test_each_operation_costs_the_same_statements_at_any_size(web_app, db, emulator):
    with served_api(web_app, db, emulator) as (slack, api):
        token = new_token(slack, "ci", "write")
        _grow(db, 2, first=1)
        small = _counts(db, api, token, 55.0)
        _grow(db, 10, first=3)
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Kpi)) == 24
        large = _counts(db, api, token, 65.0)
        assert large == small == EXPECTED
        listed = api.get("/api/v1/objectives?limit=200", token).json()
        shown = listed["objectives"]
        assert len(shown) == 12 and all(kr["source"] for o in shown for kr in o["key_results"])
        assert shown[4]["parent"] == "OBJ-4" and shown[4]["kra"] == "KRA-5"
