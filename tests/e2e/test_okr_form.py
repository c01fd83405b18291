"""`/okr new`'s form: it opens short (the objective and one required key result), grows one key
result at a time, shows each key result's owner, weight and milestone under *More options*, and
numbers each field; `/okr edit` shows every field."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.domain.enums import KeyResultKind
from bot.ids import Action, Block, Callback
from storage.models import KeyResult
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.factories import (
    by_block,
    grow_objective_form,
    make_objective_via_slack,
    objective_values,
    opened_view,
)

OPTIONS = ("owner", "weight", "milestone")


def _open(slack, emulator) -> dict:
    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    return opened_view(emulator, Callback.OBJECTIVE_NEW)


def _click(slack, emulator, action: str, view: dict, **state_values) -> dict:
    """Click `action` in the form as Slack holds it; the form as Slack then holds it, checked to
    be a views.update of that same view (its id and the hash it had)."""
    updates = len(emulator.calls_to("views.update"))
    slack.action(action, view=view, user_id=ALICE, team_id=TEAM, state_values=state_values)
    call = emulator.wait_for("views.update", count=updates + 1)[-1].args
    assert call["view_id"] == view["id"] and call["hash"] == view["hash"]
    return emulator.view(view["id"])


def _inputs(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


def _buttons(view: dict) -> list[str]:
    return [element["action_id"] for element in by_block(view).get(Block.KR_ADD, {}).get("elements", [])]


def test_key_result_labels_are_numbered_and_the_first_is_required(slack, emulator):
    view = _click(slack, emulator, Action.ADD_KEY_RESULT, emulator.resolve_view(_open(slack, emulator)))
    view = _click(slack, emulator, Action.KR_MORE_OPTIONS, view)
    blocks = by_block(view)
    assert blocks[Block.KR_TITLE.of(n=2)]["label"]["text"] == "Key result 2"
    assert blocks[Block.KR_TARGET.of(n=2)]["label"]["text"] == "Key result 2: target"
    assert blocks[Block.KR_OWNER.of(n=1)]["label"]["text"] == "Key result 1: owner"
    assert blocks[Block.KR_MILESTONE.of(n=2)]["label"]["text"] == "Key result 2: milestone"
    # Slack asks for the first key result itself; the second stays optional.
    assert blocks[Block.KR_TITLE.of(n=1)]["optional"] is False
    assert blocks[Block.KR_TITLE.of(n=2)]["optional"] is True
    assert blocks[Block.KR_TITLE.of(n=1)]["hint"]["text"] == "A measurable outcome: from start to target."


def test_the_form_opens_short_with_one_key_result_and_its_buttons(slack, emulator):
    view = _open(slack, emulator)
    assert len(view["blocks"]) == 13 <= 20  # seven objective fields, a divider and four, the buttons
    assert _inputs(view) == [
        "obj_title", "obj_description", "obj_owner", "obj_cycle", "obj_channel", "obj_parent", "obj_kra",
        "kr_1_title", "kr_1_start", "kr_1_target", "kr_1_unit",
    ]  # fmt: skip
    assert _buttons(view) == ["add_key_result", "kr_more_options"]
    assert [e["text"]["text"] for e in by_block(view)[Block.KR_ADD]["elements"]] == [
        "Add key result",
        "More options",
    ]
    assert json.loads(view["private_metadata"]) == {"rows": 1}
    assert emulator.violations == []


def test_add_key_result_redraws_the_form_with_one_more_group(slack, emulator):
    view = emulator.resolve_view(_open(slack, emulator))
    typed = {Block.OBJ_TITLE: "Customers love onboarding", Block.KR_TITLE.of(n=1): "Activation"}
    redrawn = _click(slack, emulator, Action.ADD_KEY_RESULT, view, **typed)
    assert len(redrawn["blocks"]) == 18
    assert _inputs(redrawn) == [
        "obj_title", "obj_description", "obj_owner", "obj_cycle", "obj_channel", "obj_parent", "obj_kra",
        "kr_1_title", "kr_1_start", "kr_1_target", "kr_1_unit",
        "kr_2_title", "kr_2_start", "kr_2_target", "kr_2_unit",
    ]  # fmt: skip
    assert by_block(redrawn)[Block.OBJ_TITLE]["element"]["initial_value"] == "Customers love onboarding"
    assert _buttons(redrawn) == ["add_key_result", "kr_more_options"]
    assert json.loads(redrawn["private_metadata"]) == {"rows": 2}
    assert emulator.violations == []


def test_more_options_shows_every_key_results_options_with_their_defaults(slack, emulator):
    view = _click(slack, emulator, Action.ADD_KEY_RESULT, emulator.resolve_view(_open(slack, emulator)))
    typed = {Block.OBJ_OWNER: BOB, Block.KR_TITLE.of(n=1): "Activation", Block.KR_TARGET.of(n=2): "60%"}
    shown = _click(slack, emulator, Action.KR_MORE_OPTIONS, view, **typed)
    # The fields already there keep their place and block_ids, so Slack keeps what was typed.
    assert _inputs(shown) == [
        "obj_title", "obj_description", "obj_owner", "obj_cycle", "obj_channel", "obj_parent", "obj_kra",
        "kr_1_title", "kr_1_start", "kr_1_target", "kr_1_unit", "kr_1_owner", "kr_1_weight", "kr_1_milestone",
        "kr_2_title", "kr_2_start", "kr_2_target", "kr_2_unit", "kr_2_owner", "kr_2_weight", "kr_2_milestone",
    ]  # fmt: skip
    blocks = by_block(shown)
    for n in (1, 2):  # the defaults: the objective's owner as chosen, weight 1, not a milestone
        assert blocks[Block.KR_OWNER.of(n=n)]["element"]["initial_user"] == BOB
        assert blocks[Block.KR_WEIGHT.of(n=n)]["element"]["initial_value"] == "1"
        assert "initial_options" not in blocks[Block.KR_MILESTONE.of(n=n)]["element"]
    assert _buttons(shown) == ["add_key_result"]
    assert json.loads(shown["private_metadata"]) == {"rows": 2, "options": True}
    # A key result added afterwards comes with its options too.
    grown = _click(slack, emulator, Action.ADD_KEY_RESULT, shown)
    assert [f"kr_3_{field}" in by_block(grown) for field in OPTIONS] == [True, True, True]
    assert json.loads(grown["private_metadata"]) == {"rows": 3, "options": True}
    assert emulator.violations == []


def test_five_key_results_with_their_options_stay_under_fifty_blocks(slack, emulator):
    view = grow_objective_form(slack, emulator, _open(slack, emulator), 5)
    assert Block.KR_TITLE.of(n=5) in by_block(view) and _buttons(view) == ["kr_more_options"]
    assert len(view["blocks"]) == 33
    view = grow_objective_form(slack, emulator, view, 5, options=True)
    assert Block.KR_ADD not in by_block(view)  # nothing more to add or show
    assert Block.KR_MILESTONE.of(n=5) in by_block(view)
    assert json.loads(view["private_metadata"]) == {"rows": 5, "options": True}
    assert len(view["blocks"]) == 47 <= 50
    assert emulator.violations == []


def test_options_never_shown_take_their_defaults(slack, emulator, db):
    view = grow_objective_form(slack, emulator, _open(slack, emulator), 2)
    values = objective_values(owner=BOB, krs=(("Activation", "40", "60", "%"), ("Launch", "0", "1", "")))
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        krs = session.scalars(select(KeyResult).order_by(KeyResult.position)).all()
    assert [(k.title, k.owner_id, k.weight, k.kind) for k in krs] == [
        ("Activation", BOB, 1.0, KeyResultKind.METRIC),
        ("Launch", BOB, 1.0, KeyResultKind.METRIC),
    ]


def test_options_shown_are_saved(slack, emulator, db):
    view = grow_objective_form(slack, emulator, _open(slack, emulator), 2, options=True)
    values = objective_values(
        krs=(("Activation", "40", "60", "%"), ("Ship the beta", "", "", "")),
        **{
            Block.KR_OWNER.of(n=1): BOB,
            Block.KR_WEIGHT.of(n=1): "3",
            Block.KR_MILESTONE.of(n=2): ["milestone"],
        },
    )
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        krs = session.scalars(select(KeyResult).order_by(KeyResult.position)).all()
    assert [(k.owner_id, k.weight, k.kind) for k in krs] == [
        (BOB, 3.0, KeyResultKind.METRIC),
        (ALICE, 1.0, KeyResultKind.MILESTONE),
    ]


def test_an_empty_first_key_result_is_asked_for_by_slack_and_refused_under_its_title(slack, emulator):
    view = _open(slack, emulator)
    with pytest.raises(ValueError, match="kr_1_title"):  # Slack's own client does not submit it
        slack.submit_view(view, objective_values(krs=()), user_id=ALICE, team_id=TEAM)
    response = slack.submit_view(view, objective_values(krs=()), user_id=ALICE, team_id=TEAM, validate=False)
    assert response.json() == {
        "response_action": "errors",
        "errors": {"kr_1_title": "Add at least one key result: how will you know you got there?"},
    }


def test_the_edit_form_shows_every_field_of_every_key_result(slack, emulator):
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Activation", "40", "60", "%"), ("Ship the beta", "", "", "")),
        **{
            Block.KR_OWNER.of(n=1): BOB,
            Block.KR_WEIGHT.of(n=1): "2",
            Block.KR_MILESTONE.of(n=2): ["milestone"],
        },
    )
    slack.command("/okr", "edit OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_EDIT, count=2)
    blocks = by_block(view)
    assert all(f"kr_{n}_{field}" in blocks for n in range(1, 6) for field in OPTIONS)
    assert blocks[Block.KR_OWNER.of(n=1)]["element"]["initial_user"] == BOB
    assert blocks[Block.KR_WEIGHT.of(n=1)]["element"]["initial_value"] == "2"
    assert blocks[Block.KR_MILESTONE.of(n=2)]["element"]["initial_options"][0]["value"] == "milestone"
    # Clearing the first row archives that key result, so here it stays optional; no buttons.
    assert blocks[Block.KR_TITLE.of(n=1)]["optional"] is True and Block.KR_ADD not in blocks
    assert len(view["blocks"]) == 47
    assert emulator.violations == []
