"""The check-in form pages ten key results at a time: *Next* saves the page and shows the next."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.ids import Action, Block, Callback
from storage.models import CheckIn, KeyResult
from tests.conftest import ALICE, TEAM
from tests.factories import make_objectives, opened_view


def kr_ids(db) -> dict[int, int]:
    with db.session() as session:
        return {number: kr_id for number, kr_id in session.execute(select(KeyResult.number, KeyResult.id))}


def open_checkin(slack, emulator) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "checkin", user_id=ALICE, team_id=TEAM)
    return opened_view(emulator, Callback.CHECKIN, count=before + 1)


def refs(view: dict) -> list[str]:
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"][1:]
    return [text.split("`")[1] for text in sections]


def next_page(slack, emulator, view: dict, values: dict) -> dict:
    before = len(emulator.calls_to("views.update"))
    slack.action(Action.CHECKIN_NEXT, view=view, state_values=values, user_id=ALICE, team_id=TEAM)
    return emulator.wait_for("views.update", count=before + 1)[-1].args["view"]


def test_32_key_results_open_as_a_page_of_ten_with_next(slack, emulator, db, now):
    make_objectives(db, 8, key_results=4, now=now)  # 32 key results, half never checked in
    view = open_checkin(slack, emulator)
    text = json.dumps(view, ensure_ascii=False)
    assert len(view["blocks"]) == 43  # intro, 10 x 4 rows, "Key results 1–10 of 32", Next
    assert "more not shown" not in text
    assert refs(view) == [
        "KR-2",
        "KR-4",
        "KR-6",
        "KR-8",
        "KR-10",
        "KR-12",
        "KR-14",
        "KR-16",
        "KR-18",
        "KR-20",
    ]
    assert "Key results 1–10 of 32." in text
    assert view["blocks"][-1]["elements"][0]["action_id"] == "checkin_next"
    slack.settle()
    assert not emulator.violations


def test_next_shows_key_results_11_to_20_and_every_page_is_saved(slack, emulator, db, now):
    make_objectives(db, 8, key_results=4, now=now)
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    page_one = {
        Block.CHECKIN_VALUE.of(id=ids[2]): "12",
        Block.CHECKIN_VALUE.of(id=ids[20]): "4",
        Block.CHECKIN_NOTE.of(id=ids[20]): "on page one",
    }
    second = next_page(slack, emulator, view, page_one)
    assert len(second["blocks"]) == 43
    assert refs(second) == [
        "KR-22",
        "KR-24",
        "KR-26",
        "KR-28",
        "KR-30",
        "KR-32",
        "KR-29",
        "KR-31",
        "KR-25",
        "KR-27",
    ]
    text = json.dumps(second, ensure_ascii=False)
    assert "Key results 11–20 of 32. 2 check-ins saved on earlier pages." in text
    assert "more not shown" not in text
    page_two = {Block.CHECKIN_VALUE.of(id=ids[22]): "33", Block.CHECKIN_VALUE.of(id=ids[29]): "55"}
    third = next_page(slack, emulator, second, page_two)
    assert refs(third) == [
        "KR-21",
        "KR-23",
        "KR-17",
        "KR-19",
        "KR-13",
        "KR-15",
        "KR-9",
        "KR-11",
        "KR-5",
        "KR-7",
    ]
    assert "Key results 21–30 of 32. 4 check-ins saved on earlier pages." in json.dumps(
        third, ensure_ascii=False
    )
    last = next_page(slack, emulator, third, {})
    assert refs(last) == ["KR-1", "KR-3"]
    assert "Key results 31–32 of 32. 4 check-ins saved on earlier pages." in json.dumps(
        last, ensure_ascii=False
    )
    assert not [b for b in last["blocks"] if b["type"] == "actions"]  # the last page has no Next
    response = slack.submit_view(
        last, {Block.CHECKIN_NOTE.of(id=ids[1]): "last page"}, user_id=ALICE, team_id=TEAM
    )
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        rows = session.execute(
            select(KeyResult.number, CheckIn.value, CheckIn.note)
            .join(KeyResult, KeyResult.id == CheckIn.key_result_id)
            .where(CheckIn.note != "seeded")
            .order_by(KeyResult.number)
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, 0.0, "last page"),
        (2, 12.0, ""),
        (20, 4.0, "on page one"),
        (22, 33.0, ""),
        (29, 55.0, ""),
    ]
    dm = emulator.wait_for("chat.postMessage", where=lambda c: "Checked in" in (c.args.get("text") or ""))[-1]
    assert "4 key results on the form's earlier pages" in dm.args["text"] and "KR-1" in dm.args["text"]
    slack.settle()
    assert not emulator.violations


def test_submitting_the_last_page_untouched_keeps_what_next_saved(slack, emulator, db, now):
    make_objectives(db, 3, key_results=4, now=now)  # 12 key results: two pages
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    last = next_page(slack, emulator, view, {Block.CHECKIN_VALUE.of(id=ids[2]): "7"})
    assert "Key results 11–12 of 12. 1 check-in saved on earlier pages." in json.dumps(
        last, ensure_ascii=False
    )
    response = slack.submit_view(last, {}, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        rows = session.execute(
            select(KeyResult.number, CheckIn.value)
            .join(KeyResult, KeyResult.id == CheckIn.key_result_id)
            .where(CheckIn.note != "seeded")
        ).all()
    assert [tuple(r) for r in rows] == [(2, 7.0)]
    dm = emulator.wait_for("chat.postMessage", where=lambda c: "Checked in" in (c.args.get("text") or ""))[-1]
    assert "1 key result on the form's earlier pages" in dm.args["text"]
    slack.settle()
    assert not emulator.violations


def test_a_bad_value_on_next_is_told_by_dm_and_nothing_is_saved(slack, emulator, db, now):
    make_objectives(db, 3, key_results=4, now=now)
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    values = {Block.CHECKIN_VALUE.of(id=ids[2]): "7", Block.CHECKIN_VALUE.of(id=ids[4]): "lots"}
    slack.action(Action.CHECKIN_NEXT, view=view, state_values=values, user_id=ALICE, team_id=TEAM)
    dm = emulator.wait_for("chat.postMessage", where=lambda c: "saved nothing" in (c.args.get("text") or ""))[
        -1
    ]
    assert dm.args["text"].startswith("*Next* saved nothing on this page")
    assert "• KR-4 value now (%):" in dm.args["text"]
    slack.settle()
    assert emulator.calls_to("views.update") == []
    with db.session() as session:
        assert session.scalars(select(CheckIn).where(CheckIn.note != "seeded")).all() == []
    assert not emulator.violations
