"""Check-ins end to end: the modal, the one-line form, permissions, and exactly-once recording."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.progress import Confidence
from bot.forms.okr import CheckInEntry
from bot.ids import Action, Block, Callback
from bot.services import checkins
from bot.services.workspaces import workspace_for
from storage.models import CheckIn, KeyResult
from tests.conftest import ADMIN, ALICE, BOB, CAROL, MALLORY, OTHER_TEAM, TEAM
from tests.factories import (
    answer,
    answer_text,
    by_block,
    count,
    make_objective_via_slack,
    make_objectives,
    opened_view,
)


def kr_ids(db) -> dict[int, int]:
    with db.session() as session:
        return {number: kr_id for number, kr_id in session.execute(select(KeyResult.number, KeyResult.id))}


def open_checkin(slack, emulator, user=ALICE) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "checkin", user_id=user, team_id=TEAM)
    return opened_view(emulator, Callback.CHECKIN, count=before + 1)


def three_key_results(slack, emulator):
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Activation", "40", "60", "%"), ("Revenue", "0", "$10,000", "$"), ("Docs", "0", "20", "pages")),
    )


# --- the modal ----------------------------------------------------------------------------------


def test_the_modal_lists_your_key_results_most_overdue_first_with_their_last_check_in(
    slack, emulator, db, now
):
    three_key_results(slack, emulator)
    make_objective_via_slack(
        slack, emulator, user=BOB, owner=BOB, title="Bob's", krs=(("Bob's KR", "0", "1", ""),)
    )
    ids = kr_ids(db)
    now = now.replace(tzinfo=None)
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        entries = [
            CheckInEntry(key_result_id=ids[1], value=50, confidence=Confidence.AT_RISK, note="slow *week*"),
            CheckInEntry(key_result_id=ids[2], value=1200),
        ]
        checkins.record(session, workspace, ALICE, entries[:1], now=now - timedelta(days=2))
        checkins.record(session, workspace, ALICE, entries[1:], now=now - timedelta(days=9))
    view = open_checkin(slack, emulator)
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"][1:]
    order = [text.split("`")[1] for text in sections]
    assert order == ["KR-3", "KR-2", "KR-1"]  # never, 9 days ago, 2 days ago; not Bob's KR-4
    assert "No check-in yet" in sections[0]
    assert "*50%*" in sections[2] and "at risk" in sections[2] and "slow *week*" in sections[2]
    blocks = by_block(view)
    assert blocks[Block.CHECKIN_VALUE.of(id=ids[1])]["element"]["initial_value"] == "50"
    assert blocks[Block.CHECKIN_VALUE.of(id=ids[2])]["element"]["initial_value"] == "1,200"
    assert "initial_value" not in blocks[Block.CHECKIN_VALUE.of(id=ids[3])]["element"]
    assert blocks[Block.CHECKIN_CONFIDENCE.of(id=ids[1])]["element"]["initial_option"]["value"] == "at_risk"
    assert not emulator.violations


def test_submitting_records_only_the_rows_you_touched(slack, emulator, db):
    three_key_results(slack, emulator)
    answer(slack, "/okr", "checkin KR-2 $1,000")
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    values = {
        Block.CHECKIN_VALUE.of(id=ids[1]): "48%",
        Block.CHECKIN_CONFIDENCE.of(id=ids[1]): "on_track",
        Block.CHECKIN_NOTE.of(id=ids[1]): "new onboarding shipped",
        # KR-2 untouched (still 1,000), KR-3 left empty: neither is checked in.
    }
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        rows = session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        krs = {k.number: k for k in session.scalars(select(KeyResult))}
    assert [(r.key_result_id, r.value, r.confidence, r.note) for r in rows] == [
        (ids[2], 1000.0, None, ""),
        (ids[1], 48.0, "on_track", "new onboarding shipped"),
    ]
    assert krs[1].current_value == 48 and krs[1].last_confidence == "on_track" and krs[1].last_checkin_at
    assert krs[3].current_value is None and krs[3].last_checkin_at is None
    dm = emulator.wait_for("chat.postMessage", where=lambda c: "Checked in" in (c.args.get("text") or ""))[-1]
    assert "KR-1" in dm.args["text"] and "40%" in dm.args["text"]  # 48 of 40 → 60 is 40 %
    home = emulator.wait_for("views.publish", where=lambda c: c.args.get("user_id") == ALICE)[-1]
    assert "KR-1" in json.dumps(home.args["view"])


def test_a_note_or_a_confidence_alone_is_a_check_in_at_the_same_value(slack, emulator, db):
    three_key_results(slack, emulator)
    answer(slack, "/okr", "checkin KR-1 45")
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    response = slack.submit_view(
        view, {Block.CHECKIN_NOTE.of(id=ids[1]): "no change, blocked on legal"}, user_id=ALICE, team_id=TEAM
    )
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        values = [(c.value, c.note) for c in session.scalars(select(CheckIn).order_by(CheckIn.id))]
    assert values == [(45.0, ""), (45.0, "no change, blocked on legal")]


def test_the_same_submission_delivered_twice_records_one_check_in(slack, emulator, db):
    three_key_results(slack, emulator)
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    values = {Block.CHECKIN_VALUE.of(id=ids[1]): "45", Block.CHECKIN_VALUE.of(id=ids[3]): "2"}
    first = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    second = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert first.status == 200 and second.status == 200
    assert not first.body and not second.body
    assert count(db, CheckIn) == 2
    with db.session() as session:
        assert {c.dedupe_key.rsplit(":", 1)[1] for c in session.scalars(select(CheckIn))} == {
            str(ids[1]),
            str(ids[3]),
        }


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "not a number"), ("1e309", "too large"), ("NaN", "finite"), ("1,5", "ambiguous")],
)
def test_a_bad_value_is_refused_under_its_field_and_nothing_is_stored(slack, emulator, db, value, message):
    three_key_results(slack, emulator)
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    values = {Block.CHECKIN_VALUE.of(id=ids[1]): "45", Block.CHECKIN_VALUE.of(id=ids[2]): value}
    body = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM).json()
    assert body["response_action"] == "errors"
    assert message in body["errors"][Block.CHECKIN_VALUE.of(id=ids[2])]
    assert count(db, CheckIn) == 0


def test_accepted_values(slack, emulator, db):
    three_key_results(slack, emulator)
    ids = kr_ids(db)
    view = open_checkin(slack, emulator)
    values = {
        Block.CHECKIN_VALUE.of(id=ids[1]): "-0",
        Block.CHECKIN_VALUE.of(id=ids[2]): "$1,200",
        Block.CHECKIN_VALUE.of(id=ids[3]): "50%",
    }
    assert not slack.submit_view(view, values, user_id=ALICE, team_id=TEAM).body
    with db.session() as session:
        assert {k.number: k.current_value for k in session.scalars(select(KeyResult))} == {
            1: 0.0,
            2: 1200.0,
            3: 50.0,
        }


def test_submitting_an_untouched_form_says_so(slack, emulator, db):
    three_key_results(slack, emulator)
    view = open_checkin(slack, emulator)
    body = slack.submit_view(view, {}, user_id=ALICE, team_id=TEAM).json()
    assert body["response_action"] == "errors"
    assert "Nothing changed" in next(iter(body["errors"].values()))
    assert count(db, CheckIn) == 0
    assert not emulator.violations


def test_more_key_results_than_fit_page_with_next(slack, emulator, db):
    make_objectives(db, 12, key_results=3)  # 36 key results
    view = open_checkin(slack, emulator)
    assert len(view["blocks"]) == 43
    assert "Key results 1–10 of 36." in json.dumps(
        view, ensure_ascii=False
    ) and "more not shown" not in json.dumps(view)
    assert not emulator.violations


def test_someone_with_no_key_results_is_told_so(slack, emulator):
    text = answer(slack, "/okr", "checkin", user_id=CAROL)["text"]
    assert "no active key results" in text
    assert not emulator.calls_to("views.open")


def test_the_home_and_reminder_buttons_open_the_modal(slack, emulator):
    three_key_results(slack, emulator)
    slack.action(Action.HOME_CHECKIN, user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.CHECKIN, count=2)
    slack.action(Action.OPEN_CHECKIN, user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.CHECKIN, count=3)
    slack.action(Action.HOME_CHECKIN, user_id=CAROL, team_id=TEAM)
    emulator.wait_for(
        "chat.postMessage", where=lambda c: "no active key results" in (c.args.get("text") or "")
    )


# --- one line -----------------------------------------------------------------------------------


def test_one_line_check_in_with_confidence_and_note(slack, emulator, db):
    three_key_results(slack, emulator)
    text = answer_text(answer(slack, "/okr", "checkin kr-1 45% at-risk waiting on design"))
    assert "KR-1" in text and "25%" in text
    answer(slack, "/okr", "checkin KR-2 1,500 a good week")
    with db.session() as session:
        rows = [
            (c.value, c.confidence, c.note, c.author_id)
            for c in session.scalars(select(CheckIn).order_by(CheckIn.id))
        ]
    assert rows == [(45.0, "at_risk", "waiting on design", ALICE), (1500.0, None, "a good week", ALICE)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checkin KR-1 abc", "not a number"),
        ("checkin KR-1 1e309", "too large"),
        ("checkin KR-1 NaN", "finite"),
        ("checkin KR-1 1,5", "ambiguous"),
    ],
)
def test_one_line_bad_values(slack, emulator, db, text, message):
    three_key_results(slack, emulator)
    assert message in answer(slack, "/okr", text)["text"]
    assert count(db, CheckIn) == 0


def test_milestones_take_done(slack, emulator, db):
    make_objective_via_slack(
        slack, emulator, krs=(("Ship the beta", "", "", ""),), **{Block.KR_MILESTONE.of(n=1): ["milestone"]}
    )
    assert "milestone" in answer(slack, "/okr", "checkin KR-1 0.5")["text"]
    assert "done" in answer(slack, "/okr", "checkin KR-1 done")["text"]
    with db.session() as session:
        assert session.scalar(select(KeyResult.current_value)) == 1.0


def test_checking_in_on_someone_elses_key_result(slack, emulator, db):
    # Alice owns the objective; Bob owns KR-1; Carol owns nothing.
    make_objective_via_slack(slack, emulator, **{Block.KR_OWNER.of(n=1): BOB})
    assert "owner or a workspace admin" in answer(slack, "/okr", "checkin KR-1 45", user_id=CAROL)["text"]
    assert count(db, CheckIn) == 0
    answer(slack, "/okr", "checkin KR-1 45", user_id=BOB)  # owns the key result
    answer(slack, "/okr", "checkin KR-1 50", user_id=ALICE)  # owns the objective
    answer(slack, "/okr", "checkin KR-1 55", user_id=ADMIN)  # workspace admin
    with db.session() as session:
        authors = [c.author_id for c in session.scalars(select(CheckIn).order_by(CheckIn.id))]
    assert authors == [BOB, ALICE, ADMIN]


def test_a_forged_modal_cannot_check_in_on_someone_elses_key_result(slack, emulator, db):
    make_objective_via_slack(
        slack, emulator, user=BOB, owner=BOB, title="Bob's", krs=(("Bob's KR", "0", "10", ""),)
    )
    make_objective_via_slack(
        slack, emulator, user=CAROL, owner=CAROL, title="Carol's", krs=(("Carol's KR", "0", "10", ""),)
    )
    ids = kr_ids(db)
    view = open_checkin(slack, emulator, user=CAROL)
    forged = json.loads(json.dumps(view))
    for block in forged["blocks"]:
        block_id = block.get("block_id") or ""
        if block_id.startswith(f"checkin_{ids[2]}_"):
            block["block_id"] = block_id.replace(f"checkin_{ids[2]}_", f"checkin_{ids[1]}_")
    from slack_sdk import WebClient

    from tests.conftest import TOKEN

    WebClient(token=TOKEN, base_url=emulator.base_url).views_open(
        trigger_id=emulator.issue_trigger_id(TEAM, CAROL), view=forged
    )
    body = slack.submit_view(
        forged, {Block.CHECKIN_VALUE.of(id=ids[1]): "9"}, user_id=CAROL, team_id=TEAM
    ).json()
    assert body["response_action"] == "errors"
    assert "owner or a workspace admin" in json.dumps(body)
    assert count(db, CheckIn) == 0


def test_a_key_result_of_another_workspace_is_not_found(slack, emulator, db):
    three_key_results(slack, emulator)
    text = answer(slack, "/okr", "checkin KR-1 50", user_id=MALLORY, team_id=OTHER_TEAM)["text"]
    assert "not found" in text
    assert count(db, CheckIn) == 0
