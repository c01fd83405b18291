"""A unit, a data source's pointer and its failure message are typed by people (or read from a
server), so every surface shows them as text: `@channel <https://evil|Login>` as a unit pings
nobody and is no link with a hidden address, in the reminder DM, `/okr show`, App Home, the digest,
KPI lists and the answers of `/okr sync`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from bot.forms.kra import KpiForm, KraForm
from bot.jobs.digest import channel_digests
from bot.jobs.reminders import checkin_reminders
from bot.services import kras as kra_service
from bot.services.workspaces import workspace_for
from bot.settings import Settings
from bot.sources.bindings import bind
from bot.sources.connections import parse_connections
from bot.sources.spec import SourceSpec
from storage.models import KeyResult, Objective, PersonPreference, SourceBinding
from storage.repositories import okrs as okr_repo
from tests.conftest import ALICE, CHANNEL, TEAM
from tests.factories import FRIDAY_LONDON, MONDAY_LONDON, answer, answer_text, clients, published
from tests.factories import make_objective_via_service as make_objective

EVIL = "@channel <https://evil|Login>"
# What the one user-text rule makes of it: the broadcast defused by a zero-width space after "@",
# the link spelt out with its real address.
SHOWN = "@\u200bchannel Login (https://evil)"


def _assert_plain(text: str) -> None:
    assert SHOWN in text, text
    assert "<https://evil" not in text and "@channel" not in text and "<!channel>" not in text


def _evil_key_result(db) -> tuple[int, int]:
    obj, (kr,) = make_objective(db, krs=(("Activation rate", 40.0, 60.0, EVIL, False),))
    with db.session() as session:
        session.scalars(select(Objective)).one().channel_id = CHANNEL
        # A number as a data source leaves it: the owner is still asked to check in this week.
        session.scalars(select(KeyResult)).one().current_value = 45.0
    return obj, kr


def test_a_unit_shows_as_text_in_the_reminder_show_home_and_digest(slack, emulator, db):
    obj, _ = _evil_key_result(db)

    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    [dm] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ALICE]
    _assert_plain(json.dumps(dm.args["blocks"], ensure_ascii=False))
    _assert_plain(dm.args["text"])

    _assert_plain(answer_text(answer(slack, "/okr", f"show OBJ-{obj}")))
    _assert_plain(json.dumps(published(slack, emulator), ensure_ascii=False))

    before = len(emulator.calls_to("chat.postMessage", ok=True))
    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    posts = emulator.calls_to("chat.postMessage", ok=True)[before:]
    assert posts, "the digest posted nothing"
    # The digest shows progress, not numbers with their unit; should it ever show one, as text.
    digest = json.dumps([c.args.get("blocks") for c in posts], ensure_ascii=False)
    assert "Activation rate" in digest
    assert "<https://evil" not in digest and "@channel" not in digest


def test_a_kpi_unit_shows_as_text_in_kra_list_and_show(slack, db):
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        form = KraForm(
            title="Support", owner_id=ALICE, kpis=[KpiForm(name="First response", unit=EVIL, target=4)]
        )
        number = kra_service.create_kra(session, workspace, ALICE, form).kra.number

    _assert_plain(answer_text(answer(slack, "/kra", "list")))
    _assert_plain(answer_text(answer(slack, "/kra", f"show KRA-{number}")))


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b'{"value": 42}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def answers() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings, answers) -> Settings:
    """The operator declared one connection, `crm`, on the local answering server (allowed)."""
    declared = parse_connections(
        {"NORTHLINE_SOURCE_CRM_URL": answers, "NORTHLINE_SOURCE_CRM_TEAMS": TEAM}, several_workspaces=True
    )
    return settings.model_copy(update={"northline_fetch_allow": ("127.0.0.1",)}).with_connections(declared)


def _bound(db, settings: Settings, kr_number: int, path: str, pointer: str) -> int:
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        kr, _ = okr_repo.key_result_by_number(session, workspace.id, kr_number)
        spec = SourceSpec(connection="crm", path=path, pointer="/value")
        bind(session, workspace, kr, spec, ALICE, connections=settings.connections, max_sources=200)
        binding = session.scalars(select(SourceBinding).where(SourceBinding.key_result_id == kr.id)).one()
        binding.pointer = pointer  # as stored, whatever checks the form made of it
        return binding.id


def test_source_answers_and_errors_show_as_text(slack, db, settings):
    obj, kr = _evil_key_result(db)
    binding_id = _bound(db, settings, kr, "/metrics", "/value")

    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert f"Synced `KR-{kr}`: 42 {SHOWN}" in said
    _assert_plain(said)

    # A pointer that finds nothing is quoted in the error: the reply shows it as typed, defused.
    with db.session() as session:
        session.get(SourceBinding, binding_id).pointer = "/<!channel>"
    said = answer_text(answer(slack, "/okr", f"sync KR-{kr}"))
    assert "Could not sync" in said and "@\u200bchannel" in said
    assert "<!channel>" not in said

    # Whatever a failing source left on its binding shows as text in /okr show.
    with db.session() as session:
        binding = session.get(SourceBinding, binding_id)
        binding.last_error = EVIL
        binding.failing_since = datetime(2026, 11, 18, 9, 0)
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert "source is failing since" in show
    _assert_plain(show)


def test_the_failure_dm_shows_the_title_and_error_as_text(db, settings):
    from bot.sources.sync import sync_due_sources

    _, kr = _evil_key_result(db)
    _bound(db, settings, kr, "/metrics", "/<!channel> <https://evil|Login>")
    with db.session() as session:  # her reminder is off: the failure comes by DM, not in it
        owner = session.scalars(select(KeyResult)).one()
        session.add(
            PersonPreference(workspace_id=owner.workspace_id, user_id=owner.owner_id, muted="checkin")
        )

    class Recorder:
        sent: list[dict] = []

        def chat_postMessage(self, **kwargs):  # noqa: N802 - slack_sdk's name
            self.sent.append(kwargs)
            return {"ok": True}

    recorder = Recorder()
    t0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    for hour in range(3):
        sync_due_sources(db, lambda _w: recorder, t0 + timedelta(hours=hour), config=settings.sources)
    [dm] = recorder.sent
    assert "@\u200bchannel" in dm["text"] and "Login (https://evil)" in dm["text"]
    assert "<!channel>" not in dm["text"] and "<https://evil" not in dm["text"]
