"""Where Northline works around Bolt, a test says so and fails the day Bolt changes."""

from __future__ import annotations

from urllib.parse import urlencode

from slack_bolt.request.internals import parse_body

from bot.ids import Block, Callback
from tests.conftest import ALICE, TEAM
from tests.helpers import opened_view


def test_bolt_still_loses_a_form_body_that_mentions_payload():
    """bot/web.py's FormBodyHandler exists because of this. When it fails, Bolt parses such a body
    right: delete FormBodyHandler (NorthlineWSGI can use SlackRequestHandler again) and this test."""
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
