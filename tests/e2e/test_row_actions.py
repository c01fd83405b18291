"""The digest's objective rows carry *Show*: whoever clicks gets the objective's card with only
the actions they may take, answered to them alone; rights are checked on the click."""

from __future__ import annotations

from bot.ids import Action
from bot.jobs.digest import channel_digests
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.factories import FRIDAY_LONDON, channel_posts, clients, make_channel_with_objectives


def _labels(payload: dict) -> list[str]:
    return [
        e["text"]["text"] for b in payload.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
    ]


def test_each_digest_row_has_show_which_answers_with_the_clickers_actions(slack, db, emulator):
    make_channel_with_objectives(db, emulator)
    assert channel_digests(db, clients(emulator), FRIDAY_LONDON).sent == 1
    parent = channel_posts(emulator, CHANNEL)[0]
    accessories = [
        b["accessory"] for b in parent.args["blocks"] if b["type"] == "section" and "accessory" in b
    ]
    assert [(a["text"]["text"], a["action_id"], a["value"]) for a in accessories] == [
        ("Show", "show_objective", "OBJ-1"),
        ("Show", "show_objective", "OBJ-2"),
    ]

    slack.action(
        Action.SHOW_OBJECTIVE,
        message={"ts": parent.response["ts"]},
        user_id=ALICE,
        team_id=TEAM,
        channel_id=CHANNEL,
    )
    owner_view = slack.wait_for_response_url()
    assert owner_view["response_type"] == "ephemeral" and owner_view.get("replace_original") is False
    assert owner_view["text"].startswith("OBJ-1 Delight customers")
    assert "Edit" in _labels(owner_view) and "Close" in _labels(owner_view)

    slack.action(
        Action.SHOW_OBJECTIVE,
        message={"ts": parent.response["ts"]},
        user_id=BOB,
        team_id=TEAM,
        channel_id=CHANNEL,
    )
    other_view = slack.wait_for_response_url()
    assert "Edit" not in _labels(other_view) and "Close" not in _labels(other_view)
    assert emulator.violations == []
