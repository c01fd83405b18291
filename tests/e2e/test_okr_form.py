"""`/okr new`'s form: it opens with one key result, grows one at a time, and numbers each field."""

from __future__ import annotations

import json

from bot.ids import Action, Block, Callback
from tests.conftest import ALICE, CHANNEL, TEAM
from tests.factories import by_block, objective_values, opened_view


def _open(slack, emulator) -> dict:
    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    return opened_view(emulator, Callback.OBJECTIVE_NEW)


def test_key_result_labels_are_numbered(slack, emulator):
    blocks = by_block(_open(slack, emulator))
    assert blocks[Block.KR_START.of(n=1)]["label"]["text"] == "Key result 1: start"
    assert blocks[Block.KR_OWNER.of(n=1)]["label"]["text"] == "Key result 1: owner"


def test_the_form_opens_with_one_key_result_and_an_add_button(slack, emulator):
    view = _open(slack, emulator)
    assert len(view["blocks"]) == 17
    blocks = by_block(view)
    assert Block.KR_TITLE.of(n=1) in blocks and Block.KR_TITLE.of(n=2) not in blocks
    assert blocks["kr_add"]["elements"][0]["action_id"] == "add_key_result"
    assert json.loads(view["private_metadata"]) == {"rows": 1}
    assert emulator.violations == []


def test_add_key_result_redraws_the_form_with_one_more_group(slack, emulator):
    _open(slack, emulator)
    view = emulator.last_view(Callback.OBJECTIVE_NEW)  # as Slack holds it: with its id and hash
    slack.action(
        Action.ADD_KEY_RESULT,
        view=view,
        user_id=ALICE,
        team_id=TEAM,
        state_values={Block.OBJ_TITLE: "Customers love onboarding", Block.KR_TITLE.of(n=1): "Activation"},
    )
    call = emulator.wait_for("views.update", count=1)[-1].args
    redrawn = call["view"]
    assert call["view_id"] == view["id"] and call["hash"] == view["hash"]
    assert len(redrawn["blocks"]) == 26
    ids = [block.get("block_id") for block in redrawn["blocks"] if block["type"] == "input"]
    assert ids == [
        "obj_title", "obj_description", "obj_owner", "obj_cycle", "obj_channel", "obj_parent", "obj_kra",
        "kr_1_title", "kr_1_start", "kr_1_target", "kr_1_unit", "kr_1_owner", "kr_1_weight", "kr_1_milestone",
        "kr_2_title", "kr_2_start", "kr_2_target", "kr_2_unit", "kr_2_owner", "kr_2_weight", "kr_2_milestone",
    ]  # fmt: skip
    assert by_block(redrawn)[Block.KR_OWNER.of(n=2)]["element"]["initial_user"] == ALICE
    assert json.loads(redrawn["private_metadata"]) == {"rows": 2}
    assert emulator.violations == []


def test_the_fifth_group_takes_the_add_button_away(slack, emulator):
    view = _open(slack, emulator)
    for clicks in range(1, 5):
        slack.action(Action.ADD_KEY_RESULT, view=view, user_id=ALICE, team_id=TEAM)
        emulator.wait_for("views.update", count=clicks)
        view = emulator.last_view(Callback.OBJECTIVE_NEW)
    blocks = by_block(view)
    assert Block.KR_TITLE.of(n=5) in blocks and "kr_add" not in blocks
    assert json.loads(view["private_metadata"]) == {"rows": 5}
    assert len(view["blocks"]) == 52


def test_an_empty_first_key_result_is_refused_under_its_title(slack, emulator):
    view = _open(slack, emulator)
    response = slack.submit_view(view, objective_values(krs=()), user_id=ALICE, team_id=TEAM)
    assert response.json() == {
        "response_action": "errors",
        "errors": {"kr_1_title": "Add at least one key result: how will you know you got there?"},
    }
