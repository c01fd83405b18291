"""`/okr` end to end: signed HTTP requests into the real app, a real database, the emulator."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.ids import Action, Block, Callback
from bot.services import assessment
from bot.services.workspaces import workspace_for
from storage.models import CheckIn, KeyResult, KeyResultKind, Kra, Objective, Status
from tests.conftest import ADMIN, ALICE, BOB, CHANNEL, OTHER_TEAM, TEAM, TOKEN
from tests.factories import (
    answer,
    answer_text,
    by_block,
    count,
    grow_objective_form,
    key_result_options,
    key_result_rows,
    make_objective_via_slack,
    make_objectives,
    next_quarter,
    objective_values,
    opened_view,
    quarter,
)

MALLORY = "U0MALLORY"


# --- helpers ------------------------------------------------------------------------------------


def submit_new(slack, emulator, values: dict, **kwargs):
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.OBJECTIVE_NEW, count=before + 1)
    view = grow_objective_form(
        slack, emulator, view, key_result_rows(values), options=key_result_options(values)
    )
    return slack.submit_view(view, values, user_id=ALICE, team_id=TEAM, validate=False, **kwargs)


# --- usage --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "help", "frobnicate", "🚀", "x" * 5000])
def test_any_text_gets_usage(slack, db, text):
    payload = answer(slack, "/okr", text)
    assert payload["response_type"] == "ephemeral"
    body = answer_text(payload)
    assert "/okr new" in body and "/okr checkin" in body
    assert count(db, Objective) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show", "Name one objective"),
        ("show OBJ-x", "OBJ-3"),
        ("show OBJ-999", "was not found"),
        ("edit nonsense", "OBJ-3"),
        ("close OBJ-1 OBJ-2", "Name one objective"),
        ("archive KR-1", "OBJ-3"),
        ("checkin KR-1", "/okr checkin KR-3 42"),
        ("checkin KR-99 5", "was not found"),
        ("checkin OBJ-1 5", "KR-3"),
        ("list #nope", "cycle"),
        ("list all 2026-Q9", "not a cycle"),
        ("list all mine", "Name one of"),
    ],
)
def test_bad_references_and_arguments_are_explained(slack, text, expected):
    payload = answer(slack, "/okr", text)
    assert payload["response_type"] == "ephemeral"
    assert expected in answer_text(payload)


# --- new ----------------------------------------------------------------------------------------


def test_new_opens_the_modal_with_defaults_and_creates_the_objective(slack, emulator, db, frozen_now):
    create_kra_row(db, title="Customer value")
    slack.command("/okr", "new Delight new teams", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.OBJECTIVE_NEW)
    blocks = by_block(view)
    assert blocks[Block.OBJ_TITLE]["element"]["initial_value"] == "Delight new teams"
    assert blocks[Block.OBJ_OWNER]["element"]["initial_user"] == ALICE
    assert blocks[Block.OBJ_CYCLE]["element"]["initial_option"]["value"] == quarter(frozen_now.date())
    assert blocks[Block.OBJ_CHANNEL]["element"]["initial_conversation"] == CHANNEL
    assert Block.KR_OWNER.of(n=1) not in blocks and Block.KR_WEIGHT.of(n=1) not in blocks  # *More options*
    kra_options = [o["text"]["text"] for o in blocks[Block.OBJ_KRA]["element"]["options"]]
    assert any("KRA-1 Customer value" in o for o in kra_options)
    assert len(view["blocks"]) <= 20

    with db.session() as session:
        kra_id = session.scalar(select(Kra.id))
    values = objective_values(
        title="Delight new teams",
        krs=(("Activation rate", "40%", "60%", "%"), ("Onboarding NPS", "-0", "$1,200", "")),
        **{Block.KR_OWNER.of(n=2): BOB, Block.KR_WEIGHT.of(n=2): "2", Block.OBJ_KRA: str(kra_id)},
    )
    view = grow_objective_form(slack, emulator, view, 2, options=True)
    blocks = by_block(view)
    assert blocks[Block.KR_OWNER.of(n=2)]["element"]["initial_user"] == ALICE
    assert blocks[Block.KR_WEIGHT.of(n=2)]["element"]["initial_value"] == "1"
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        objective = session.scalars(select(Objective)).one()
        krs = session.scalars(select(KeyResult).order_by(KeyResult.position)).all()
    assert (objective.number, objective.title, objective.owner_id, objective.cycle, objective.channel_id) == (
        1,
        "Delight new teams",
        ALICE,
        quarter(frozen_now.date()),
        CHANNEL,
    )
    assert objective.kra_id == kra_id and objective.status == Status.ACTIVE
    assert [(k.number, k.start_value, k.target_value, k.unit, k.owner_id, k.weight) for k in krs] == [
        (1, 40.0, 60.0, "%", ALICE, 1.0),
        (2, 0.0, 1200.0, "$", BOB, 2.0),  # no unit given: the one typed with the target is kept
    ]
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ALICE)[-1]
    assert "OBJ-1" in dm.args["text"] and "KR-2" in dm.args["text"]
    for user in (ALICE, BOB):  # both owners see it on their Home
        home = emulator.wait_for("views.publish", where=lambda c, u=user: c.args.get("user_id") == u)[-1]
        assert "KR-" in json.dumps(home.args["view"])
    assert not emulator.violations


def test_new_from_a_dm_has_no_channel_default(slack, emulator):
    slack.command("/okr", "add", user_id=ALICE, team_id=TEAM, channel_id="D0ALICE")
    view = opened_view(emulator, Callback.OBJECTIVE_NEW)
    assert "initial_conversation" not in by_block(view)[Block.OBJ_CHANNEL]["element"]


def test_new_objective_button_on_home_opens_the_modal(slack, emulator):
    slack.action(Action.HOME_NEW_OBJECTIVE, user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.OBJECTIVE_NEW)


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        ({Block.OBJ_TITLE: ""}, Block.OBJ_TITLE, "title"),
        ({Block.OBJ_TITLE: "x" * 151}, Block.OBJ_TITLE, "150"),
        ({Block.KR_START.of(n=1): "abc"}, Block.KR_START.of(n=1), "not a number"),
        ({Block.KR_TARGET.of(n=1): "abc"}, Block.KR_TARGET.of(n=1), "not a number"),
        ({Block.KR_TARGET.of(n=1): "1e309"}, Block.KR_TARGET.of(n=1), "too large"),
        ({Block.KR_START.of(n=1): "NaN"}, Block.KR_START.of(n=1), "finite"),
        ({Block.KR_TARGET.of(n=1): "1,5"}, Block.KR_TARGET.of(n=1), "ambiguous"),
        ({Block.KR_TARGET.of(n=1): ""}, Block.KR_TARGET.of(n=1), "target"),
        ({Block.KR_START.of(n=1): "60", Block.KR_TARGET.of(n=1): "60%"}, Block.KR_TARGET.of(n=1), "differ"),
        ({Block.KR_START.of(n=1): "-0", Block.KR_TARGET.of(n=1): "0"}, Block.KR_TARGET.of(n=1), "differ"),
        ({Block.KR_WEIGHT.of(n=1): "0"}, Block.KR_WEIGHT.of(n=1), "greater than 0"),
        ({Block.KR_WEIGHT.of(n=1): "-2"}, Block.KR_WEIGHT.of(n=1), "greater than 0"),
        ({Block.KR_WEIGHT.of(n=1): "heavy"}, Block.KR_WEIGHT.of(n=1), "not a number"),
        ({Block.KR_TITLE.of(n=1): ""}, Block.KR_TITLE.of(n=1), "title"),
        ({Block.KR_UNIT.of(n=1): "u" * 31}, Block.KR_UNIT.of(n=1), "30"),
        (
            {
                Block.KR_TITLE.of(n=1): "",
                Block.KR_START.of(n=1): "",
                Block.KR_TARGET.of(n=1): "",
                Block.KR_UNIT.of(n=1): "",
            },
            Block.KR_TITLE.of(n=1),
            "at least one",
        ),
        ({Block.OBJ_CYCLE: None}, Block.OBJ_CYCLE, "cycle"),
    ],
)
def test_modal_errors_go_under_the_exact_field_and_nothing_is_stored(
    slack, emulator, db, values, block, message
):
    response = submit_new(slack, emulator, {**objective_values(), **values})
    body = response.json()
    assert body["response_action"] == "errors"
    assert block in body["errors"], body
    assert message.lower() in body["errors"][block].lower(), body
    assert count(db, Objective) == 0 and count(db, KeyResult) == 0


def test_a_bad_second_row_stores_nothing_at_all(slack, emulator, db):
    values = objective_values(krs=(("Good one", "0", "10", ""), ("Bad one", "5", "5", "")))
    body = submit_new(slack, emulator, values).json()
    assert list(body["errors"]) == [Block.KR_TARGET.of(n=2)]
    assert count(db, Objective) == 0 and count(db, KeyResult) == 0


def test_an_empty_row_between_two_filled_ones_is_skipped(slack, emulator, db):
    values = objective_values(krs=(("First", "0", "10", ""), None, ("Third", "$1,200", "$2,000", "$")))
    response = submit_new(slack, emulator, values)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        krs = session.scalars(select(KeyResult).order_by(KeyResult.position)).all()
    assert [(k.title, k.position, k.start_value, k.target_value) for k in krs] == [
        ("First", 0, 0.0, 10.0),
        ("Third", 1, 1200.0, 2000.0),
    ]


def test_a_milestone_is_zero_to_one_whatever_was_typed(slack, emulator, db):
    values = objective_values(
        krs=(("Launch the beta", "abc", "", "users"),), **{Block.KR_MILESTONE.of(n=1): ["milestone"]}
    )
    response = submit_new(slack, emulator, values)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        kr = session.scalars(select(KeyResult)).one()
    assert (kr.kind, kr.start_value, kr.target_value, kr.unit) == (KeyResultKind.MILESTONE, 0.0, 1.0, "")


def test_a_sixth_key_result_in_a_forged_payload_is_refused_under_its_title(slack, emulator, db):
    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    grow_objective_form(slack, emulator, opened_view(emulator, Callback.OBJECTIVE_NEW), 5)
    sent = emulator.wait_for("views.update", count=4)[-1].args["view"]  # the form with five groups
    forged = json.loads(json.dumps(sent))
    for block_id, label in ((Block.KR_TITLE.of(n=6), "KR 6"), (Block.KR_TARGET.of(n=6), "KR 6 target")):
        forged["blocks"].append(
            {
                "type": "input",
                "block_id": block_id,
                "optional": True,
                "label": {"type": "plain_text", "text": label},
                "element": {"type": "plain_text_input", "action_id": "input"},
            }
        )
    # The forger has Slack show their own view, then submits it.
    client = WebClient(token=TOKEN, base_url=emulator.base_url)
    client.views_open(trigger_id=emulator.issue_trigger_id(TEAM, ALICE), view=forged)
    krs = tuple((f"KR {n}", "0", str(n), "") for n in range(1, 7))
    values = objective_values(krs=krs)
    del values[Block.KR_START.of(n=6)], values[Block.KR_UNIT.of(n=6)]
    response = slack.submit_view(forged, values, user_id=ALICE, team_id=TEAM, validate=False)
    body = response.json()
    assert body["response_action"] == "errors"
    assert "at most 5" in body["errors"][Block.KR_TITLE.of(n=6)]
    assert count(db, Objective) == 0 and count(db, KeyResult) == 0


def test_a_parent_or_kra_of_another_workspace_is_refused(slack, emulator, db, now):
    make_objective_via_slack(slack, emulator)
    with db.session() as session:
        other = workspace_for(session, OTHER_TEAM)
        foreign = Objective(
            workspace_id=other.id,
            number=1,
            title="Theirs",
            owner_id=MALLORY,
            cycle=quarter(now.date()),
            created_by=MALLORY,
        )
        foreign_kra = Kra(
            workspace_id=other.id, number=1, title="Theirs", owner_id=MALLORY, created_by=MALLORY
        )
        session.add_all([foreign, foreign_kra])
        session.flush()
        ids = foreign.id, foreign_kra.id
    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    sent = opened_view(emulator, Callback.OBJECTIVE_NEW, count=2)
    forged = json.loads(json.dumps(sent))
    for block in forged["blocks"]:
        if block.get("block_id") == Block.OBJ_PARENT:
            block["element"]["options"].append(
                {"text": {"type": "plain_text", "text": "x"}, "value": str(ids[0])}
            )
        if block.get("block_id") == Block.OBJ_KRA:
            block["element"]["options"].append(
                {"text": {"type": "plain_text", "text": "y"}, "value": str(ids[1])}
            )
    WebClient(token=TOKEN, base_url=emulator.base_url).views_open(
        trigger_id=emulator.issue_trigger_id(TEAM, ALICE), view=forged
    )
    values = objective_values(**{Block.OBJ_PARENT: str(ids[0]), Block.OBJ_KRA: str(ids[1])})
    body = slack.submit_view(forged, values, user_id=ALICE, team_id=TEAM, validate=False).json()
    assert set(body["errors"]) == {Block.OBJ_PARENT, Block.OBJ_KRA}
    assert count(db, Objective) == 2  # Alice's first and the foreign one: nothing new


# --- list ---------------------------------------------------------------------------------------


def test_list_mine_person_channel_all_and_the_channel_default(slack, emulator, db, frozen_now):
    make_objective_via_slack(slack, emulator, title="Alice in growth", channel_id=CHANNEL)
    make_objective_via_slack(
        slack, emulator, user=BOB, owner=BOB, title="Bob elsewhere", channel_id="C0OTHER"
    )
    mine = answer_text(answer(slack, "/okr", "list", channel_id="D0ALICE"))
    assert "Alice in growth" in mine and "Bob elsewhere" not in mine
    assert "▓" in mine or "░" in mine
    in_growth = answer_text(answer(slack, "/okr", "list", user_id=BOB, channel_id=CHANNEL))
    assert "Alice in growth" in in_growth and "Bob elsewhere" not in in_growth
    everyone = answer_text(answer(slack, "/okr", f"list all {quarter(frozen_now.date()).lower()}"))
    assert "Alice in growth" in everyone and "Bob elsewhere" in everyone
    bobs = answer_text(answer(slack, "/okr", f"list <@{BOB}|bob>"))
    assert "Bob elsewhere" in bobs and "Alice in growth" not in bobs
    channel = answer_text(answer(slack, "/okr", f"list <#{CHANNEL}|growth>", user_id=BOB))
    assert "Alice in growth" in channel and "Bob elsewhere" not in channel
    assert "no objectives" in answer(slack, "/okr", f"list all {next_quarter(frozen_now.date())}")["text"]


def test_list_mine_includes_objectives_where_you_own_a_key_result(slack, emulator):
    make_objective_via_slack(slack, emulator, title="Alice's", **{Block.KR_OWNER.of(n=1): BOB})
    assert "Alice's" in answer_text(answer(slack, "/okr", "list mine", user_id=BOB))


def test_list_all_is_cut_inside_slacks_limits(slack, emulator, db, frozen_now):
    make_objectives(db, 120, now=frozen_now)
    folded = answer(slack, "/okr", "list all")
    assert "5 of 120 objectives shown." in answer_text(folded)
    slack.action(Action.SHOW_ALL_OBJECTIVES, message=folded, team_id=TEAM, ephemeral=True)
    payload = slack.wait_for_response_url()
    assert len(payload["blocks"]) <= 50
    text = answer_text(payload)
    assert "80 more not shown" in text and "App Home" in text
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in payload["blocks"])
    assert not emulator.violations


# --- show ---------------------------------------------------------------------------------------


def create_kra_row(db, title="Customer satisfaction", owner=ALICE) -> None:
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.add(Kra(workspace_id=workspace.id, number=1, title=title, owner_id=owner, created_by=owner))


def test_show_prints_the_alignment_chain_and_the_trend(slack, emulator, db):
    create_kra_row(db)
    with db.session() as session:
        kra_id = session.scalar(select(Kra.id))
    make_objective_via_slack(
        slack, emulator, title="Company: happy customers", **{Block.OBJ_KRA: str(kra_id)}
    )
    with db.session() as session:
        parent_id = session.scalar(select(Objective.id))
    make_objective_via_slack(
        slack,
        emulator,
        title="Team: faster answers",
        krs=(("First response time", "24", "6", "h"),),
        **{Block.OBJ_PARENT: str(parent_id)},
    )
    answer(slack, "/okr", "checkin KR-2 20 on-track")
    answer(slack, "/okr", "checkin kr-2 15 at-risk hiring is slow")
    text = answer_text(answer(slack, "/okr", "show obj-2", user_id=BOB))
    assert "KRA-1" in text and "OBJ-1" in text and "OBJ-2" in text and "KR-2" in text
    assert (
        "Alignment: `KRA-1` Customer satisfaction → `OBJ-1` Company: happy customers → *`OBJ-2` Team" in text
    )
    assert "20 h → 15 h · :large_green_circle: better" in text  # lower is better here: 24 → 6
    assert "hiring is slow" in text and "at risk" in text
    # 15 h of 24 → 6: (15 - 24) / (6 - 24) = 50 %
    assert "50%" in text
    # /kra show lists the objectives in the KRA.
    assert "OBJ-1" in answer_text(answer(slack, "/kra", "show KRA-1"))


def test_another_workspace_cannot_see_or_touch_objectives(slack, emulator):
    make_objective_via_slack(slack, emulator)
    for command in ("show OBJ-1", "edit OBJ-1", "close OBJ-1", "archive OBJ-1", "checkin KR-1 50"):
        text = answer(slack, "/okr", command, user_id=MALLORY, team_id=OTHER_TEAM)["text"]
        assert "not found" in text, (command, text)
    assert "no objectives" in answer(slack, "/okr", "list all", user_id=MALLORY, team_id=OTHER_TEAM)["text"]


# --- edit, close, archive -----------------------------------------------------------------------


def test_edit_opens_prefilled_and_saves(slack, emulator, db):
    make_objective_via_slack(slack, emulator, krs=(("Activation", "40", "60", "%"), ("NPS", "10", "40", "")))
    answer(slack, "/okr", "checkin KR-1 50")
    slack.command("/okr", "edit OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_EDIT, count=2)
    blocks = by_block(view)
    assert blocks[Block.OBJ_TITLE]["element"]["initial_value"] == "Customers love our onboarding"
    assert blocks[Block.KR_TARGET.of(n=2)]["element"]["initial_value"] == "40"
    assert blocks[Block.KR_START.of(n=1)]["element"]["initial_value"] == "40"
    values = {
        Block.OBJ_TITLE: "Customers adore our onboarding",
        Block.KR_TARGET.of(n=1): "70",
        Block.KR_TITLE.of(n=2): "",
        Block.KR_START.of(n=2): "",
        Block.KR_TARGET.of(n=2): "",
        Block.KR_UNIT.of(n=2): "",
        Block.KR_TITLE.of(n=3): "Time to value",
        Block.KR_START.of(n=3): "10",
        Block.KR_TARGET.of(n=3): "2",
        Block.KR_UNIT.of(n=3): "days",
    }
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        objective = session.scalars(select(Objective)).one()
        krs = {k.title: k for k in session.scalars(select(KeyResult))}
    assert objective.title == "Customers adore our onboarding"
    assert krs["Activation"].target_value == 70 and krs["Activation"].current_value == 50  # check-in kept
    assert krs["NPS"].status == Status.ARCHIVED
    assert (krs["Time to value"].number, krs["Time to value"].status) == (3, Status.ACTIVE)


def test_edit_errors_change_nothing(slack, emulator, db):
    make_objective_via_slack(slack, emulator)
    slack.command("/okr", "edit OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_EDIT, count=2)
    body = slack.submit_view(
        view, {Block.OBJ_TITLE: "Changed", Block.KR_WEIGHT.of(n=1): "0"}, user_id=ALICE, team_id=TEAM
    ).json()
    assert Block.KR_WEIGHT.of(n=1) in body["errors"]
    with db.session() as session:
        assert session.scalar(select(Objective.title)) == "Customers love our onboarding"


def test_editing_closing_archiving_someone_elses_objective_is_refused_but_admins_may(slack, emulator, db):
    make_objective_via_slack(slack, emulator)
    for command in ("edit OBJ-1", "close OBJ-1", "archive OBJ-1"):
        assert "owner or a workspace admin" in answer(slack, "/okr", command, user_id=BOB)["text"], command
    with db.session() as session:
        assert session.scalars(select(Objective)).one().status == Status.ACTIVE
    slack.command("/okr", "edit OBJ-1", user_id=ADMIN, team_id=TEAM)
    opened_view(emulator, Callback.OBJECTIVE_EDIT, count=2)
    assert "Archived" in answer(slack, "/okr", "archive OBJ-1", user_id=ADMIN)["text"]
    with db.session() as session:
        assert session.scalars(select(Objective)).one().status == Status.ARCHIVED
    assert "archived" in answer(slack, "/okr", "edit OBJ-1")["text"]


def test_a_forged_edit_submission_is_rechecked_on_the_server(slack, emulator, db):
    make_objective_via_slack(slack, emulator)
    make_objective_via_slack(slack, emulator, user=BOB, owner=BOB, title="Bob's")
    slack.command("/okr", "edit OBJ-2", user_id=BOB, team_id=TEAM)
    sent = opened_view(emulator, Callback.OBJECTIVE_EDIT, count=3)
    forged = {**sent, "private_metadata": json.dumps({"obj": 1})}
    WebClient(token=TOKEN, base_url=emulator.base_url).views_open(
        trigger_id=emulator.issue_trigger_id(TEAM, BOB), view=forged
    )
    response = slack.submit_view(forged, {Block.OBJ_TITLE: "Hijacked"}, user_id=BOB, team_id=TEAM)
    assert response.json()["response_action"] == "errors"
    with db.session() as session:
        assert (
            session.scalar(select(Objective.title).where(Objective.number == 1))
            == "Customers love our onboarding"
        )


def test_close_proposes_scores_from_progress_and_records_them(slack, emulator, db):
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Activation", "0", "100", "%"), ("Revenue", "0", "1000", "$"), ("Untouched", "0", "10", "")),
    )
    answer(slack, "/okr", "checkin KR-1 45")  # 0.45 → 0.5 (half up)
    answer(slack, "/okr", "checkin KR-2 $1,500")  # 1.5 → clamped 1.0
    slack.command("/okr", "close OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_CLOSE, count=2)
    with db.session() as session:
        ids = {k.number: k.id for k in session.scalars(select(KeyResult))}
    blocks = by_block(view)
    proposed = {n: blocks[Block.CLOSE_SCORE.of(id=i)]["element"]["initial_value"] for n, i in ids.items()}
    assert proposed == {1: "0.5", 2: "1.0", 3: "0.0"}

    bad = slack.submit_view(
        view, {Block.CLOSE_SCORE.of(id=ids[3]): "1.5"}, user_id=ALICE, team_id=TEAM
    ).json()
    assert list(bad["errors"]) == [Block.CLOSE_SCORE.of(id=ids[3])]
    with db.session() as session:
        assert session.scalars(select(Objective)).one().status == Status.ACTIVE

    slack.command("/okr", "close OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_CLOSE, count=3)
    response = slack.submit_view(view, {Block.CLOSE_SCORE.of(id=ids[1]): "0.7"}, user_id=ALICE, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    with db.session() as session:
        objective = session.scalars(select(Objective)).one()
        scores = {k.number: (k.final_score, k.status) for k in session.scalars(select(KeyResult))}
    assert objective.status == Status.CLOSED and objective.closed_at is not None
    assert scores == {1: (0.7, Status.CLOSED), 2: (1.0, Status.CLOSED), 3: (0.0, Status.CLOSED)}
    assert "closed" in answer(slack, "/okr", "close OBJ-1")["text"]
    assert "closed" in answer(slack, "/okr", "checkin KR-1 50")["text"]
    shown = answer_text(answer(slack, "/okr", "list"))
    assert "closed" in shown and "final score" in shown


def test_archive_keeps_history_and_hides_it_from_active_lists(slack, emulator, db):
    make_objective_via_slack(slack, emulator)
    answer(slack, "/okr", "checkin KR-1 50")
    assert "Archived" in answer(slack, "/okr", "archive OBJ-1")["text"]
    assert "already archived" in answer(slack, "/okr", "archive OBJ-1")["text"]
    assert "no objectives" in answer(slack, "/okr", "list all")["text"]
    assert count(db, CheckIn) == 1 and count(db, KeyResult) == 1
    assert "OBJ-1" in answer_text(answer(slack, "/okr", "show OBJ-1"))


# --- progress and pace at a chosen time ---------------------------------------------------------


def test_assess_uses_the_cycle_of_the_objective_and_the_given_time(db):
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        objective = Objective(
            workspace_id=workspace.id, number=1, title="O", owner_id=ALICE, cycle="2026-Q4", created_by=ALICE
        )
        krs = [
            KeyResult(
                number=1,
                title="a",
                start_value=0,
                target_value=100,
                current_value=35,
                weight=1,
                owner_id=ALICE,
                status=Status.ACTIVE,
            ),
            KeyResult(
                number=2,
                title="b",
                start_value=10,
                target_value=0,
                current_value=5,
                weight=3,
                owner_id=ALICE,
                status=Status.ACTIVE,
                last_confidence="off_track",
            ),
            KeyResult(
                number=3,
                title="c",
                start_value=0,
                target_value=1,
                current_value=None,
                weight=1,
                owner_id=ALICE,
                status=Status.ACTIVE,
            ),
        ]
        # 2026-Q4 runs Oct 1 → Jan 1 (92 days); half way is Nov 16 00:00.
        status = assessment.assess(objective, krs, workspace, datetime(2026, 11, 16))
    assert status.expected == pytest.approx(0.5)
    assert [s.pace.value for s in status.key_results] == ["at_risk", "on_track", "no_checkin"]
    assert status.key_results[1].confidence.value == "off_track"
    # (0.35 * 1 + 0.5 * 3 + 0 * 1) / 5 = 0.37: at risk against 0.5 expected
    assert status.progress == pytest.approx(0.37)
    assert status.pace.value == "at_risk"
