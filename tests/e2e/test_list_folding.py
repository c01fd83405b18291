"""`/okr list` folds beyond five objectives: the first five and a *Show all* button, which
replaces the folded answer with the whole list."""

from __future__ import annotations

from bot.ids import Action
from tests.conftest import ALICE, CHANNEL, TEAM
from tests.factories import answer, make_objectives


def _listed_refs(payload: dict) -> list[str]:
    """Each row's OBJ-n: its *Show* button's value, or its overflow's first option ("show OBJ-n")."""
    return [
        b["accessory"].get("value") or b["accessory"]["options"][0]["value"].removeprefix("show ")
        for b in payload["blocks"]
        if b["type"] == "section" and "accessory" in b
    ]


def _buttons(payload: dict) -> list[tuple[str, str, str | None]]:
    return [
        (e["text"]["text"], e["action_id"], e.get("value"))
        for b in payload.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_five_objectives_are_not_folded(slack, emulator, db, now):
    make_objectives(db, 5, now=now)
    listed = answer(slack, "/okr", "list mine", user_id=ALICE, channel_id=CHANNEL)
    assert _listed_refs(listed) == ["OBJ-1", "OBJ-2", "OBJ-3", "OBJ-4", "OBJ-5"]
    assert _buttons(listed) == []


def test_eight_objectives_fold_to_five_and_show_all_replaces_the_list(slack, emulator, db, now):
    make_objectives(db, 8, now=now, key_results=4)
    listed = answer(slack, "/okr", "list mine", user_id=ALICE, channel_id=CHANNEL)
    assert _listed_refs(listed) == ["OBJ-1", "OBJ-2", "OBJ-3", "OBJ-4", "OBJ-5"]
    assert _buttons(listed) == [("Show all", "show_all_objectives", "mine")]
    assert "5 of 8 objectives shown." in str(listed["blocks"])
    assert len(listed["blocks"]) < 50

    slack.action(
        Action.SHOW_ALL_OBJECTIVES,
        message=listed,
        user_id=ALICE,
        team_id=TEAM,
        ephemeral=True,
        channel_id=CHANNEL,
    )
    whole = slack.wait_for_response_url()
    assert whole.get("replace_original") is True
    assert _listed_refs(whole) == [f"OBJ-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8)]
    assert _buttons(whole) == []
    assert emulator.violations == []
