"""The posted digest stays true: a check-in after this week's digest went out updates it in place
(chat.update, "updated HH:MM"), once a minute at most per channel, never as a new post, and a
digest whose message or channel is gone is left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from slack_sdk import WebClient
from sqlalchemy import select

from bot.jobs.digest import channel_digests
from bot.jobs.digest_refresh import refresh_digests
from storage.models import DigestRefresh
from tests.conftest import ALICE, CHANNEL, TEAM, TOKEN
from tests.factories import (
    answer,
    answer_text,
    channel_posts,
    clients,
    make_objective_via_slack,
    new_token,
    served_api,
)

WEDNESDAY = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)  # the workspace's (UTC) digest is due at 16:00


def at(minutes: float) -> datetime:
    return FRIDAY + timedelta(minutes=minutes)


@pytest.fixture
def posted(slack, emulator, db) -> dict:
    """KR-1 (Alice's) with no check-in this week, and the channel's digest posted Friday 16:05."""
    with time_machine.travel(WEDNESDAY):
        make_objective_via_slack(slack, emulator)
        slack.settle()  # the creator's App Home refresh
    channel_digests(db, clients(emulator), FRIDAY)
    posts = channel_posts(emulator, CHANNEL)
    # The parent and one reply in its thread.
    assert len(posts) == 2
    return {"parent": posts[0].response["ts"], "reply": posts[1].response["ts"], "posts": len(posts)}


def check_in(slack, when: datetime, value: str) -> None:
    with time_machine.travel(when):
        text = answer_text(answer(slack, "/okr", f"checkin KR-1 {value}", user_id=ALICE, team_id=TEAM))
        slack.settle()
    assert text.startswith("Checked in"), text


def footer(message: dict) -> str:
    return message["blocks"][-1]["elements"][0]["text"]


def test_a_check_in_after_the_digest_updates_it_in_place(slack, emulator, db, posted):
    before = emulator.message(CHANNEL, posted["parent"])
    assert footer(before).startswith("0 of 1 owner checked in this week")
    check_in(slack, at(10), "45")

    report = refresh_digests(db, clients(emulator), at(11))

    assert report.sent == 1 and report.errors == []
    updates = emulator.calls_to("chat.update", ok=True)
    assert [(u.args["channel"], u.args["ts"]) for u in updates] == [
        (CHANNEL, posted["parent"]),
        (CHANNEL, posted["reply"]),
    ]
    parent = emulator.message(CHANNEL, posted["parent"])
    assert footer(parent).startswith("1 of 1 owner checked in this week")
    assert footer(parent).endswith("· updated 16:16")
    # 45 on the way from 40 to 60: a quarter of the way.
    assert " 25%" in str(parent["blocks"]) and " 25%" not in str(before["blocks"])
    reply = emulator.message(CHANNEL, posted["reply"])
    assert "Every key result has a check-in this week." in str(reply["blocks"])
    assert reply["blocks"][-1]["elements"][0]["text"] == "updated 16:16"
    assert len(channel_posts(emulator, CHANNEL)) == posted["posts"]  # never a new post
    assert emulator.violations == []
    # Nothing more landed: the next tick leaves it alone.
    assert refresh_digests(db, clients(emulator), at(20)).sent == 0
    assert len(emulator.calls_to("chat.update")) == 2


def test_a_burst_of_check_ins_updates_the_digest_once_a_minute_at_most(slack, emulator, db, posted):
    for seconds, value in ((0, "41"), (10, "42"), (20, "43")):
        check_in(slack, at(10 + seconds / 60), value)

    assert refresh_digests(db, clients(emulator), at(11)).sent == 1
    parent_updates = [u for u in emulator.calls_to("chat.update") if u.args["ts"] == posted["parent"]]
    assert len(parent_updates) == 1
    # The last one, 43: KR-1 moved this week, so the parent tells it now, and the reply no more.
    assert " 15%" in str(emulator.message(CHANNEL, posted["parent"])["blocks"])
    assert "`KR-1`" not in str(emulator.message(CHANNEL, posted["reply"])["blocks"])

    # Another one 30 s after that update: the minute is not over, nothing goes to Slack yet.
    check_in(slack, at(11.5), "44")
    assert refresh_digests(db, clients(emulator), at(11.75)).sent == 0
    assert len([u for u in emulator.calls_to("chat.update") if u.args["ts"] == posted["parent"]]) == 1
    # The next tick after the minute carries it.
    assert refresh_digests(db, clients(emulator), at(12)).sent == 1
    assert len([u for u in emulator.calls_to("chat.update") if u.args["ts"] == posted["parent"]]) == 2
    assert footer(emulator.message(CHANNEL, posted["parent"])).endswith("· updated 16:17")
    assert len(channel_posts(emulator, CHANNEL)) == posted["posts"]


def test_a_check_in_before_this_weeks_digest_changes_no_earlier_digest(slack, emulator, db, posted):
    # Next Wednesday: last Friday's digest is the picture of its week and stays so.
    next_wednesday = WEDNESDAY + timedelta(days=7)
    check_in(slack, next_wednesday, "50")
    assert refresh_digests(db, clients(emulator), next_wednesday + timedelta(minutes=1)).sent == 0
    assert emulator.calls_to("chat.update") == []


@pytest.mark.parametrize("gone", ["deleted", "archived"])
def test_a_digest_that_is_gone_is_left_alone_and_not_posted_again(slack, emulator, db, posted, gone):
    if gone == "deleted":
        WebClient(token=TOKEN, base_url=emulator.base_url).chat_delete(channel=CHANNEL, ts=posted["parent"])
        expected = "message_not_found"
    else:
        emulator.update_channel(CHANNEL, is_archived=True)
        expected = "is_inactive"
    check_in(slack, at(10), "45")

    report = refresh_digests(db, clients(emulator), at(11))

    assert report.errors == [] and report.sent == 0 and report.skipped == 1
    assert [c.response.get("error") for c in emulator.calls_to("chat.update")] == [expected]
    assert len(channel_posts(emulator, CHANNEL)) == posted["posts"]  # nothing reposted
    with db.session() as session:
        assert session.scalar(select(DigestRefresh.gone)) == expected
    # Later check-ins do not try again.
    check_in(slack, at(20), "46")
    assert refresh_digests(db, clients(emulator), at(21)).skipped == 0
    assert len(emulator.calls_to("chat.update")) == 1
    assert len(channel_posts(emulator, CHANNEL)) == posted["posts"]


def test_a_check_in_through_the_api_updates_it_too(web_app, emulator, db, posted):
    with served_api(web_app, db, emulator, clock=lambda: at(10).replace(tzinfo=None)) as (slack, api):
        token = new_token(slack, "ci", "write")
        reply = api.post("/api/v1/key-results/KR-1/check-ins", {"value": 45}, token)
        assert reply.status == 201, reply.text

    assert refresh_digests(db, clients(emulator), at(11)).sent == 1
    assert " 25%" in str(emulator.message(CHANNEL, posted["parent"])["blocks"])
    assert len(channel_posts(emulator, CHANNEL)) == posted["posts"]
