"""What a team hits in its first weeks, end to end: text shown as typed, forms that save once,
numbers that read right, and Slack's limits. Signed HTTP into the real app, a real database,
the emulator recording what the app sent."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.ids import Block, Callback
from storage.models import Kra, Sprint
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.helpers import answer, answer_text, opened_view

EVIL = "<https://evil.example|Reset your password> & <team>"


def create_kra(slack, emulator, title: str, *, user=ALICE) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/kra", "add", user_id=user, team_id=TEAM)
    view = opened_view(emulator, Callback.KRA_NEW, count=before + 1)
    values = {Block.KRA_TITLE: title, Block.KRA_OWNER: user, Block.KPI_NAME.of(n=1): "NPS", Block.KPI_TARGET.of(n=1): "50"}
    response = slack.submit_view(view, values, user_id=user, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    return view


def mrkdwn_texts(payload) -> list[str]:
    """Every text Slack reads as mrkdwn: a message's `text` and each mrkdwn text object."""
    found: list[str] = []

    def walk(node, key=None) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node.get("text", ""))
            elif key is None and isinstance(node.get("text"), str):
                found.append(node["text"])  # a message's top-level fallback
            for k, value in node.items():
                if isinstance(value, dict | list):
                    walk(value, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    walk(payload)
    return found


def _no_live_markup(payload) -> None:
    for text in mrkdwn_texts(payload):
        assert "<https://evil.example" not in text and "<team>" not in text, text


# --- 1. typed text is text ----------------------------------------------------------------------


def test_a_kra_title_typed_as_a_link_is_shown_as_text_on_every_surface(slack, emulator, db):
    create_kra(slack, emulator, EVIL)
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ALICE)[-1]
    home = emulator.wait_for("views.publish", where=lambda c: c.args.get("user_id") == ALICE)[-1]
    listed = answer(slack, "/kra", f"list <@{ALICE}|alice>", user_id=BOB)
    shown = answer(slack, "/kra", "show KRA-1", user_id=BOB)
    for surface in (dm.args, home.args["view"], listed, shown):
        _no_live_markup(surface)
    # The link's real address is in plain sight, and "<team>" reads as typed.
    assert "Reset your password (https://evil.example) &amp; &lt;team&gt;" in answer_text(listed)
    with db.session() as session:
        assert session.scalars(select(Kra.title)).one() == EVIL  # stored as typed
    slack.settle()


def test_a_mention_typed_into_a_sprint_goal_pings_nobody(slack, emulator, db):
    before = len(emulator.calls_to("views.open"))
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = emulator.wait_for("views.open", count=before + 1)[-1].args["view"]
    response = slack.submit_view(view, {Block.SPRINT_GOAL: f"Ship it with <@{BOB}> <!channel>"}, user_id=ALICE, team_id=TEAM)
    assert response.status == 200, response.text
    post = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == CHANNEL)[-1]
    for text in mrkdwn_texts(post.args):
        assert f"<@{BOB}>" not in text and "<!channel>" not in text, text
    assert f"@{BOB}" in json.dumps(post.args)
    slack.settle()
