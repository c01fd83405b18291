"""`/okr show` carries its actions: Check in, Edit, Close, Follow, Share to channel. Each button
checks rights and the objective's state again when clicked."""

from __future__ import annotations

from bot.ids import Action, Callback
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.factories import answer, make_objective_via_slack, opened_view


def _buttons(payload: dict) -> list[tuple[str, str, str | None]]:
    return [
        (e["text"]["text"], e["action_id"], e.get("value"))
        for b in payload.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def _show(slack, user=ALICE, channel=CHANNEL) -> dict:
    return answer(slack, "/okr", "show OBJ-1", user_id=user, channel_id=channel)


def test_the_owner_sees_every_action_and_no_commands_to_type(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)
    assert _buttons(payload) == [
        ("Check in", "open_checkin", None),
        ("Edit", "edit_objective", "OBJ-1"),
        ("Close", "close_objective", "OBJ-1"),
        ("Follow", "follow_objective", "OBJ-1"),
        ("Share to channel", "share_objective", "OBJ-1"),
    ]
    assert "`/okr edit OBJ-1`" not in str(payload["blocks"])
    assert emulator.violations == []


def test_others_see_only_what_they_may_do(slack, emulator):
    make_objective_via_slack(slack, emulator)
    assert [b[0] for b in _buttons(_show(slack, user=BOB))] == ["Check in", "Follow"]


def test_no_share_button_in_a_dm(slack, emulator):
    make_objective_via_slack(slack, emulator)
    labels = [b[0] for b in _buttons(_show(slack, channel="D0ALICE"))]
    assert "Share to channel" not in labels and "Edit" in labels


def test_edit_and_close_open_the_same_forms_as_the_commands(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)
    before = len(emulator.calls_to("views.open", ok=True))
    slack.action(Action.EDIT_OBJECTIVE, message=payload, user_id=ALICE, team_id=TEAM, ephemeral=True)
    assert (
        opened_view(emulator, Callback.OBJECTIVE_EDIT, count=before + 1)["private_metadata"] == '{"obj": 1}'
    )
    slack.action(Action.CLOSE_OBJECTIVE, message=payload, user_id=ALICE, team_id=TEAM, ephemeral=True)
    assert (
        opened_view(emulator, Callback.OBJECTIVE_CLOSE, count=before + 2)["private_metadata"] == '{"obj": 1}'
    )
    assert emulator.violations == []


def test_an_old_edit_button_checks_the_state_again(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)
    answer(slack, "/okr", "archive OBJ-1", user_id=ALICE)
    before = len(emulator.calls_to("views.open"))
    slack.action(Action.EDIT_OBJECTIVE, message=payload, user_id=ALICE, team_id=TEAM, ephemeral=True)
    slack.settle()
    assert len(emulator.calls_to("views.open")) == before
    told = [c.args.get("text", "") for c in emulator.calls_to("chat.postEphemeral")] + [
        c.args.get("text", "") for c in emulator.calls_to("response_url")
    ]
    assert any("OBJ-1 is archived" in t for t in told), told


def test_share_posts_the_card_into_the_channel(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)
    slack.action(
        Action.SHARE_OBJECTIVE,
        message=payload,
        user_id=ALICE,
        team_id=TEAM,
        ephemeral=True,
        channel_id=CHANNEL,
    )
    slack.settle()
    shared = [c.args for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(shared) == 1
    assert shared[0]["text"].startswith("OBJ-1 Customers love our onboarding")
    assert "Shared by <@U0ALICE>" in str(shared[0]["blocks"])
    assert not any(b["type"] == "actions" for b in shared[0]["blocks"])
    assert emulator.violations == []


def test_each_listed_objective_has_show_which_answers_with_its_actions(slack, emulator):
    make_objective_via_slack(slack, emulator)
    # Bob may do nothing with Alice's objective but look: its row keeps the *Show* button.
    listed = answer(slack, "/okr", "list all", user_id=BOB, channel_id=CHANNEL)
    accessories = [b["accessory"] for b in listed["blocks"] if b["type"] == "section" and "accessory" in b]
    assert [(a["text"]["text"], a["action_id"], a["value"]) for a in accessories] == [
        ("Show", "show_objective", "OBJ-1")
    ]
    slack.action(
        Action.SHOW_OBJECTIVE, message=listed, user_id=BOB, team_id=TEAM, ephemeral=True, channel_id=CHANNEL
    )
    shown = slack.wait_for_response_url()
    assert shown["text"].startswith("OBJ-1 Customers love our onboarding")
    assert shown.get("replace_original") is False
    assert [b[0] for b in _buttons(shown)] == ["Check in", "Follow"]
    assert emulator.violations == []
