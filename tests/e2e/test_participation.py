"""Participation, shown kindly: the digest counts the owners who checked in this week (a count,
no names), and a person's own confirmation says how many weeks in a row they have checked in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from bot.ids import Action, Block, Callback
from bot.jobs.digest import channel_digests
from bot.jobs.reminders import checkin_reminders
from storage.models import CheckIn, KeyResult
from tests.conftest import ALICE, BOB, CHANNEL, TEAM
from tests.factories import (
    FRIDAY_LONDON,
    answer,
    answer_text,
    channel_posts,
    clients,
    make_channel_with_objectives,
    make_check_ins,
    make_objective_via_slack,
    opened_view,
)

WEDNESDAY = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # its week began Monday 30 November


# --- the digest ---------------------------------------------------------------------------------------


def digest_footer(emulator) -> str:
    parent = channel_posts(emulator, CHANNEL)[0]
    return parent.args["blocks"][-1]["elements"][0]["text"]


def test_the_digest_says_how_many_owners_checked_in_this_week(db, emulator):
    # Alice, Bob and Carol own key results here; Alice and Carol checked in on all of theirs on
    # Tuesday, Bob on none.
    make_channel_with_objectives(db, emulator)
    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    footer = digest_footer(emulator)
    assert footer.startswith("2 of 3 owners checked in this week · ")
    parent = channel_posts(emulator, CHANNEL)[0]
    assert "2 of 3 owners checked in this week" in parent.args["text"]
    assert "<@" not in str(parent.args["blocks"])  # a count, never names, in the channel's message
    assert emulator.violations == []


def test_an_owner_with_one_key_result_left_is_not_counted_yet(db, emulator):
    workspace_id = make_channel_with_objectives(db, emulator, checkins=False)
    with db.session() as session:
        alice_krs = session.scalars(select(KeyResult.id).where(KeyResult.owner_id == ALICE)).all()
    make_check_ins(db, workspace_id, alice_krs[0], ALICE, [(datetime(2026, 12, 1, 9), 30.0, "")])
    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert digest_footer(emulator).startswith("0 of 3 owners checked in this week · ")


# --- weeks in a row, in the person's own confirmation ----------------------------------------------------


@pytest.fixture
def wednesday():
    with time_machine.travel(WEDNESDAY):
        yield


def earlier_check_ins(db, *moments: datetime, author=ALICE) -> None:
    with db.session() as session:
        kr = session.scalar(select(KeyResult).where(KeyResult.number == 1))
        for moment in moments:
            session.add(
                CheckIn(
                    workspace_id=kr.workspace_id,
                    key_result_id=kr.id,
                    value=41.0,
                    author_id=author,
                    created_at=moment,
                )
            )


def test_a_one_line_check_in_says_how_many_weeks_in_a_row(slack, emulator, db, wednesday):
    make_objective_via_slack(slack, emulator)
    # The two weeks before this one, and one five weeks back (a gap ends the run there).
    earlier_check_ins(db, datetime(2026, 11, 24, 9), datetime(2026, 11, 16, 17), datetime(2026, 10, 26, 9))
    text = answer_text(answer(slack, "/okr", "checkin KR-1 45", user_id=ALICE, team_id=TEAM))
    assert "That makes 3 weeks in a row you've checked in. Thank you!" in text


def test_a_first_week_is_thanked_without_a_count(slack, emulator, db, wednesday):
    make_objective_via_slack(slack, emulator)
    earlier_check_ins(db, datetime(2026, 11, 16, 9))  # two weeks ago: last week is missing
    text = answer_text(answer(slack, "/okr", "checkin KR-1 45", user_id=ALICE, team_id=TEAM))
    assert "That's your check-in for this week. Thank you!" in text
    assert "in a row" not in text


def test_someone_elses_check_ins_do_not_count_for_you(slack, emulator, db, wednesday):
    make_objective_via_slack(slack, emulator)
    earlier_check_ins(db, datetime(2026, 11, 24, 9), author=BOB)
    text = answer_text(answer(slack, "/okr", "checkin KR-1 45", user_id=ALICE, team_id=TEAM))
    assert "That's your check-in for this week." in text


def test_the_form_confirmation_says_it_too(slack, emulator, db, wednesday):
    make_objective_via_slack(slack, emulator)
    earlier_check_ins(db, datetime(2026, 11, 25, 9))
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "checkin", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.CHECKIN, count=before + 1)
    with db.session() as session:
        kr_id = session.scalar(select(KeyResult.id).where(KeyResult.number == 1))
    slack.submit_view(view, {Block.CHECKIN_VALUE.of(id=kr_id): "50"}, user_id=ALICE, team_id=TEAM)
    slack.settle()
    dm = emulator.calls_to("chat.postMessage", ok=True)[-1]
    assert dm.args["channel"] == ALICE
    assert "Checked in:" in dm.args["text"] and "That makes 2 weeks in a row" in dm.args["text"]


def test_the_reminder_says_it_after_a_one_click_check_in(slack, emulator, db):
    monday = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)
    with time_machine.travel(monday):
        make_objective_via_slack(slack, emulator)
        earlier_check_ins(db, datetime(2026, 11, 24, 9))  # last Tuesday
        checkin_reminders(db, clients(emulator), monday)
        dm = emulator.calls_to("chat.postMessage", ok=True)[-1]
        with db.session() as session:
            kr_id = session.scalar(select(KeyResult.id).where(KeyResult.number == 1))
        slack.action(
            Action.REMINDER_VALUE,
            "44",
            block_id=Block.REMINDER_VALUE.of(id=kr_id),
            message={"ts": dm.response["ts"]},
            channel_id=dm.response["channel"],
            user_id=ALICE,
            team_id=TEAM,
        )
        slack.settle()
    shown = emulator.message(dm.response["channel"], dm.response["ts"])
    assert "That makes 2 weeks in a row you've checked in. Thank you!" in shown["blocks"][1]["text"]["text"]
