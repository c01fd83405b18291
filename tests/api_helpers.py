"""What the API tests share: a served app whose API runs on a fixed clock, a tiny HTTP client,
tokens made the way an admin makes them (in Slack), and objectives made through the services."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.api.app import ApiApp
from bot.domain.cycles import cycle_for
from bot.forms.kra import KpiForm, KraForm
from bot.forms.okr import KeyResultForm, ObjectiveForm
from bot.services import kras as kra_service
from bot.services import okrs as okr_service
from bot.services.workspaces import workspace_for
from bot.web import NorthlineWSGI
from tests.conftest import ADMIN, ALICE, TEAM, NorthlineClient, serve
from tests.helpers import answer, answer_text

NOW = datetime(2026, 11, 18, 12, 0, 0)  # a Wednesday in the middle of 2026-Q4
CYCLE = cycle_for(NOW.date()).name
SECRET = re.compile(r"nlk_[A-Za-z0-9_-]+")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
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
                return Reply(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str, token: str | None = None, **kwargs) -> Reply:
        return self.call("GET", path, token=token, **kwargs)

    def post(self, path: str, body=None, token: str | None = None, **kwargs) -> Reply:
        return self.call("POST", path, token=token, body=body, **kwargs)


@contextmanager
def served_api(web_app, db, emulator, *, rate_limit: int = 1000) -> Iterator[tuple[NorthlineClient, Api]]:
    """The whole app (Slack and API on one server, as gunicorn serves it), the API on NOW's clock."""
    with serve(NorthlineWSGI(web_app, db, ApiApp(db, rate_limit=rate_limit, clock=lambda: NOW))) as url:
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


def make_objective(
    db,
    team_id: str = TEAM,
    title: str = "Customers love onboarding",
    owner: str = ALICE,
    krs=(("Activation rate", 40.0, 60.0, "%", False),),
    cycle: str = CYCLE,
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
