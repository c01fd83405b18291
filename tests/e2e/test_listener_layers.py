"""The listener layer's rules: one router per command, Slack effects through bot/outbound.py,
and no Slack call before ack() on a view submission (permissions come from the member cache)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import event, select

from bot import outbound
from bot.ids import Callback
from bot.listeners import kra, okr, sprint
from bot.slack_client import build_web_client
from storage.models import Kra, Member
from tests.conftest import ADMIN, ALICE, CHANNEL, TOKEN, count_statements
from tests.factories import answer, kra_values, make_kra_via_slack, opened_view


def _users_info_calls(emulator) -> int:
    return len(emulator.calls_to("users.info"))


def test_an_admin_edit_is_decided_from_the_stored_member_row_without_users_info(slack, emulator, db):
    make_kra_via_slack(slack, emulator, user=ALICE)
    slack.command("/kra", "edit KRA-1", user_id=ADMIN)  # asks users.info once and keeps the answer
    view = opened_view(emulator, Callback.KRA_EDIT, count=2)
    with db.session() as session:  # a row older than a day would make member() ask Slack again
        for row in session.scalars(select(Member)):
            row.refreshed_at -= timedelta(days=3)
    before = _users_info_calls(emulator)
    response = slack.submit_view(view, kra_values(title="Renamed by an admin"), user_id=ADMIN)
    assert response.status == 200 and not response.body
    assert _users_info_calls(emulator) == before
    with db.session() as session:
        assert session.scalar(select(Kra.title)) == "Renamed by an admin"


def test_an_edit_from_someone_with_no_stored_row_is_refused_without_asking_slack(slack, emulator, db):
    make_kra_via_slack(slack, emulator, user=ALICE)
    slack.command("/kra", "edit KRA-1", user_id=ALICE)
    view = opened_view(emulator, Callback.KRA_EDIT, count=2)
    before = _users_info_calls(emulator)
    response = slack.submit_forged_view(
        view, kra_values(title="Hijacked"), user_id=ADMIN, private_metadata=json.dumps({"kra": 1})
    )
    assert response.json()["response_action"] == "errors"
    assert "owner or a workspace admin" in json.dumps(response.json())
    assert _users_info_calls(emulator) == before
    with db.session() as session:
        assert session.scalar(select(Kra.title)) == "Customer satisfaction"


@pytest.fixture
def connections_held_at_users_info(db, monkeypatch):
    """For each users.info the app makes: how many database connections its thread held then.
    Anything but 0 is a transaction (or a session) waiting on Slack."""
    held = threading.local()
    seen: list[int] = []

    def checkout(*_):
        held.n = getattr(held, "n", 0) + 1

    def checkin(*_):
        held.n = getattr(held, "n", 1) - 1

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    real = WebClient.users_info

    def users_info(self, **kwargs):
        seen.append(getattr(held, "n", 0))
        return real(self, **kwargs)

    monkeypatch.setattr(WebClient, "users_info", users_info)
    yield seen
    event.remove(db.engine, "checkout", checkout)
    event.remove(db.engine, "checkin", checkin)


def test_commands_ask_slack_about_people_outside_any_transaction(
    slack, emulator, db, connections_held_at_users_info
):
    make_kra_via_slack(slack, emulator, user=ALICE)
    slack.command("/kra", "edit KRA-1", user_id=ADMIN)  # the admin flag decides, asked of Slack first
    opened_view(emulator, Callback.KRA_EDIT, count=2)
    answer(slack, "/sprint", "schedule", user_id=ADMIN, channel_id=CHANNEL)
    answer(slack, "/kra", f"report <@{ALICE}|alice>", user_id=ADMIN)  # the pack names Alice
    slack.settle()
    assert len(connections_held_at_users_info) >= 2
    assert set(connections_held_at_users_info) == {0}


def _member_checks(statements: list[str]) -> int:
    return sum("refreshed_at" in statement and "JOIN workspace" in statement for statement in statements)


def test_a_persons_second_command_of_the_day_costs_no_statement_to_check_their_row(slack, emulator, db):
    with count_statements(db) as first:
        answer(slack, "/kra", "list", user_id=ALICE)
    with count_statements(db) as second:
        answer(slack, "/kra", "list", user_id=ALICE)
    assert _member_checks(first.statements) == 1 and _users_info_calls(emulator) == 1
    assert _member_checks(second.statements) == 0 and _users_info_calls(emulator) == 1
    assert second.count < first.count


def test_kra_review_refuses_extra_words(slack, emulator, db):
    make_kra_via_slack(slack, emulator, user=ALICE)
    assert "takes nothing" in answer(slack, "/kra", "review everything", user_id=ALICE)["text"]
    assert emulator.calls_to("views.open", ok=True)[-1].args["view"]["callback_id"] != Callback.KRA_REVIEW


def test_each_commands_help_comes_from_its_router(slack):
    for command, router in (("/kra", kra.ROUTER), ("/okr", okr.ROUTER)):
        text = answer(slack, command, "help all", user_id=ALICE)["text"]
        assert text == router.usage(admin=False)
        assert all(line in text for line in router.lines if line not in router.admin_lines)
    text = answer(slack, "/sprint", "help all", user_id=ALICE, channel_id=CHANNEL)["text"]
    assert (
        "`/sprint schedule" in text and text == sprint.ROUTER.usage()
    )  # registered by listeners/schedule.py


def test_outbound_logs_a_failed_post_once_and_reports_it(emulator, caplog):
    client = build_web_client(TOKEN, emulator.base_url)
    emulator.fail("chat.postMessage", "channel_not_found")
    with caplog.at_level(logging.WARNING, logger="bot.outbound"):
        assert outbound.post(client, CHANNEL, "hello") is False
    # Only outbound's own records: a listener thread left over from an earlier test in this worker
    # may log to the root logger while this test runs.
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.outbound"]
    assert logged == [f"could not post in {CHANNEL}: channel_not_found"]
    assert outbound.post(client, CHANNEL, "hello") is True


def test_an_answer_the_response_url_refuses_is_logged_not_raised(slack, emulator, db, caplog):
    emulator.fail("response_url", "expired_url")
    with caplog.at_level(logging.WARNING, logger="bot.outbound"):
        response = slack.command("/kra", "list", user_id=ALICE)
        slack.settle()
    assert response.status == 200
    assert any("response_url: 404" in r.getMessage() for r in caplog.records)
