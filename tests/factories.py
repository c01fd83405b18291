"""What the tests build and share: data (straight into the database, or through the services),
things done through Slack (a command, a modal submitted) and what they left behind (the answer,
the view, the DMs, the deliveries). Fixtures stay in conftest.py; the ids of the test workspaces and
people (TEAM, ALICE, ...) too."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlalchemy import func, insert, select

from bot.domain.cycles import cycle_for
from bot.forms.kra import KpiForm, KraForm
from bot.forms.okr import KeyResultForm, ObjectiveForm
from bot.ids import Action, Block, Callback
from bot.jobs.pacing import Pacer
from bot.jobs.posting import build_clock_client
from bot.services import kras as kra_service
from bot.services import okrs as okr_service
from bot.services.tokens import Limits
from bot.services.workspaces import workspace_for
from bot.settings import Settings
from bot.web import create_web
from storage.db import Database
from storage.models import (
    CheckIn,
    Delivery,
    KeyResult,
    Kpi,
    KpiMeasurement,
    Kra,
    KraReview,
    Member,
    Objective,
    RefCounter,
    Schedule,
    Workspace,
)
from tests.conftest import (
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    CLIENT_ID,
    CLIENT_SECRET,
    MALLORY,
    OTHER_TEAM,
    OTHER_TOKEN,
    SIGNING_SECRET,
    TEAM,
    TOKEN,
    NorthlineClient,
    serve,
)

# --- Slack answers and views -------------------------------------------------------------------------


def answer(slack, *args, **kwargs) -> dict:
    """Run a slash command; return the ephemeral answer the app posted to its response_url."""
    kwargs.setdefault("team_id", TEAM)
    kwargs.setdefault("user_id", ALICE)
    response = slack.command(*args, **kwargs)
    assert response.status == 200, response.text
    return slack.wait_for_response_url()


def answer_text(payload: dict) -> str:
    """An answer's text and blocks as one string to search in."""
    parts = [payload.get("text", "")]
    for block in payload.get("blocks", []):
        parts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(parts)


def opened_view(emulator, callback_id: str, count: int = 1) -> dict:
    """The `count`-th view the app opened, which must be the modal `callback_id`."""
    calls = emulator.wait_for("views.open", count=count)
    view = calls[-1].args["view"]
    assert view["callback_id"] == callback_id
    return view


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- OKRs through Slack ------------------------------------------------------------------------------


def quarter(day: date) -> str:
    """The calendar quarter holding `day`, named as the app names a cycle ("2026-Q4"): worked out
    here, not by the app's cycle_for, so that a test can catch the app choosing the wrong one."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def previous_quarter(day: date) -> str:
    """The quarter before the one holding `day`: 2027-01-20 → "2026-Q4"."""
    year, index = (day.year, (day.month - 1) // 3 + 1)
    return f"{year - 1}-Q4" if index == 1 else f"{year}-Q{index - 1}"


def next_quarter(day: date) -> str:
    """The quarter after the one holding `day`: 2026-12-31 → "2027-Q1"."""
    year, index = (day.year, (day.month - 1) // 3 + 1)
    return f"{year + 1}-Q1" if index == 4 else f"{year}-Q{index + 1}"


def by_block(view: dict) -> dict[str, dict]:
    return {b.get("block_id"): b for b in view["blocks"] if b.get("block_id")}


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


def create_objective(slack, emulator, user=ALICE, team=TEAM, channel_id=CHANNEL, **values) -> dict:
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


def seed_objectives(
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


# --- KRAs through Slack ------------------------------------------------------------------------------


def kra_values(title="Customer satisfaction", owner=ALICE, kpis=(("NPS", "50", ""),), **extra) -> dict:
    values = {Block.KRA_TITLE: title, Block.KRA_OWNER: owner}
    for n, (name, target, unit) in enumerate(kpis, start=1):
        values[Block.KPI_NAME.of(n=n)] = name
        values[Block.KPI_TARGET.of(n=n)] = target
        values[Block.KPI_UNIT.of(n=n)] = unit
    values.update(extra)
    return values


def create_kra(slack, emulator, user=ALICE, team=TEAM, **values) -> dict:
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


# --- Sprints through Slack ---------------------------------------------------------------------------


def start_sprint(slack, emulator, *, user=ALICE, channel=CHANNEL, values=None, count_before=None) -> dict:
    before = count_before if count_before is not None else len(emulator.calls_to("views.open"))
    slack.command("/sprint", "start", user_id=user, team_id=TEAM, channel_id=channel)
    calls = emulator.wait_for("views.open", count=before + 1)
    view = calls[-1].args["view"]
    assert view["callback_id"] == Callback.SPRINT_START
    response = slack.submit_view(view, values or {}, user_id=user, team_id=TEAM)
    assert response.status == 200, response.text
    assert response.json() is None, response.text
    return view


def view_opened(emulator, callback_id: str, count: int = 1) -> dict:
    """The `count`-th view opened with `callback_id`, whatever else was opened in between."""
    calls = emulator.wait_for(
        "views.open", count=count, where=lambda c: c.args["view"]["callback_id"] == callback_id
    )
    return calls[count - 1].args["view"]


def open_review(slack, emulator, *, user=ALICE, count=1) -> dict:
    slack.command("/sprint", "end", user_id=user, team_id=TEAM, channel_id=CHANNEL)
    return view_opened(emulator, Callback.SPRINT_END, count=count)


# --- App Home ----------------------------------------------------------------------------------------


def published(slack, emulator, user=ALICE) -> dict:
    """The Home `user` sees on opening it, once the refreshes earlier changes set off are done."""
    before = published_so_far(slack, emulator)
    response = slack.event(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}, team_id=TEAM
    )
    assert response.status == 200, response.text
    [home] = published_since(slack, emulator, before)
    assert home.args["user_id"] == user
    return home.args["view"]


def published_so_far(slack, emulator) -> int:
    """How many Homes the app has published, once what it set off earlier is done."""
    slack.settle()
    return len(emulator.calls_to("views.publish"))


def published_since(slack, emulator, before: int) -> list:
    """The Homes published after the first `before`, once the app is done."""
    slack.settle()
    return emulator.calls_to("views.publish")[before:]


# --- The API on a fixed clock, and data made through the services ------------------------------------


NOW = datetime(2026, 11, 18, 12, 0, 0)  # a Wednesday in the middle of 2026-Q4


API_CYCLE = cycle_for(NOW.date()).name


SECRET = re.compile(r"nlk_[A-Za-z0-9_-]+")


@dataclass
class Reply:
    status: int
    headers: Message  # names in any case, as HTTP has them: Falcon sends them in lower case
    text: str

    def json(self):
        return json.loads(self.text)


class Api:
    def __init__(self, base: str):
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body=None,
        headers=None,
        raw: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read().decode())

    def get(self, path: str, token: str | None = None, **kwargs) -> Reply:
        return self.call("GET", path, token=token, **kwargs)

    def post(self, path: str, body=None, token: str | None = None, **kwargs) -> Reply:
        return self.call("POST", path, token=token, body=body, **kwargs)


@contextmanager
def served_api(
    web_app, db, emulator, *, limits: Limits | None = None, clock: Callable[[], datetime] = lambda: NOW
) -> Iterator[tuple[NorthlineClient, Api]]:
    """The whole app (Slack and API on one server, as gunicorn serves it), the API on `clock`
    (NOW unless told), with generous rate limits unless told."""
    limits = limits or Limits(per_token=1000, per_workspace=10_000, auth_failures=1000)
    with serve(create_web(web_app, db, limits=limits, clock=clock)) as url:
        yield NorthlineClient(url, web_app, emulator), Api(url)


def new_token(
    slack, name: str = "ci", permission: str = "write", user_id: str = ADMIN, team_id: str = TEAM
) -> str:
    """Made as an admin makes one: `/okr token new NAME PERMISSION`; the token from its answer."""
    text = answer_text(
        answer(slack, "/okr", f"token new {name} {permission}", user_id=user_id, team_id=team_id)
    )
    found = SECRET.search(text)
    assert found, text
    return found.group(0)


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


def make_kra(db, team_id: str = TEAM, owner: str = ALICE) -> tuple[int, list[int]]:
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


# --- Rows added in an open session, numbered by the caller ------------------------------------------
# Each builder flushes, so the row's id is there for the next one; `fields` are the model's columns.


def _added(session, row):
    """`row`, added and flushed: its id is known."""
    session.add(row)
    session.flush()
    return row


def add_kra(session, workspace_id: int, number: int, title: str, owner: str, **fields) -> Kra:
    return _added(
        session,
        Kra(
            workspace_id=workspace_id, number=number, title=title, owner_id=owner, created_by=owner, **fields
        ),
    )


def add_kpi(session, kra: Kra, number: int, name: str, **fields) -> Kpi:
    return _added(
        session, Kpi(workspace_id=kra.workspace_id, kra_id=kra.id, number=number, name=name, **fields)
    )


def add_measurement(session, kpi: Kpi, author: str, value: float, **fields) -> None:
    session.add(
        KpiMeasurement(workspace_id=kpi.workspace_id, kpi_id=kpi.id, value=value, author_id=author, **fields)
    )


def add_measurements(session, kpi: Kpi, author: str, values: Iterable[tuple[datetime, float]]) -> None:
    """One measurement of `kpi` per (when, value)."""
    for when, value in values:
        add_measurement(session, kpi, author, value, measured_at=when)


def add_kra_review(session, kra: Kra, decision, reviewer: str, reviewed_at: datetime, note: str = "") -> None:
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


def add_objective(
    session, workspace_id: int, number: int, title: str, owner: str, cycle: str, **fields
) -> Objective:
    return _added(
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


def add_key_result(
    session, workspace_id: int, objective_id: int, number: int, title: str, owner: str, **fields
) -> KeyResult:
    return _added(
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


def add_check_in(session, kr: KeyResult, author: str, value: float, **fields) -> None:
    """A check-in on `kr`; the key result itself is left as it is."""
    session.add(
        CheckIn(workspace_id=kr.workspace_id, key_result_id=kr.id, value=value, author_id=author, **fields)
    )


def add_check_ins(session, kr: KeyResult, author: str, values: Iterable[tuple[datetime, float]]) -> None:
    """One check-in on `kr` per (when, value)."""
    for when, value in values:
        add_check_in(session, kr, author, value, created_at=when)


# --- Rows for the scheduled jobs, and what they sent -------------------------------------------------


# Monday 30 November 2026, 10:05 in London (UTC in winter).
MONDAY_LONDON = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def clients(emulator, stop: threading.Event | None = None):
    """client_for(workspace): the clock's client (20 rate-limit retries) with that team's token."""
    built = {
        TEAM: build_clock_client(TOKEN, emulator.base_url, stop=stop),
        OTHER_TEAM: build_clock_client(OTHER_TOKEN, emulator.base_url, stop=stop),
    }
    return lambda workspace: built[workspace.team_id]


def make_workspace(db, team_id: str = TEAM, **fields) -> int:
    with db.session() as session:
        return _added(session, Workspace(team_id=team_id, **fields)).id


def make_objective(
    db, workspace_id: int, owner: str, *, channel: str | None = None, cycle="2026-Q4", **fields
) -> int:
    with db.session() as session:
        number = _next(session, workspace_id, Objective)
        title = fields.pop("title", f"Objective {number}")
        return add_objective(
            session, workspace_id, number, title, owner, cycle, channel_id=channel, **fields
        ).id


def make_key_result(db, workspace_id: int, objective_id: int, owner: str, **fields) -> int:
    with db.session() as session:
        number = _next(session, workspace_id, KeyResult)
        return add_key_result(
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


def make_schedule(
    db, workspace_id: int, kind, *, weekday: int, time_of_day: str, set_by=ALICE, **fields
) -> int:
    """A schedule row of `kind` (check-in, digest, sprint), as `/okr schedule` would store it."""
    with db.session() as session:
        schedule = Schedule(
            workspace_id=workspace_id,
            kind=kind,
            weekday=weekday,
            time_of_day=time_of_day,
            set_by=set_by,
            **fields,
        )
        return _added(session, schedule).id


def _next(session, workspace_id, model) -> int:
    from sqlalchemy import func

    return (session.scalar(select(func.max(model.number)).where(model.workspace_id == workspace_id)) or 0) + 1


def reminder_off(db, user_id: str = ALICE) -> None:
    """`/okr remind off`: what the weekly reminder would carry (a failing source, a nudge) is then
    sent on its own, by DM."""
    from storage.models import PersonPreference

    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.add(PersonPreference(workspace_id=workspace.id, user_id=user_id, muted="checkin"))


def listed(db, emulator, team: str = TEAM) -> None:
    """The background users.list pass over `team` (bot/jobs/roster.py) has run: Member rows hold
    what the emulator's users say now. Planning reads only those rows."""
    from bot.jobs.people import refresh_workspace

    with db.session() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == team))
        session.expunge(workspace)
    token = {TEAM: TOKEN, OTHER_TEAM: OTHER_TOKEN}.get(team)
    if token is None:
        return  # a workspace a test made with a token of its own: its people are planned unseen
    assert refresh_workspace(db, WebClient(token=token, base_url=emulator.base_url), workspace).complete


def owners_with_key_results(
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


def dms(emulator, ok: bool = True) -> Counter:
    """Successful chat.postMessage calls per target (a user id for DMs)."""
    return Counter(c.args.get("channel") for c in emulator.calls_to("chat.postMessage", ok=ok))


def deliveries(db, kind: str | None = None) -> list[Delivery]:
    with db.session() as session:
        query = select(Delivery).order_by(Delivery.id)
        if kind:
            query = query.where(Delivery.kind == kind)
        return list(session.scalars(query))


# Friday 4 December 2026, 16:05 in London.
FRIDAY_LONDON = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)


def channel_with_objectives(
    db, emulator, *, objectives=2, key_results=3, channel=None, checkins=True, **ws
) -> int:
    from tests.conftest import CHANNEL

    channel = channel or CHANNEL
    workspace_id = make_workspace(db, timezone="Europe/London", **ws)
    for o in range(objectives):
        objective_id = make_objective(
            db, workspace_id, ALICE, channel=channel, title=f"Delight customers {o}"
        )
        for k in range(key_results):
            owner = (ALICE, BOB, CAROL)[k % 3]
            kr_id = make_key_result(db, workspace_id, objective_id, owner, title=f"Raise NPS {o}.{k}")
            if checkins and k % 2 == 0:
                _check_in(
                    db,
                    workspace_id,
                    kr_id,
                    owner,
                    [
                        (datetime(2026, 11, 20, 9), 20.0, "steady"),
                        (datetime(2026, 12, 1, 9), 35.0, "found a lever"),
                    ],
                    confidence="at_risk",
                )
    return workspace_id


def _check_in(db, workspace_id, kr_id, author, values, confidence=None):
    with db.session() as session:
        kr = session.get(KeyResult, kr_id)
        for moment, value, note in values:
            session.add(
                CheckIn(
                    workspace_id=workspace_id,
                    key_result_id=kr_id,
                    value=value,
                    note=note,
                    author_id=author,
                    created_at=moment,
                    confidence=confidence,
                )
            )
            kr.current_value, kr.last_checkin_at, kr.last_confidence = value, moment, confidence


def channel_posts(emulator, channel):
    return [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("channel") == channel]


def _sprint(db, workspace_id, channel, *, starts, ends, number=1, name=None, goal="Ship it", links=()):
    from storage.models import Sprint, SprintKeyResult

    with db.session() as session:
        sprint = Sprint(
            workspace_id=workspace_id,
            number=number,
            channel_id=channel,
            name=name or f"Sprint {number}",
            goal=goal,
            starts_on=starts,
            ends_on=ends,
            created_by=ALICE,
        )
        session.add(sprint)
        session.flush()
        for kr_id in links:
            session.add(SprintKeyResult(sprint_id=sprint.id, key_result_id=kr_id, workspace_id=workspace_id))
        return sprint.id


# --- The delivery engine -----------------------------------------------------------------------------


def team_clients(emulator, pacer: Pacer | None = None, stop=None):
    """client_for(workspace), as the clock builds it: each workspace its own token and client."""
    built: dict[str, object] = {}
    lock = threading.Lock()

    def client_for(workspace):
        token = TOKEN if workspace.team_id == TEAM else f"xoxb-{workspace.team_id.lower()}"
        with lock:
            if workspace.team_id not in built:
                built[workspace.team_id] = build_clock_client(
                    token, emulator.base_url, stop=stop, pacer=pacer, pace_key=workspace.team_id
                )
            return built[workspace.team_id]

    return client_for


# --- Bulk data for statement counts and benchmarks, in a few statements ------------------------------


OWNERS = (ALICE, BOB, CAROL)


def seed_kras(db: Database, count: int, kpis_per_kra: int = 3, team_id: str = TEAM, first: int = 1) -> int:
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
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    cycle = cycle_for(now.date()).name
    history = _DigestHistory(now, weeks)
    with db.session() as session:
        workspace = workspace_for(session, team_id)
        session.flush()
        objectives = [
            {
                "workspace_id": workspace.id,
                "number": c * objectives_per_channel + o + 1,
                "title": f"Objective {c}.{o}",
                "owner_id": OWNERS[(c + o) % 3],
                "cycle": cycle,
                "channel_id": channel,
                "created_by": OWNERS[(c + o) % 3],
                "description": "",
            }
            for c, channel in enumerate(channels)
            for o in range(objectives_per_channel)
        ]
        if objectives:
            session.execute(insert(Objective), objectives)
        objective_ids = _ids_by_number(session, Objective, workspace.id)
        krs = [
            history.key_result(workspace.id, objective_ids[n], n, k, key_results)
            for n in range(1, len(objectives) + 1)
            for k in range(key_results)
        ]
        if krs:
            session.execute(insert(KeyResult), krs)
        kr_ids = _ids_by_number(session, KeyResult, workspace.id)
        check_ins = (
            history.check_in(workspace.id, kr_ids[(n - 1) * key_results + k + 1], n, k, w)
            for n in range(1, len(objectives) + 1)
            for k in range(key_results)
            for w in range(weeks)
        )
        _insert_in_batches(session, CheckIn, check_ins)
        last = len(objectives)
        for kind, number in (("OBJ", last), ("KR", last * key_results)):
            session.merge(RefCounter(workspace_id=workspace.id, kind=kind, last_number=number))
        return workspace.id


_CONFIDENCES = ("on_track", "at_risk", "off_track")


@dataclass(frozen=True)
class _DigestHistory:
    """The check-ins of seed_digest_data, `weeks` weeks up to `now`. Key result k of objective n:
    its check-in w weeks back sits (n + k) % 5 days before that week's slot, so ages vary; values
    climb towards the target over the weeks."""

    now: datetime
    weeks: int

    def moment(self, n: int, k: int, w: int) -> datetime:
        return self.now - timedelta(days=7 * w + (n + k) % 5, hours=1 + k)

    def value(self, n: int, k: int, w: int) -> float:
        weeks = self.weeks
        return round(min(100.0, (weeks - w) * 100.0 / max(weeks, 1) * (0.6 + 0.1 * ((n + k) % 5))), 1)

    def key_result(self, workspace_id: int, objective_id: int, n: int, k: int, per_objective: int) -> dict:
        """Key result k of objective n, its latest check-in (if any) kept on it."""
        checked_in = self.weeks > 0
        return {
            "workspace_id": workspace_id,
            "objective_id": objective_id,
            "number": (n - 1) * per_objective + k + 1,
            "title": f"Key result {n}.{k}",
            "start_value": 0.0,
            "target_value": 100.0,
            "unit": "%",
            "owner_id": OWNERS[(n + k) % 3],
            "weight": 1.0,
            "position": k,
            "current_value": self.value(n, k, 0) if checked_in else None,
            "last_checkin_at": self.moment(n, k, 0) if checked_in else None,
            "last_confidence": _CONFIDENCES[(n + k) % 3] if checked_in else None,
        }

    def check_in(self, workspace_id: int, kr_id: int, n: int, k: int, w: int) -> dict:
        """The check-in on key result k of objective n, w weeks back."""
        return {
            "workspace_id": workspace_id,
            "key_result_id": kr_id,
            "value": self.value(n, k, w),
            "confidence": _CONFIDENCES[(n + k + w) % 3],
            "note": "steady progress" if w % 2 else "",
            "author_id": OWNERS[(n + k) % 3],
            "created_at": self.moment(n, k, w),
        }


def _ids_by_number(session, model, workspace_id: int) -> dict[int, int]:
    """number -> id of a workspace's objectives or key results."""
    return dict(
        session.execute(
            model.__table__.select()
            .with_only_columns(model.number, model.id)
            .where(model.workspace_id == workspace_id)
        ).all()
    )


def _insert_in_batches(session, model, rows: Iterable[dict], size: int = 10_000) -> None:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            session.execute(insert(model), batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)


# --- The command line ------------------------------------------------------------------------------


def single_token_env(monkeypatch, emulator, database_url: str) -> None:
    """The environment of a single-workspace install (SLACK_BOT_TOKEN) against the emulator."""
    for name, value in {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(name, value)


def cli_runner(monkeypatch, database_url: str, capsys, *, unset: tuple[str, ...] = ()):
    """`northline ARGS...` on the test database, as ``run(*argv) -> (exit code, stdout, stderr)``;
    the environment variables in `unset` are removed first."""
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in unset:
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(argv))
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return run


def workspaces_for(db, *team_ids: str) -> None:
    """The workspaces of `team_ids`, as the app creates them on first contact."""
    with db.session() as session:
        for team_id in team_ids:
            workspace_for(session, team_id)


def import_yaml(cli, path, text: str, *args: str) -> tuple[int, str, str]:
    """Write OKRs-as-code `text` to `path`, then `northline import` it (with `args`)."""
    path.write_text(text)
    return cli("import", str(path), *args)


def import_changed(cli, path, text: str, change: tuple[str, str]) -> tuple[int, str, str]:
    """`northline import` `text` with one change (old, new) made, the first `old` replaced; the
    change must apply."""
    old, new = change
    assert old in text
    return import_yaml(cli, path, text.replace(old, new, 1))


# --- Hostile text ------------------------------------------------------------------------------------


BROADCASTS = ("<!here>", "<!channel>", "<!everyone>", "@here", "@channel", "@everyone")


free_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=60
)


def seed_people(db, emulator, people: int, team: str = TEAM, *, tz: str = "Europe/London") -> list[str]:
    """`people` owners, one active key result each, their users.info facts fresh in the cache (so a
    run measures the posts, not profile look-ups): bulk inserts, for thousands of people."""
    users = [f"U{n:07d}X" for n in range(people)]
    for user in users:
        emulator.add_user(user, team, name=user.lower(), tz=tz)
    fresh = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with db.session() as session:
        workspace = workspace_for(session, team)
        session.flush()
        wid = workspace.id
        session.execute(
            insert(Member),
            [{"workspace_id": wid, "user_id": u, "name": u, "tz": tz, "refreshed_at": fresh} for u in users],
        )
        session.execute(
            insert(Objective),
            [
                {
                    "workspace_id": wid,
                    "number": n + 1,
                    "title": f"Objective {n}",
                    "owner_id": u,
                    "cycle": "2026-Q4",
                    "created_by": u,
                    "description": "",
                }
                for n, u in enumerate(users)
            ],
        )
        ids = dict(
            session.execute(
                select(Objective.owner_id, Objective.id).where(Objective.workspace_id == wid)
            ).all()
        )
        session.execute(
            insert(KeyResult),
            [
                {
                    "workspace_id": wid,
                    "objective_id": ids[u],
                    "number": n + 1,
                    "title": "Ship it",
                    "start_value": 0.0,
                    "target_value": 10.0,
                    "owner_id": u,
                    "position": 0,
                }
                for n, u in enumerate(users)
            ],
        )
    return users


def hooked_clients(client_for, *, before=None, after=None):
    """`client_for` whose clients call `before(n)` ahead of, and `after(n)` behind, the n-th
    chat.postMessage (counted across every client it makes): to stop, crash or cut a run at an
    exact post. Set NORTHLINE_POSTS_IN_FLIGHT=1 for "the n-th" to be exact."""
    count = {"posts": 0}
    lock = threading.Lock()

    class Hooked:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def chat_postMessage(self, **kwargs):
            with lock:
                count["posts"] += 1
                n = count["posts"]
            if before is not None:
                before(n)
            answer = self.client.chat_postMessage(**kwargs)
            if after is not None:
                after(n)
            return answer

    return lambda workspace: Hooked(client_for(workspace))


# --- Ask Northline: a seeded team, reading answers, a fake language model --------------------------------

MODEL_NAME = "test-model-1"
MODEL_KEY = "sk-test-0123456789"


def seed_ask_northline(db) -> int:
    """TEAM: OBJ-1 in #growth (KRA-1) with KR-1 (Alice, at risk, confidence on track, a blocker
    noted this week) and KR-2 (Bob, on track, last checked in in November); OBJ-2 of Carol's, in no
    channel, with KR-3 (off track). An active sprint in #growth serving nothing. OTHER_TEAM: one
    objective of Mallory's. For a clock frozen at Friday 4 December 2026, 12:00 UTC."""
    ws = make_workspace(db, timezone="Europe/London")
    with db.session() as session:
        kra_id = add_kra(session, ws, 1, "Revenue", ALICE).id
    obj1 = make_objective(db, ws, ALICE, channel=CHANNEL, title="Grow revenue", kra_id=kra_id)
    kr1 = make_key_result(db, ws, obj1, ALICE, title="Raise MRR")
    kr2 = make_key_result(db, ws, obj1, BOB, title="Sign partners", target_value=10.0)
    obj2 = make_objective(db, ws, CAROL, title="Hiring plan")
    kr3 = make_key_result(db, ws, obj2, CAROL, title="Hire <b>engineers</b> & interns", target_value=10.0)
    _check_in(db, ws, kr1, ALICE, [(datetime(2026, 11, 20, 9), 40.0, "")], confidence="on_track")
    _check_in(
        db, ws, kr1, ALICE, [(datetime(2026, 12, 2, 9), 50.0, "blocked on the billing migration")], "on_track"
    )
    _check_in(db, ws, kr2, BOB, [(datetime(2026, 11, 10, 9), 8.0, "")])
    _check_in(db, ws, kr3, CAROL, [(datetime(2026, 12, 1, 9), 2.0, "waiting for budget")], "off_track")
    _sprint(db, ws, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 11), name="Checkout sprint")
    other = make_workspace(db, team_id=OTHER_TEAM)
    secret = make_objective(db, other, MALLORY, title="Secret plan")
    mkr = make_key_result(db, other, secret, MALLORY, title="Secret metric")
    _check_in(db, other, mkr, MALLORY, [(datetime(2026, 12, 1, 9), 5.0, "")])
    return ws


def block_texts(node) -> list[str]:
    """Every text string in blocks, in order."""
    if isinstance(node, list):
        return [text for item in node for text in block_texts(item)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        found += [value] if key == "text" and isinstance(value, str) else block_texts(value)
    return found


@dataclass
class FakeModel:
    """An OpenAI-compatible endpoint on 127.0.0.1 (`url` ends in /v1): what it answers (`mode`:
    ok (one JSON answer) | stream (`reply` as server-sent events, `piece` characters each) | cut
    (a stream without its end) | error | redirect | malformed | refusal | hang) and every request
    it received."""

    url: str = ""
    mode: str = "ok"
    reply: str = "All good."
    piece: int = 40
    requests: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _completion(content: str | None, **message) -> dict:
    reply = {"role": "assistant", "content": content, **message}
    return {"choices": [{"index": 0, "message": reply, "finish_reason": "stop"}]}


def _model_answer(fake: FakeModel) -> dict:
    return {
        "error": {"error": {"message": "overloaded"}},
        "malformed": {"id": "x", "object": "chat.completion"},
        "refusal": _completion(None, refusal="I can't help with that."),
    }.get(fake.mode, _completion(fake.reply))


class _ModelHandler(BaseHTTPRequestHandler):
    """The fake model's answers; `fake` is set on a subclass per server."""

    fake: FakeModel

    def log_message(self, *args) -> None:
        return None

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.fake.requests.append(
            {"path": self.path, "headers": dict(self.headers.items()), "body": json.loads(body)}
        )
        self._answer()

    def _answer(self) -> None:
        if self.fake.mode == "hang":
            self.fake.release.wait(10)  # until the test ends; the app's deadline is far shorter
            return
        if self.fake.mode in ("stream", "cut"):
            self._stream()
            return
        if self.fake.mode == "redirect":  # not followed: the key goes to the declared URL alone
            self._send(307, b"", {"Location": f"{self.fake.url}/elsewhere"})
            return
        self._send(500 if self.fake.mode == "error" else 200, json.dumps(_model_answer(self.fake)).encode())

    def _stream(self) -> None:
        """Server-sent events as OpenAI sends them; HTTP/1.0, so the end of the body is the close."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        text = self.fake.reply
        for start in range(0, len(text), self.fake.piece):
            delta = {"choices": [{"index": 0, "delta": {"content": text[start : start + self.fake.piece]}}]}
            self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
            self.wfile.flush()
        if self.fake.mode == "stream":
            self.wfile.write(b"data: [DONE]\n\n")

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fake_model_server() -> Iterator[FakeModel]:
    fake = FakeModel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_ModelHandler,), {"fake": fake}))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()


def model_settings(emulator, database_url: str, fake: FakeModel | None, timeout: float = 10.0) -> Settings:
    """conftest's multi-workspace settings, with `fake` declared as the language model (None: no model)."""
    ai = (
        {
            "northline_ai_base_url": fake.url,
            "northline_ai_model": MODEL_NAME,
            "northline_ai_api_key": MODEL_KEY,
            "northline_ai_timeout": timeout,
        }
        if fake is not None
        else {}
    )
    return Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        database_url=database_url,
        **ai,
    )


def model_facts(request: dict) -> dict:
    """The JSON facts in a request's one user message."""
    user = [m for m in request["body"]["messages"] if m["role"] == "user"]
    assert len(user) == 1
    return json.loads(user[0]["content"].split("Facts (JSON):\n", 1)[1])


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
