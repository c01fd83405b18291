"""Each key result row of `/okr show` (and of the card shared into a channel) carries an overflow
menu of what the reader may do from it: *Check in* (that key result only), *Edit objective*,
*Follow* / *Unfollow objective*, *Share to channel*. Each pick checks rights and state again."""

from __future__ import annotations

from bot.ids import Action, Callback
from tests.conftest import ALICE, BOB, CAROL, CHANNEL, TEAM
from tests.factories import answer, make_objective_via_slack, opened_view

TWO_KEY_RESULTS = {
    "krs": (("Activation rate", "40", "60", "%"), ("Docs pages", "0", "20", "")),
    "kr_2_owner": BOB,
}


def _menu(payload: dict, block_id: str) -> list[tuple[str, str]]:
    [block] = [b for b in payload["blocks"] if b.get("block_id") == block_id]
    if "accessory" not in block:
        return []
    menu = block["accessory"]
    assert menu["type"] == "overflow" and menu["action_id"] == "key_result_menu"
    return [(o["text"]["text"], o["value"]) for o in menu["options"]]


def _show(slack, user=ALICE, channel=CHANNEL) -> dict:
    return answer(slack, "/okr", "show OBJ-1", user_id=user, channel_id=channel)


def _pick(slack, payload, value, block_id, user=ALICE, channel=CHANNEL):
    return slack.action(
        Action.KEY_RESULT_MENU,
        value,
        block_id=block_id,
        message=payload,
        user_id=user,
        team_id=TEAM,
        ephemeral=True,
        channel_id=channel,
    )


def _told(slack, emulator) -> list[str]:
    slack.settle()
    return [c.args.get("text", "") for c in emulator.calls_to("chat.postEphemeral")] + [
        c.args.get("text", "") for c in emulator.calls_to("response_url")
    ]


def test_the_owner_gets_every_option_on_each_row(slack, emulator):
    make_objective_via_slack(slack, emulator, **TWO_KEY_RESULTS)
    payload = _show(slack)
    assert _menu(payload, "kr_row_1") == [
        ("Check in", "checkin KR-1"),
        ("Edit objective", "edit OBJ-1"),
        ("Follow objective", "follow OBJ-1"),
        ("Share to channel", "share OBJ-1"),
    ]
    # The objective's owner may check in on a key result Bob owns.
    assert _menu(payload, "kr_row_2")[0] == ("Check in", "checkin KR-2")
    assert emulator.violations == []


def test_others_get_only_what_they_may_use(slack, emulator):
    make_objective_via_slack(slack, emulator, **TWO_KEY_RESULTS)
    bobs = _show(slack, user=BOB)
    assert _menu(bobs, "kr_row_1") == [("Follow objective", "follow OBJ-1")]
    assert _menu(bobs, "kr_row_2") == [("Check in", "checkin KR-2"), ("Follow objective", "follow OBJ-1")]
    carols = _show(slack, user=CAROL, channel="D0CAROL")
    assert _menu(carols, "kr_row_2") == [("Follow objective", "follow OBJ-1")]


def test_check_in_opens_the_form_for_that_key_result_only(slack, emulator):
    make_objective_via_slack(slack, emulator, **TWO_KEY_RESULTS)
    payload = _show(slack)
    before = len(emulator.calls_to("views.open"))
    _pick(slack, payload, "checkin KR-2", "kr_row_2")
    form = opened_view(emulator, Callback.CHECKIN, count=before + 1)
    block_ids = [b.get("block_id", "") for b in form["blocks"]]
    assert [b for b in block_ids if b.endswith("_value")] == ["checkin_2_value"]
    response = slack.submit_view(form, {"checkin_2_value": "5"}, user_id=ALICE, team_id=TEAM)
    assert response.status == 200, response.text
    shown = _show(slack)
    assert "5 (0 → 20)" in str(shown["blocks"])


def test_follow_then_unfollow_from_a_row(slack, emulator):
    make_objective_via_slack(slack, emulator, **TWO_KEY_RESULTS)
    payload = _show(slack, user=BOB)
    _pick(slack, payload, "follow OBJ-1", "kr_row_1", user=BOB)
    assert "You now follow `OBJ-1`" in slack.wait_for_response_url()["text"]
    again = _show(slack, user=BOB)
    assert ("Unfollow objective", "unfollow OBJ-1") in _menu(again, "kr_row_1")
    _pick(slack, again, "unfollow OBJ-1", "kr_row_1", user=BOB)
    assert "You no longer follow `OBJ-1`" in slack.wait_for_response_url()["text"]


def test_edit_and_share_from_a_row(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)
    before = len(emulator.calls_to("views.open"))
    _pick(slack, payload, "edit OBJ-1", "kr_row_1")
    assert (
        opened_view(emulator, Callback.OBJECTIVE_EDIT, count=before + 1)["private_metadata"] == '{"obj": 1}'
    )
    _pick(slack, payload, "share OBJ-1", "kr_row_1")
    slack.settle()
    shared = [c.args for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(shared) == 1 and "Shared by <@U0ALICE>" in str(shared[0]["blocks"])
    # The shared card's rows offer what anyone might do; each pick is checked for the clicker.
    assert _menu(shared[0], "kr_row_1") == [
        ("Check in", "checkin KR-1"),
        ("Follow objective", "follow OBJ-1"),
    ]
    assert emulator.violations == []


def test_a_stale_row_on_a_closed_objective_changes_nothing(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)
    form_before = len(emulator.calls_to("views.open"))
    answer(slack, "/okr", "archive OBJ-1", user_id=ALICE)
    _pick(slack, payload, "checkin KR-1", "kr_row_1")
    _pick(slack, payload, "follow OBJ-1", "kr_row_1")
    told = _told(slack, emulator)
    assert len(emulator.calls_to("views.open")) == form_before
    assert any("KR-1 is archived" in t or "KR-1 was not found" in t for t in told), told
    assert any("OBJ-1 is archived: only an active objective can be followed" in t for t in told), told
    assert not _menu(_show(slack), "kr_row_1")


def test_someone_elses_check_in_is_refused_on_click(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack)  # Alice's menu, clicked by Carol (a forwarded or stale message)
    before = len(emulator.calls_to("views.open"))
    _pick(slack, payload, "checkin KR-1", "kr_row_1", user=CAROL)
    _told(slack, emulator)
    assert len(emulator.calls_to("views.open")) == before


def _row_menus(payload: dict) -> list:
    return [b["accessory"] for b in payload["blocks"] if b["type"] == "section" and "accessory" in b]


def test_listed_objectives_the_reader_may_act_on_get_an_overflow(slack, emulator):
    make_objective_via_slack(slack, emulator, **TWO_KEY_RESULTS)
    listed = answer(slack, "/okr", "list all", user_id=ALICE, channel_id=CHANNEL)
    [menu] = _row_menus(listed)
    assert menu["type"] == "overflow" and menu["action_id"] == "objective_menu"
    assert [(o["text"]["text"], o["value"]) for o in menu["options"]] == [
        ("Show", "show OBJ-1"),
        ("Check in", "checkin OBJ-1"),
        ("Edit objective", "edit OBJ-1"),
        ("Share to channel", "share OBJ-1"),
    ]
    # Bob owns KR-2 only: Show and Check in. Carol owns nothing: the plain *Show* button.
    [bobs] = _row_menus(answer(slack, "/okr", "list all", user_id=BOB, channel_id=CHANNEL))
    assert [o["value"] for o in bobs["options"]] == ["show OBJ-1", "checkin OBJ-1"]
    [carols] = _row_menus(answer(slack, "/okr", "list all", user_id=CAROL, channel_id=CHANNEL))
    assert (carols["type"], carols["value"]) == ("button", "OBJ-1")
    assert emulator.violations == []


def test_a_listed_objectives_check_in_opens_the_key_results_the_reader_may_check_in(slack, emulator):
    make_objective_via_slack(slack, emulator, **TWO_KEY_RESULTS)
    listed = answer(slack, "/okr", "list all", user_id=BOB, channel_id=CHANNEL)
    before = len(emulator.calls_to("views.open"))
    slack.action(
        "objective_menu",
        "checkin OBJ-1",
        message=listed,
        user_id=BOB,
        team_id=TEAM,
        ephemeral=True,
        channel_id=CHANNEL,
    )
    form = opened_view(emulator, Callback.CHECKIN, count=before + 1)
    assert [b["block_id"] for b in form["blocks"] if b.get("block_id", "").endswith("_value")] == [
        "checkin_2_value"
    ]
    slack.action(
        "objective_menu",
        "show OBJ-1",
        message=listed,
        user_id=BOB,
        team_id=TEAM,
        ephemeral=True,
        channel_id=CHANNEL,
    )
    shown = slack.wait_for_response_url()
    assert shown["text"].startswith("OBJ-1 Customers love our onboarding")
    assert shown.get("replace_original") is False


def test_a_stale_listed_row_checks_the_state_again(slack, emulator):
    make_objective_via_slack(slack, emulator)
    listed = answer(slack, "/okr", "list all", user_id=ALICE, channel_id=CHANNEL)
    answer(slack, "/okr", "archive OBJ-1", user_id=ALICE)
    before = len(emulator.calls_to("views.open"))
    slack.action(
        "objective_menu",
        "checkin OBJ-1",
        message=listed,
        user_id=ALICE,
        team_id=TEAM,
        ephemeral=True,
        channel_id=CHANNEL,
    )
    told = _told(slack, emulator)
    assert len(emulator.calls_to("views.open")) == before
    assert any("OBJ-1 is archived; check-ins go on active key results" in t for t in told), told


def test_a_row_of_a_closed_objective_tells_why_and_changes_nothing(slack, emulator):
    make_objective_via_slack(slack, emulator)
    payload = _show(slack, user=BOB)  # Bob's menu: *Follow objective*
    mine = _show(slack)
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "close OBJ-1", user_id=ALICE, team_id=TEAM)
    close_form = opened_view(emulator, Callback.OBJECTIVE_CLOSE, count=before + 1)
    assert slack.submit_view(close_form, {}, user_id=ALICE, team_id=TEAM).status == 200
    opened = len(emulator.calls_to("views.open"))
    _pick(slack, payload, "follow OBJ-1", "kr_row_1", user=BOB)
    _pick(slack, mine, "checkin KR-1", "kr_row_1")
    _pick(slack, mine, "edit OBJ-1", "kr_row_1")
    told = _told(slack, emulator)
    assert len(emulator.calls_to("views.open")) == opened
    assert any("OBJ-1 is closed: only an active objective can be followed" in t for t in told), told
    assert any("KR-1 is closed; check-ins go on active key results. Nothing changed." in t for t in told), (
        told
    )
    assert any("OBJ-1 is closed; its history stays as it was." in t for t in told), told
    assert _menu(_show(slack, user=BOB), "kr_row_1") == []
