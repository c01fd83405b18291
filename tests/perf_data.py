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


def seed_okrs(
    db: Database,
    objectives: int,
    *,
    key_results_per_objective: int = 4,
    checkins: int = 0,
    team_id: str = TEAM,
    channel_id: str | None = "C0GROWTH",
    first: int = 1,
    now=None,
) -> int:
    """Objectives of this cycle with key results (owned round-robin by ALICE, BOB, CAROL) and
    `checkins` check-ins spread over them and over the last weeks."""
    from datetime import datetime, timedelta

    from bot.domain.cycles import cycle_for
    from storage.models import CheckIn, KeyResult, Objective

    now = now or datetime.now().replace(microsecond=0)
    cycle = cycle_for(now.date()).name
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        session.execute(
            insert(Objective),
            [
                {"workspace_id": workspace.id, "number": n, "title": f"Objective {n}", "owner_id": OWNERS[n % 3],
                 "cycle": cycle, "channel_id": channel_id, "created_by": OWNERS[n % 3], "description": ""}
                for n in range(first, first + objectives)
            ],
        )
        objective_ids = dict(
            session.execute(
                Objective.__table__.select()
                .with_only_columns(Objective.number, Objective.id)
                .where(Objective.workspace_id == workspace.id, Objective.number >= first)
            ).all()
        )
        per = key_results_per_objective
        session.execute(
            insert(KeyResult),
            [
                {"workspace_id": workspace.id, "objective_id": objective_ids[n], "number": (n - 1) * per + k + 1,
                 "title": f"Key result {n}.{k}", "start_value": 0.0, "target_value": 100.0, "unit": "%",
                 "owner_id": OWNERS[(n + k) % 3], "weight": 1.0, "position": k,
                 "current_value": float((n * 7 + k * 13) % 100), "last_checkin_at": now - timedelta(days=(n + k) % 20),
                 "last_confidence": ("on_track", "at_risk", "off_track")[(n + k) % 3]}
                for n in range(first, first + objectives)
                for k in range(per)
            ],
        )
        if checkins:
            kr_ids = list(
                session.scalars(
                    KeyResult.__table__.select()
                    .with_only_columns(KeyResult.id)
                    .where(KeyResult.workspace_id == workspace.id)
                )
            )
            rows = [
                {"workspace_id": workspace.id, "key_result_id": kr_ids[i % len(kr_ids)], "value": float(i % 100),
                 "confidence": ("on_track", "at_risk", "off_track")[i % 3], "note": "steady progress",
                 "author_id": OWNERS[i % 3], "created_at": now - timedelta(hours=i % (24 * 70))}
                for i in range(checkins)
            ]
            for start in range(0, len(rows), 10_000):
                session.execute(insert(CheckIn), rows[start : start + 10_000])
        last = first + objectives - 1
        for kind, number in (("OBJ", last), ("KR", last * per)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id


def seed_digest_data(
    db: Database,
    channels,
    objectives_per_channel: int,
    key_results: int,
    weeks: int,
    now,
    *,
    team_id: str = TEAM,
) -> int:
    """Digest data: for each channel id in `channels`, `objectives_per_channel` objectives of
    `now`'s cycle with `key_results` key results each, and one check-in per key result per week
    for the last `weeks` weeks (its latest also kept on the key result, as a check-in does). Some
    key results last checked in before this week's Monday, so every digest has owners to chase.
    `now` is naive UTC (or aware, then converted). Returns the workspace id."""
    from datetime import UTC, timedelta

    from bot.domain.cycles import cycle_for
    from storage.models import CheckIn, KeyResult, Objective

    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    cycle = cycle_for(now.date()).name
    confidences = ("on_track", "at_risk", "off_track")
    channels = list(channels)
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        objectives = [
            {"workspace_id": workspace.id, "number": c * objectives_per_channel + o + 1,
             "title": f"Objective {c}.{o}", "owner_id": OWNERS[(c + o) % 3], "cycle": cycle, "channel_id": channel,
             "created_by": OWNERS[(c + o) % 3], "description": ""}
            for c, channel in enumerate(channels)
            for o in range(objectives_per_channel)
        ]
        if objectives:
            session.execute(insert(Objective), objectives)
        objective_ids = dict(
            session.execute(
                Objective.__table__.select()
                .with_only_columns(Objective.number, Objective.id)
                .where(Objective.workspace_id == workspace.id)
            ).all()
        )

        # Key result k of objective n: its check-in w weeks back sits (n + k) % 5 days before that
        # week's slot, so ages vary; values climb towards the target over the weeks.
        def moment(n: int, k: int, w: int):
            return now - timedelta(days=7 * w + (n + k) % 5, hours=1 + k)

        def value(n: int, k: int, w: int) -> float:
            return round(min(100.0, (weeks - w) * 100.0 / max(weeks, 1) * (0.6 + 0.1 * ((n + k) % 5))), 1)

        krs = [
            {"workspace_id": workspace.id, "objective_id": objective_ids[n], "number": (n - 1) * key_results + k + 1,
             "title": f"Key result {n}.{k}", "start_value": 0.0, "target_value": 100.0, "unit": "%",
             "owner_id": OWNERS[(n + k) % 3], "weight": 1.0, "position": k,
             "current_value": value(n, k, 0) if weeks else None,
             "last_checkin_at": moment(n, k, 0) if weeks else None,
             "last_confidence": confidences[(n + k) % 3] if weeks else None}
            for n in range(1, len(objectives) + 1)
            for k in range(key_results)
        ]
        if krs:
            session.execute(insert(KeyResult), krs)
        kr_ids = dict(
            session.execute(
                KeyResult.__table__.select()
                .with_only_columns(KeyResult.number, KeyResult.id)
                .where(KeyResult.workspace_id == workspace.id)
            ).all()
        )
        batch: list[dict] = []
        for n in range(1, len(objectives) + 1):
            for k in range(key_results):
                kr_id = kr_ids[(n - 1) * key_results + k + 1]
                for w in range(weeks):
                    batch.append(
                        {"workspace_id": workspace.id, "key_result_id": kr_id, "value": value(n, k, w),
                         "confidence": confidences[(n + k + w) % 3], "note": "steady progress" if w % 2 else "",
                         "author_id": OWNERS[(n + k) % 3], "created_at": moment(n, k, w)}
                    )
                    if len(batch) >= 10_000:
                        session.execute(insert(CheckIn), batch)
                        batch = []
        if batch:
            session.execute(insert(CheckIn), batch)
        last = len(objectives)
        for kind, number in (("OBJ", last), ("KR", last * key_results)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id
