"""Ask Northline: a seeded team, and a fake language model."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.settings import Settings
from tests.conftest import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    CLIENT_ID,
    CLIENT_SECRET,
    MALLORY,
    OTHER_TEAM,
    SIGNING_SECRET,
)
from tests.factories.checkins import make_check_ins
from tests.factories.kra import make_kra_row
from tests.factories.okr import make_key_result, make_objective
from tests.factories.sprint import make_sprint
from tests.factories.workspaces import make_workspace

MODEL_NAME = "test-model-1"


MODEL_KEY = "sk-test-0123456789"


def make_ask_northline_data(db) -> int:
    """TEAM: OBJ-1 in #growth (KRA-1) with KR-1 (Alice, at risk, confidence on track, a blocker
    noted this week) and KR-2 (Bob, on track, last checked in in November); OBJ-2 of Carol's, in no
    channel, with KR-3 (off track). An active sprint in #growth serving nothing. OTHER_TEAM: one
    objective of Mallory's. For a clock frozen at Friday 4 December 2026, 12:00 UTC."""
    ws = make_workspace(db, timezone="Europe/London")
    with db.session() as session:
        kra_id = make_kra_row(session, ws, 1, "Revenue", ALICE).id
    obj1 = make_objective(db, ws, ALICE, channel=CHANNEL, title="Grow revenue", kra_id=kra_id)
    kr1 = make_key_result(db, ws, obj1, ALICE, title="Raise MRR")
    kr2 = make_key_result(db, ws, obj1, BOB, title="Sign partners", target_value=10.0)
    obj2 = make_objective(db, ws, CAROL, title="Hiring plan")
    kr3 = make_key_result(db, ws, obj2, CAROL, title="Hire <b>engineers</b> & interns", target_value=10.0)
    make_check_ins(db, ws, kr1, ALICE, [(datetime(2026, 11, 20, 9), 40.0, "")], confidence="on_track")
    make_check_ins(
        db, ws, kr1, ALICE, [(datetime(2026, 12, 2, 9), 50.0, "blocked on the billing migration")], "on_track"
    )
    make_check_ins(db, ws, kr2, BOB, [(datetime(2026, 11, 10, 9), 8.0, "")])
    make_check_ins(db, ws, kr3, CAROL, [(datetime(2026, 12, 1, 9), 2.0, "waiting for budget")], "off_track")
    make_sprint(db, ws, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 11), name="Checkout sprint")
    other = make_workspace(db, team_id=OTHER_TEAM)
    secret = make_objective(db, other, MALLORY, title="Secret plan")
    mkr = make_key_result(db, other, secret, MALLORY, title="Secret metric")
    make_check_ins(db, other, mkr, MALLORY, [(datetime(2026, 12, 1, 9), 5.0, "")])
    return ws


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
