"""Objectives and key results: through Slack's modal, through the service, or straight into the database."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.domain.cycles import cycle_for
from bot.forms.okr import KeyResultForm, ObjectiveForm
from bot.ids import Action, Block, Callback
from bot.services import okrs as okr_service
from bot.services.workspaces import workspace_for
from storage.db import Database
from storage.models import CheckIn, KeyResult, Objective, RefCounter, Workspace
from tests.conftest import ALICE, BOB, CAROL, CHANNEL, TEAM
from tests.factories.answers import opened_view
from tests.factories.rows import added, next_number
from tests.factories.times import API_CYCLE, quarter
from tests.factories.workspaces import OWNERS, listed, make_workspace


def objective_values(
    title="Customers love our onboarding", owner=ALICE, krs=(("Activation rate", "40", "60", "%"),), **extra
):
    values: dict = {Block.OBJ_TITLE: title, Block.OBJ_OWNER: owner}
    for n, row in enumerate(krs, start=1):
        if row is None:
            continue
        kr_title, start, target, unit = row
        values[Block.KR_TITLE.of(n=n)] = kr_title
        values[Block.KR_START.of(n=n)] = start
        values[Block.KR_TARGET.of(n=n)] = target
        values[Block.KR_UNIT.of(n=n)] = unit
    values.update(extra)
    return values


def make_objective_via_slack(slack, emulator, user=ALICE, team=TEAM, channel_id=CHANNEL, **values) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "new", user_id=user, team_id=team, channel_id=channel_id)
    view = opened_view(emulator, Callback.OBJECTIVE_NEW, count=before + 1)
    filled = objective_values(**values)
    view = grow_objective_form(
        slack,
        emulator,
        view,
        key_result_rows(filled),
        user=user,
        team=team,
        options=key_result_options(filled),
    )
    response = slack.submit_view(view, filled, user_id=user, team_id=team)
    assert response.status == 200, response.text
    assert not response.body or "errors" not in response.json(), response.text
    return view


def make_objectives(
    db,
    n: int,
    *,
    owner=ALICE,
    channel=CHANNEL,
    key_results=3,
    checked_in=True,
    first=1,
    now: datetime | None = None,
) -> None:
    """n objectives of `now`'s quarter (a test's `now` fixture; the clock when not given) with
    key results, straight into the database (fast)."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        objectives = [
            Objective(
                workspace_id=workspace.id,
                number=i,
                title=f"Objective {i}",  # numbers first … first + n - 1
                owner_id=owner,
                cycle=quarter(now.date()),
                channel_id=channel,
                created_by=owner,
            )
            for i in range(first, first + n)
        ]
        session.add_all(objectives)
        session.flush()
        krs = []
        for i, objective in enumerate(objectives, start=first - 1):
            for j in range(key_results):
                kr = KeyResult(
                    workspace_id=workspace.id,
                    objective_id=objective.id,
                    number=i * key_results + j + 1,
                    title=f"Key result {i}.{j}",
                    start_value=0,
                    target_value=100,
                    unit="%",
                    owner_id=owner,
                    position=j,
                )
                if checked_in and j % 2 == 0:
                    kr.current_value, kr.last_checkin_at, kr.last_confidence = (
                        10.0 * j + i % 50,
                        now - timedelta(days=i % 9),
                        "at_risk",
                    )
                krs.append(kr)
        session.add_all(krs)
        session.flush()
        session.add_all(
            CheckIn(
                workspace_id=workspace.id,
                key_result_id=kr.id,
                value=kr.current_value,
                note="seeded",
                author_id=owner,
                created_at=kr.last_checkin_at,
            )
            for kr in krs
            if kr.current_value is not None
        )


def make_objective_via_service(
    db,
    team_id: str = TEAM,
    title: str = "Customers love onboarding",
    owner: str = ALICE,
    krs=(("Activation rate", 40.0, 60.0, "%", False),),
    cycle: str = API_CYCLE,
) -> tuple[int, list[int]]:
    """(OBJ number, [KR numbers]) of an objective made through the service the modal uses."""
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        form = ObjectiveForm(
            title=title,
            owner_id=owner,
            cycle=cycle,
            key_results=[
                KeyResultForm(title=t, start=s, target=g, unit=u, owner_id=owner, milestone=m)
                for t, s, g, u, m in krs
            ],
        )
        saved = okr_service.create_objective(session, workspace, owner, form)
        return saved.objective.number, [kr.number for kr in saved.key_results]


def make_objective_row(
    session, workspace_id: int, number: int, title: str, owner: str, cycle: str, **fields
) -> Objective:
    return added(
        session,
        Objective(
            workspace_id=workspace_id,
            number=number,
            title=title,
            owner_id=owner,
            cycle=cycle,
            created_by=owner,
            **fields,
        ),
    )


def make_key_result_row(
    session, workspace_id: int, objective_id: int, number: int, title: str, owner: str, **fields
) -> KeyResult:
    return added(
        session,
        KeyResult(
            workspace_id=workspace_id,
            objective_id=objective_id,
            number=number,
            title=title,
            owner_id=owner,
            **fields,
        ),
    )


def make_objective(
    db, workspace_id: int, owner: str, *, channel: str | None = None, cycle="2026-Q4", **fields
) -> int:
    with db.session() as session:
        number = next_number(session, workspace_id, Objective)
        title = fields.pop("title", f"Objective {number}")
        return make_objective_row(
            session, workspace_id, number, title, owner, cycle, channel_id=channel, **fields
        ).id


def make_key_result(db, workspace_id: int, objective_id: int, owner: str, **fields) -> int:
    with db.session() as session:
        number = next_number(session, workspace_id, KeyResult)
        return make_key_result_row(
            session,
            workspace_id,
            objective_id,
            number,
            fields.pop("title", f"Key result {number}"),
            owner,
            start_value=fields.pop("start_value", 0.0),
            target_value=fields.pop("target_value", 100.0),
            **fields,
        ).id


def make_owners_with_key_results(
    db, emulator, user_ids, *, team=TEAM, tz="Europe/London", list_people=True, **user_fields
) -> int:
    """A workspace where each user owns one active key result, its people listed by the
    background pass (unless `list_people` is false); returns the workspace id."""
    with db.session() as session:
        existing = session.scalar(select(Workspace).where(Workspace.team_id == team))
        workspace_id = existing.id if existing else None
    if workspace_id is None:
        workspace_id = make_workspace(db, team)
    objective_id = make_objective(db, workspace_id, user_ids[0] if user_ids else ALICE)
    for user_id in user_ids:
        if user_id not in (ALICE, BOB, CAROL):
            emulator.add_user(user_id, team, tz=tz, **user_fields)
        make_key_result(db, workspace_id, objective_id, user_id)
    if list_people:
        listed(db, emulator, team)
    return workspace_id


def make_okrs(
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

    from storage.models import CheckIn, KeyResult, Objective

    now = now or datetime.now().replace(microsecond=0)
    cycle = cycle_for(now.date()).name
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        session.execute(
            insert(Objective),
            [
                {
                    "workspace_id": workspace.id,
                    "number": n,
                    "title": f"Objective {n}",
                    "owner_id": OWNERS[n % 3],
                    "cycle": cycle,
                    "channel_id": channel_id,
                    "created_by": OWNERS[n % 3],
                    "description": "",
                }
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
                {
                    "workspace_id": workspace.id,
                    "objective_id": objective_ids[n],
                    "number": (n - 1) * per + k + 1,
                    "title": f"Key result {n}.{k}",
                    "start_value": 0.0,
                    "target_value": 100.0,
                    "unit": "%",
                    "owner_id": OWNERS[(n + k) % 3],
                    "weight": 1.0,
                    "position": k,
                    "current_value": float((n * 7 + k * 13) % 100),
                    "last_checkin_at": now - timedelta(days=(n + k) % 20),
                    "last_confidence": ("on_track", "at_risk", "off_track")[(n + k) % 3],
                }
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
                {
                    "workspace_id": workspace.id,
                    "key_result_id": kr_ids[i % len(kr_ids)],
                    "value": float(i % 100),
                    "confidence": ("on_track", "at_risk", "off_track")[i % 3],
                    "note": "steady progress",
                    "author_id": OWNERS[i % 3],
                    "created_at": now - timedelta(hours=i % (24 * 70)),
                }
                for i in range(checkins)
            ]
            for start in range(0, len(rows), 10_000):
                session.execute(insert(CheckIn), rows[start : start + 10_000])
        last = first + objectives - 1
        for kind, number in (("OBJ", last), ("KR", last * per)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id


def key_result_rows(values: dict) -> int:
    """The highest key result group the objective form's `values` fill (1 when none)."""
    return max((int(m.group(1)) for key in values if (m := re.match(r"kr_(\d+)_", str(key)))), default=1)


def key_result_options(values: dict) -> bool:
    """Whether the objective form's `values` fill a key result's owner, weight or milestone: the
    fields the New form shows only after *More options*."""
    return any(re.match(r"kr_\d+_(owner|weight|milestone)$", str(key)) for key in values)


def grow_objective_form(slack, emulator, view: dict, rows: int, user=ALICE, team=TEAM, options=False) -> dict:
    """Click the New objective form's *Add key result* until it shows `rows` key result groups
    (at most 5), then *More options* if `options`; the view as Slack then holds it (with its id
    and hash)."""
    view = emulator.resolve_view(view, user_id=user)
    shown = json.loads(view.get("private_metadata") or "{}")
    clicks = [Action.ADD_KEY_RESULT] * (min(rows, 5) - shown.get("rows", 5))
    for action in clicks + ([Action.KR_MORE_OPTIONS] if options and not shown.get("options") else []):
        before = len(emulator.calls_to("views.update"))
        slack.action(action, view=view, user_id=user, team_id=team)
        emulator.wait_for("views.update", count=before + 1)
        view = emulator.view(view["id"])
    return view
