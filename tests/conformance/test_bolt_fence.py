"""Where Northline works around Bolt, a test says so and fails the day Bolt changes."""

from __future__ import annotations

from urllib.parse import urlencode

from slack_bolt.request.internals import parse_body

from bot.ids import Block, Callback
from tests.conftest import ALICE, TEAM
from tests.factories import opened_view


def test_bolt_still_loses_a_form_body_that_mentions_payload():
    """bot/bolt_fence.py's bolt_request exists because of this. When it fails, Bolt parses such a
    body right: delete bolt_request (bot/web.py can use Bolt's SlackAppResource as it is) and this test."""
    body = urlencode({"command": "/kra", "text": "add payload quality", "team_id": TEAM})
    assert parse_body(body, "application/x-www-form-urlencoded") == {}


def test_a_command_with_the_word_payload_reaches_its_listener(slack, emulator):
    response = slack.command("/kra", "add payload quality", user_id=ALICE, team_id=TEAM)
    assert response.status == 200, response.text
    view = opened_view(emulator, Callback.KRA_NEW)
    title = next(b for b in view["blocks"] if b.get("block_id") == Block.KRA_TITLE)
    assert title["element"]["initial_value"] == "payload quality"


def test_a_forged_command_with_the_word_payload_is_still_refused(slack):
    body = urlencode({"command": "/kra", "text": "add payload", "team_id": TEAM, "user_id": ALICE})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **slack.sign(body)}
    forged = body.replace("add", "archive")  # signed for one body, sent with another
    assert slack.raw(forged, headers).status == 401


# --- what bot/bolt_fence.py relies on; when one fails, re-read that module against the new Bolt ---


def test_bolt_is_the_minor_release_the_fence_was_written_against():
    from slack_bolt.version import __version__

    assert __version__.startswith("1.30."), (
        f"slack-bolt {__version__}: re-check bot/bolt_fence.py, then the pin"
    )


def test_bolts_thread_runner_still_submits_listeners_to_the_executor_and_polls_for_the_ack():
    import inspect

    from slack_bolt.listener.thread_runner import ThreadListenerRunner

    source = inspect.getsource(ThreadListenerRunner.run)
    assert "listener_executor.submit" in source  # ListenerPool.submit is where the ack is handed back
    assert "time.sleep" in source  # the 10 ms poll ListenerPool saves


def test_an_apps_listeners_are_still_a_list_of_custom_listeners_with_run_ack_function():
    import inspect

    from slack_bolt import App
    from slack_bolt.listener.custom_listener import CustomListener

    app = App(signing_secret="x" * 16, token="xoxb-fence", token_verification_enabled=False)
    app.command("/fence")(lambda ack: ack())
    assert isinstance(app._listeners, list) and isinstance(app._listeners[0], CustomListener)
    assert list(inspect.signature(CustomListener.run_ack_function).parameters) == [
        "self",
        "request",
        "response",
    ]


def test_a_bolt_request_still_takes_a_dict_body_and_keeps_raw_body_and_mode():
    from slack_bolt import BoltRequest

    request = BoltRequest(body={"command": "/kra", "team_id": TEAM}, mode="socket_mode")
    request.raw_body, request.mode = "command=%2Fkra", "http"
    assert request.body["command"] == "/kra" and request.context.team_id == TEAM


def test_bolts_respond_still_opens_a_client_per_answer_and_builds_messages_as_pooled_respond_does():
    """bot/bolt_fence.py PooledRespond builds the message with Bolt's `_build_message` and takes
    the same arguments as Bolt's Respond; when Bolt reuses its connections, PooledRespond can go."""
    import inspect

    from slack_bolt.context.respond.internals import _build_message
    from slack_bolt.context.respond.respond import Respond

    assert "WebhookClient(" in inspect.getsource(Respond.__call__)
    answered = list(inspect.signature(Respond.__call__).parameters)[1:]
    assert list(inspect.signature(_build_message).parameters) == answered


def test_a_commands_answer_reuses_the_connection_of_the_one_before(slack, emulator, monkeypatch):
    from bot import slack_client

    monkeypatch.setattr(slack_client, "IDLE_SECONDS", 60.0)  # a slow machine still reuses it
    slack.command("/kra", "help", user_id=ALICE, team_id=TEAM)
    slack.wait_for_response_url()
    before = emulator.connections
    slack.command("/kra", "help", user_id=ALICE, team_id=TEAM)
    assert "/kra" in slack.wait_for_response_url()["text"]
    assert emulator.connections == before  # Bolt's own respond() opens one for every answer
