"""Every listener's ack goes back the moment ack() is called: the app swaps Bolt's Ack for one
that signals, and its listener pool waits on that signal (tests/unit/test_listener_pool.py)."""

from __future__ import annotations

from bot.app import ListenerPool, SignallingAck, create_app
from bot.web import create_web
from tests.conftest import ALICE, NorthlineClient, serve
from tests.factories import answer, answer_text


def test_a_slash_command_is_answered_through_the_signalling_ack(
    settings, db, installed, emulator, monkeypatch
):
    expected: list[SignallingAck] = []
    register = ListenerPool.expect_ack
    monkeypatch.setattr(
        ListenerPool, "expect_ack", lambda pool, ack: (expected.append(ack), register(pool, ack))
    )
    app = create_app(settings, db=db)
    assert isinstance(app.listener_runner.listener_executor, ListenerPool)
    with serve(create_web(app, db)) as url:
        slack = NorthlineClient(url, app, emulator)
        payload = answer(slack, "/kra", "help", user_id=ALICE)
    assert "/kra add" in answer_text(payload)
    [ack] = expected
    assert ack.called.is_set() and ack.response is not None and ack.response.status == 200


def test_the_listener_pool_has_the_threads_the_operator_set(settings, db):
    app = create_app(settings.model_copy(update={"northline_listener_threads": 3}), db=db)
    assert app.listener_runner.listener_executor._max_workers == 3
