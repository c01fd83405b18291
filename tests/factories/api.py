"""The REST API on a fixed clock, and its tokens."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from bot.services.tokens import Limits
from bot.web import create_web
from tests.conftest import ADMIN, TEAM, NorthlineClient, serve
from tests.factories.answers import answer, answer_text
from tests.factories.times import NOW

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
