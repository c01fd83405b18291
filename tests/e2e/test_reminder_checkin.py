"""The one-click check-in in the weekly reminder DM, end to end: the job posts the DM, signed
block_actions payloads click in it, the emulator records the chat.update that follows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import delete, select, update

from bot.ids import Action, Block, Callback
from bot.jobs.reminders import checkin_reminders
from storage.models import CheckIn, KeyResult, SourceBinding, SourceKind, Status
from tests.conftest import ADMIN, ALICE, BOB, TEAM
from tests.factories import answer, clients, count, make_objective_via_slack, opened_view

MONDAY = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)  # 10:05 in London: Alice's reminder is due
THURSDAY = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY):  # ticks: the app's own clock reads Monday, then on
        yield


def krs(db) -> dict[int, KeyResult]:
    """KR number → its row, as the database has it now."""
    with db.session() as session:
        rows = list(session.scalars(select(KeyResult)))
        session.expunge_all()
    return {kr.number: kr for kr in rows}


def check_ins(db) -> list[tuple[int, float, str | None, str]]:
    with db.session() as session:
        return [
            (kr_number, c.value, c.confidence, c.author_id)
            for c, kr_number in session.execute(
                select(CheckIn, KeyResult.number).join(KeyResult).order_by(CheckIn.id)
            )
        ]


def remind(slack, emulator, db, *, owner=ALICE) -> dict:
    """Alice's objective with two key results (KR-2 owned by `owner`), a check-in on KR-1 last
    week at on track, and the Monday reminder: the DM as Slack stored it."""
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Activation", "40", "60", "%"), ("Revenue", "0", "10000", "$")),
        **{Block.KR_OWNER.of(n=2): owner},
    )
    with db.session() as session:
        session.execute(
            update(KeyResult)
            .where(KeyResult.number == 1)
            .values(
                current_value=45.0, last_confidence="on_track", last_checkin_at=datetime(2026, 11, 24, 9, 0)
            )
        )
    checkin_reminders(db, clients(emulator), MONDAY)
    dm = reminder_to(emulator, ALICE)
    return {"channel": dm.response["channel"], "ts": dm.response["ts"]}


def reminder_to(emulator, user_id: str):
    [dm] = [
        c
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args.get("channel") == user_id and "Weekly check-in" in str(c.args.get("blocks"))
    ]
    return dm


def message(emulator, dm: dict) -> dict:
    return emulator.message(dm["channel"], dm["ts"])


def click(slack, dm, action, kr_id, *, user=ALICE, value=None, state=None, shown=None):
    """`shown`: the message's blocks as the person's Slack still shows them (else as stored now)."""
    block = Block.REMINDER_VALUE if action == Action.REMINDER_VALUE else Block.REMINDER_BUTTONS
    response = slack.action(
        action,
        value,
        block_id=block.of(id=kr_id),
        message={"ts": dm["ts"]} if shown is None else {"ts": dm["ts"], "blocks": shown},
        channel_id=dm["channel"],
        user_id=user,
        team_id=TEAM,
        state_values=state,
    )
    assert response.status == 200, response.text
    slack.settle()
    return response


def said(emulator, slack) -> list[str]:
    """What the app answered through the last click's response_url."""
    return [c.args.get("text") or "" for c in emulator.response_url_posts(slack.response_url)]


def rows_text(msg: dict) -> str:
    return "\n".join(b["text"]["text"] for b in msg["blocks"] if b["type"] == "section")


# --- what the reminder offers ------------------------------------------------------------------------


def test_each_key_result_gets_a_row_to_check_in_from_the_message(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    ids = {n: kr.id for n, kr in krs(db).items()}
    blocks = {b.get("block_id"): b for b in message(emulator, dm)["blocks"]}
    for n in (1, 2):
        row = blocks[f"reminder_{ids[n]}_row"]
        assert row["accessory"]["type"] == "static_select"
        assert row["accessory"]["action_id"] == "reminder_confidence"
        box = blocks[f"reminder_{ids[n]}_value"]
        assert box["type"] == "input" and box["dispatch_action"] is True
        assert box["element"]["action_id"] == "reminder_value"
        buttons = blocks[f"reminder_{ids[n]}_buttons"]["elements"]
        assert [(b["action_id"], b["value"]) for b in buttons] == [
            ("reminder_same", str(ids[n])),
            ("reminder_note", str(ids[n])),
        ]
    # The last confidence is already picked; a key result never checked in has none.
    assert blocks[f"reminder_{ids[1]}_row"]["accessory"]["initial_option"]["value"] == "on_track"
    assert "initial_option" not in blocks[f"reminder_{ids[2]}_row"]["accessory"]
    # The full form stays, beside the snooze buttons (each carrying the reminder's week).
    assert [(e["action_id"], e.get("value")) for e in message(emulator, dm)["blocks"][-1]["elements"]] == [
        ("open_checkin", "weekly"),
        ("reminder_later", "2026-W49"),
        ("reminder_tomorrow", "2026-W49"),
        ("reminder_skip", "2026-W49"),
    ]
    assert emulator.violations == []


# --- No change ----------------------------------------------------------------------------------------


def test_no_change_records_the_same_value_and_last_confidence_in_one_click(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    forms_before = len(emulator.calls_to("views.open"))
    click(slack, dm, Action.REMINDER_SAME, kr1.id)
    assert check_ins(db) == [(1, 45.0, "on_track", ALICE)]
    assert krs(db)[1].last_checkin_at is not None
    assert len(emulator.calls_to("views.open")) == forms_before  # no form
    [updated] = emulator.calls_to("chat.update", ok=True)
    assert (updated.args["channel"], updated.args["ts"]) == (dm["channel"], dm["ts"])
    msg = message(emulator, dm)
    text = rows_text(msg)
    assert ":white_check_mark: *`KR-1` Activation*" in text
    assert "1 checked in this week, 1 left" in text
    ids = {b.get("block_id") for b in msg["blocks"]}
    assert f"reminder_{kr1.id}_value" not in ids and f"reminder_{kr1.id}_buttons" not in ids
    assert f"reminder_{krs(db)[2].id}_buttons" in ids  # what is left
    assert emulator.violations == []


def test_no_change_takes_the_confidence_picked_in_the_row(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    click(slack, dm, Action.REMINDER_SAME, kr1.id, state={Block.REMINDER_ROW.of(id=kr1.id): "at_risk"})
    assert check_ins(db) == [(1, 45.0, "at_risk", ALICE)]
    assert krs(db)[1].last_confidence == "at_risk"


def test_a_double_click_records_once(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    shown = message(emulator, dm)["blocks"]
    click(slack, dm, Action.REMINDER_SAME, kr1.id, shown=shown)
    click(slack, dm, Action.REMINDER_SAME, kr1.id, shown=shown)  # before the update reached Slack
    assert check_ins(db) == [(1, 45.0, "on_track", ALICE)]
    assert len(emulator.calls_to("chat.update", ok=True)) == 2  # the message shows it either way


def test_the_same_value_typed_twice_records_once(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr2 = krs(db)[2]
    shown = message(emulator, dm)["blocks"]
    click(slack, dm, Action.REMINDER_VALUE, kr2.id, value="300", shown=shown)
    click(slack, dm, Action.REMINDER_VALUE, kr2.id, value="300", shown=shown)
    assert check_ins(db) == [(2, 300.0, None, ALICE)]


def test_the_same_click_delivered_twice_at_once_records_once(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    shown = message(emulator, dm)["blocks"]
    for _ in range(2):  # both answered before either is done: only the unique key stops the second
        slack.action(
            Action.REMINDER_SAME,
            block_id=Block.REMINDER_BUTTONS.of(id=kr1.id),
            message={"ts": dm["ts"], "blocks": shown},
            channel_id=dm["channel"],
            user_id=ALICE,
            team_id=TEAM,
        )
    slack.settle()
    assert check_ins(db) == [(1, 45.0, "on_track", ALICE)]


def test_buttons_work_later_in_the_week(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr2 = krs(db)[2]
    with time_machine.travel(THURSDAY):
        click(slack, dm, Action.REMINDER_VALUE, kr2.id, value="2,500")
    assert check_ins(db) == [(2, 2500.0, None, ALICE)]
    with db.session() as session:
        assert session.scalar(select(CheckIn.created_at)).date() == THURSDAY.date()
    assert "Checked in <!date^1796299200^{date_short_pretty}|Thu 3 Dec 2026>:" in rows_text(
        message(emulator, dm)
    )


def test_picking_a_confidence_alone_records_nothing_yet(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    response = slack.action(
        Action.REMINDER_CONFIDENCE,
        "off_track",
        block_id=Block.REMINDER_ROW.of(id=kr1.id),
        message={"ts": dm["ts"]},
        channel_id=dm["channel"],
        user_id=ALICE,
        team_id=TEAM,
    )
    assert response.status == 200
    slack.settle()
    assert count(db, CheckIn) == 0
    assert emulator.calls_to("chat.update") == []


def test_a_key_result_checked_in_elsewhere_this_week_shows_as_done(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr = krs(db)
    shown = message(emulator, dm)["blocks"]
    answer(slack, "/okr", "checkin KR-2 700 at-risk", user_id=ALICE, team_id=TEAM)
    click(slack, dm, Action.REMINDER_SAME, kr[1].id)
    text = rows_text(message(emulator, dm))
    assert ":white_check_mark: *`KR-2` Revenue*" in text and "$700" in text and "at risk" in text
    assert (
        "All done for the week of <!date^1796040000^{date_short_pretty}|Mon 30 Nov 2026>: 2 checked in this week."
        in text
    )
    # No change on it from the message as first shown adds nothing: the week has its check-in.
    click(slack, dm, Action.REMINDER_SAME, kr[2].id, shown=shown)
    assert check_ins(db) == [(2, 700.0, "at_risk", ALICE), (1, 45.0, "on_track", ALICE)]


def test_a_key_result_fed_by_a_data_source_asks_only_for_confidence(slack, emulator, db, monday):
    make_objective_via_slack(slack, emulator, krs=(("Uptime", "99", "99.9", "%"),))
    with db.session() as session:
        kr = session.scalar(select(KeyResult))
        kr.current_value = 99.5
        session.add(
            SourceBinding(
                workspace_id=kr.workspace_id,
                key_result_id=kr.id,
                kind=SourceKind.HTTP,
                url="https://status.example/uptime",
                pointer="/value",
                created_by=ALICE,
            )
        )
        kr_id = kr.id
    checkin_reminders(db, clients(emulator), MONDAY)
    posted = reminder_to(emulator, ALICE)
    blocks = {b.get("block_id"): b for b in posted.args["blocks"]}
    assert f"reminder_{kr_id}_value" not in blocks  # no box: the number updates itself
    assert [b["text"]["text"] for b in blocks[f"reminder_{kr_id}_buttons"]["elements"]] == [
        "Confirm",
        "Add a note",
    ]
    dm = {"channel": posted.response["channel"], "ts": posted.response["ts"]}
    click(slack, dm, Action.REMINDER_SAME, kr_id, state={Block.REMINDER_ROW.of(id=kr_id): "on_track"})
    assert check_ins(db) == [(1, 99.5, "on_track", ALICE)]
    assert ":white_check_mark: *`KR-1` Uptime*" in rows_text(message(emulator, dm))


# --- a value typed in the message -------------------------------------------------------------------


def test_a_value_typed_in_the_message_with_a_confidence(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr2 = krs(db)[2]
    click(
        slack,
        dm,
        Action.REMINDER_VALUE,
        kr2.id,
        value="1,500",
        state={Block.REMINDER_ROW.of(id=kr2.id): "off_track"},
    )
    assert check_ins(db) == [(2, 1500.0, "off_track", ALICE)]
    assert krs(db)[2].current_value == 1500.0
    text = rows_text(message(emulator, dm))
    assert ":white_check_mark: *`KR-2` Revenue*" in text and "$1,500" in text
    assert "1 checked in this week, 1 left" in text


def test_both_done_says_so_and_drops_the_form_button(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr = krs(db)
    click(slack, dm, Action.REMINDER_SAME, kr[1].id)
    click(slack, dm, Action.REMINDER_VALUE, kr[2].id, value="800")
    msg = message(emulator, dm)
    assert (
        "All done for the week of <!date^1796040000^{date_short_pretty}|Mon 30 Nov 2026>: 2 checked in this week."
        in rows_text(msg)
    )
    assert [b for b in msg["blocks"] if b["type"] in ("actions", "input")] == []


@pytest.mark.parametrize(
    ("typed", "said_"), [("abc", "not a number"), ("  ", "Type the value"), ("1,5", "ambiguous")]
)
def test_a_bad_value_typed_is_answered_with_usage_and_records_nothing(
    slack, emulator, db, monday, typed, said_
):
    dm = remind(slack, emulator, db)
    before = message(emulator, dm)
    kr2 = krs(db)[2]
    click(slack, dm, Action.REMINDER_VALUE, kr2.id, value=typed)
    [answer] = said(emulator, slack)
    assert said_ in answer and "Type the value of KR-2 now" in answer
    assert count(db, CheckIn) == 0
    assert emulator.calls_to("chat.update") == []
    assert message(emulator, dm) == before


# --- Add a note -------------------------------------------------------------------------------------


def test_add_a_note_opens_the_form_for_that_key_result_only(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr = krs(db)
    before = len(emulator.calls_to("views.open"))
    click(slack, dm, Action.REMINDER_NOTE, kr[2].id)
    view = opened_view(emulator, Callback.CHECKIN, count=before + 1)
    value_blocks = [b["block_id"] for b in view["blocks"] if str(b.get("block_id", "")).endswith("_value")]
    assert value_blocks == [Block.CHECKIN_VALUE.of(id=kr[2].id)]
    assert count(db, CheckIn) == 0  # opening the form records nothing
    response = slack.submit_view(
        view,
        {
            Block.CHECKIN_VALUE.of(id=kr[2].id): "250",
            Block.CHECKIN_NOTE.of(id=kr[2].id): "waiting on <!here> *finance*",
        },
        user_id=ALICE,
        team_id=TEAM,
    )
    assert response.status == 200 and not response.body, response.text
    slack.settle()
    with db.session() as session:
        rows = [(c.key_result_id, c.value, c.note) for c in session.scalars(select(CheckIn))]
    assert rows == [(kr[2].id, 250.0, "waiting on <!here> *finance*")]
    # The reminder the form came from shows it done; the note stays text, never markup.
    text = rows_text(message(emulator, dm))
    assert ":white_check_mark: *`KR-2` Revenue*" in text and "1 checked in this week, 1 left" in text
    assert "<!here>" not in str(message(emulator, dm))


def test_a_form_opened_elsewhere_leaves_the_reminder_alone(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    before_message = message(emulator, dm)
    kr = krs(db)
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "checkin", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.CHECKIN, count=before + 1)
    slack.submit_view(view, {Block.CHECKIN_VALUE.of(id=kr[2].id): "250"}, user_id=ALICE, team_id=TEAM)
    slack.settle()
    assert count(db, CheckIn) == 1
    assert emulator.calls_to("chat.update") == [] and message(emulator, dm) == before_message


# --- gone, and not yours ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.REMINDER_SAME, Action.REMINDER_VALUE, Action.REMINDER_NOTE])
def test_a_key_result_closed_since_gets_an_answer_and_nothing_changes(slack, emulator, db, monday, action):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    with db.session() as session:
        session.execute(update(KeyResult).where(KeyResult.id == kr1.id).values(status=Status.CLOSED))
    before = message(emulator, dm)
    forms = len(emulator.calls_to("views.open"))
    click(slack, dm, action, kr1.id, value="50" if action == Action.REMINDER_VALUE else None)
    [answer] = said(emulator, slack)
    assert answer == (
        "KR-1 was closed after this reminder was sent: check-ins go on active key results, and nothing was recorded."
    )
    assert count(db, CheckIn) == 0
    assert emulator.calls_to("chat.update") == [] and len(emulator.calls_to("views.open")) == forms
    assert message(emulator, dm) == before


def test_a_key_result_deleted_since_gets_an_answer_and_nothing_changes(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    with db.session() as session:
        session.execute(delete(KeyResult).where(KeyResult.id == kr1.id))
    click(slack, dm, Action.REMINDER_SAME, kr1.id)
    [answer] = said(emulator, slack)
    assert "removed after this reminder was sent" in answer and "nothing was recorded" in answer
    assert count(db, CheckIn) == 0
    assert emulator.calls_to("chat.update") == []


def test_the_message_counts_a_key_result_gone_after_another_click(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr = krs(db)
    with db.session() as session:
        session.execute(update(KeyResult).where(KeyResult.id == kr[2].id).values(status=Status.ARCHIVED))
    click(slack, dm, Action.REMINDER_SAME, kr[1].id)
    text = rows_text(message(emulator, dm))
    assert "1 checked in this week, 1 closed or removed since this reminder was sent" in text
    assert "KR-2" not in text


def test_someone_elses_click_is_refused(slack, emulator, db, monday):
    dm = remind(slack, emulator, db)
    kr1 = krs(db)[1]
    before = message(emulator, dm)
    click(slack, dm, Action.REMINDER_SAME, kr1.id, user=BOB)
    [answer] = said(emulator, slack)
    assert answer == "Only the owner or a workspace admin can do that."
    click(slack, dm, Action.REMINDER_NOTE, kr1.id, user=BOB)
    assert said(emulator, slack) == ["Only the owner or a workspace admin can do that."]
    assert count(db, CheckIn) == 0
    assert emulator.calls_to("chat.update") == [] and message(emulator, dm) == before


def test_the_key_results_owner_and_an_admin_may_record(slack, emulator, db, monday):
    # KR-2 is Bob's, in Alice's objective: Bob, Alice (the objective's owner) and an admin may.
    dm = remind(slack, emulator, db, owner=BOB)
    kr2 = krs(db)[2]
    new_york_ten = datetime(2026, 11, 30, 15, 5, tzinfo=UTC)  # Bob lives in New York
    with time_machine.travel(new_york_ten):
        checkin_reminders(db, clients(emulator), new_york_ten)
        bob_dm = reminder_to(emulator, BOB)
        bob = {"channel": bob_dm.response["channel"], "ts": bob_dm.response["ts"]}
        shown = message(emulator, bob)["blocks"]
        for user, value in ((BOB, "100"), (ALICE, "150"), (ADMIN, "200")):
            click(slack, bob, Action.REMINDER_VALUE, kr2.id, user=user, value=value, shown=shown)
    assert check_ins(db) == [(2, 100.0, None, BOB), (2, 150.0, None, ALICE), (2, 200.0, None, ADMIN)]
    assert dm["ts"] != bob["ts"]


# --- Slack's limits -------------------------------------------------------------------------------


def test_many_key_results_show_fifteen_rows_and_say_how_many_more(slack, emulator, db, monday):
    make_objective_via_slack(
        slack, emulator, krs=tuple((f"KR {n} " + "x" * 140, "0", "10", "") for n in range(1, 6))
    )
    for k in range(3):
        make_objective_via_slack(
            slack, emulator, title=f"More {k}", krs=tuple((f"KR {k}.{n}", "0", "10", "") for n in range(1, 6))
        )
    checkin_reminders(db, clients(emulator), MONDAY)
    blocks = reminder_to(emulator, ALICE).args["blocks"]
    assert len(blocks) <= 50
    assert len([b for b in blocks if str(b.get("block_id", "")).endswith("_row")]) == 15
    assert "…and 5 more not shown here" in blocks[-2]["elements"][0]["text"]
    assert emulator.violations == []
