"""Posts left in doubt (claimed, never marked) are settled from Slack's history: marked sent when
Slack has the message (its key is in the message metadata), sent when it has not, left in doubt
(and never resent) when the history cannot be read."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.jobs import delivery
from bot.jobs.reminders import checkin_reminders
from bot.slack_client import build_web_client
from storage.models import Delivery, DeliveryState, Member
from tests.conftest import TEAM, TOKEN
from tests.factories import (
    MONDAY_LONDON,
    clients,
    deliveries,
    dms,
    hooked_clients,
    make_owners_with_key_results,
)

USERS = [f"U0S{i:02d}" for i in range(5)]


class Killed(BaseException):
    """The worker dying (not an Exception: nothing catches it)."""


def die_at_third(n: int) -> None:
    if n == 3:
        raise Killed


def older(db, minutes: int = 20) -> None:
    """Every claim still open was made `minutes` ago (its claimant is long gone)."""
    with db.session() as session:
        for row in session.scalars(select(Delivery).where(Delivery.state == DeliveryState.CLAIMED)):
            row.claimed_at = row.claimed_at - timedelta(minutes=minutes)


def claimed(db) -> list[Delivery]:
    return [d for d in deliveries(db, "checkin") if d.state == DeliveryState.CLAIMED]


def killed_run(db, emulator, monkeypatch, **hooks) -> Delivery:
    """A reminder run whose worker dies at the third post; returns the claim it left in doubt."""
    monkeypatch.setenv("NORTHLINE_POSTS_IN_FLIGHT", "1")  # "the third post" is then exactly one
    make_owners_with_key_results(db, emulator, USERS)
    with pytest.raises(Killed):
        checkin_reminders(db, hooked_clients(clients(emulator), **hooks), MONDAY_LONDON)
    [doubt] = claimed(db)
    return doubt


def test_every_scheduled_post_carries_its_key_as_message_metadata(db, emulator):
    workspace_id = make_owners_with_key_results(db, emulator, USERS[:2])
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    posted = {c.args["channel"]: c.args.get("metadata") for c in emulator.calls_to("chat.postMessage")}
    assert posted == {
        user: {
            "event_type": "northline_delivery",
            "event_payload": {"key": f"checkin/{workspace_id}/{user}/2026-W49"},
        }
        for user in USERS[:2]
    }


def test_a_worker_killed_after_the_claim_leaves_a_post_that_is_sent_once_at_the_next_tick(
    db, emulator, monkeypatch
):
    doubt = killed_run(db, emulator, monkeypatch, before=die_at_third)
    assert sum(dms(emulator).values()) == 2  # the third never reached Slack

    # A tick within IN_DOUBT_AFTER leaves it alone: its claimant may still be posting.
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=1))
    assert report.settled == 0 and emulator.calls_to("conversations.history") == []
    assert dms(emulator)[doubt.target] == 0

    older(db)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=21))
    assert report.settled == 1 and report.in_doubt == 0
    assert dms(emulator) == Counter({user: 1 for user in USERS})  # everybody once
    [read] = emulator.calls_to("conversations.history")
    assert read.args["include_all_metadata"] in (True, "true", "1")
    assert read.args["channel"] == emulator.dm_channel_id(TEAM, doubt.target)
    assert {d.target: d.state for d in deliveries(db, "checkin")} == {u: DeliveryState.SENT for u in USERS}

    # Settled for good: later ticks neither read nor send.
    emulator.clear()
    older(db)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=42))
    assert emulator.calls_to("conversations.history") == [] and dms(emulator) == Counter()


def test_a_worker_killed_after_slack_accepted_is_marked_sent_without_sending_again(db, emulator, monkeypatch):
    doubt = killed_run(db, emulator, monkeypatch, after=die_at_third)
    assert sum(dms(emulator).values()) == 3  # the third reached Slack; its mark never happened
    [third] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == doubt.target]
    dm_channel = emulator.dm_channel_id(TEAM, doubt.target)
    [message] = emulator.channel_messages(dm_channel)

    older(db)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=21))
    assert report.settled == 1
    assert dms(emulator) == Counter({user: 1 for user in USERS})  # nobody twice
    assert len(emulator.channel_messages(dm_channel)) == 1
    [row] = [d for d in deliveries(db, "checkin") if d.target == doubt.target]
    assert row.state == DeliveryState.SENT
    assert (row.detail["channel"], row.detail["ts"], row.detail["settled"]) == (
        dm_channel,
        message["ts"],
        "found in history",
    )
    assert (
        third.args["metadata"]["event_payload"]["key"]
        == f"checkin/{doubt.workspace_id}/{doubt.target}/2026-W49"
    )


def no_retries(emulator):
    client = build_web_client(TOKEN, emulator.base_url, rate_limit_retries=0)
    return lambda workspace: client


@pytest.mark.parametrize("failure", ["missing_scope", "429", "503"])
def test_history_that_cannot_be_read_leaves_the_post_in_doubt_and_sends_nothing(
    db, emulator, monkeypatch, caplog, failure
):
    doubt = killed_run(db, emulator, monkeypatch, before=die_at_third)
    if failure == "missing_scope":
        emulator.fail("conversations.history", "missing_scope", times=None)
    elif failure == "429":
        emulator.rate_limit("conversations.history", every=1, retry_after=0)
    else:
        emulator.server_error("conversations.history", times=None, status=503)
    older(db)
    caplog.set_level(logging.WARNING)

    report = checkin_reminders(db, no_retries(emulator), MONDAY_LONDON + timedelta(minutes=21))

    assert report.in_doubt == 1 and report.settled == 0
    assert dms(emulator)[doubt.target] == 0 and sum(dms(emulator).values()) == 4
    [still] = claimed(db)
    assert still.target == doubt.target and still.detail["settlements"] == 1
    assert any("still in doubt" in r.getMessage() and doubt.target in r.getMessage() for r in caplog.records)

    # Tried again later, once Slack answers: sent once.
    emulator.clear_faults()
    older(db)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=42))
    assert report.settled == 1 and dms(emulator) == Counter({user: 1 for user in USERS})
    assert claimed(db) == []


def test_a_settlement_killed_mid_read_is_settled_later_once(db, emulator, monkeypatch):
    doubt = killed_run(db, emulator, monkeypatch, after=die_at_third)
    older(db)
    reads = {"n": 0}
    base = clients(emulator)

    class DiesReading:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def conversations_history(self, **kwargs):
            reads["n"] += 1
            raise Killed

    with pytest.raises(Killed):
        checkin_reminders(db, lambda w: DiesReading(base(w)), MONDAY_LONDON + timedelta(minutes=21))
    assert reads["n"] == 1
    [still] = claimed(db)
    assert still.detail["settlements"] == 1

    # Its settlement's claim is fresh: the next tick leaves it alone.
    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=22))
    assert emulator.calls_to("conversations.history") == []
    older(db)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=43))
    assert report.settled == 1 and len(emulator.calls_to("conversations.history")) == 1
    assert dms(emulator) == Counter({user: 1 for user in USERS})
    [row] = [d for d in deliveries(db, "checkin") if d.target == doubt.target]
    assert row.state == DeliveryState.SENT and row.detail["settled"] == "found in history"


def test_only_one_runner_claims_a_settlement(db, emulator, monkeypatch):
    killed_run(db, emulator, monkeypatch, before=die_at_third)
    older(db)
    [row] = claimed(db)
    start = threading.Barrier(4)
    won = []

    def settle() -> None:
        start.wait()
        won.append(delivery.settle(db, row))

    threads = [threading.Thread(target=settle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for w in won if w is not None) == 1
    assert [w for w in won if w is not None] == [row.claimed_at]


def test_a_post_slack_never_had_is_not_sent_to_someone_who_went_away_since(db, emulator, monkeypatch):
    doubt = killed_run(db, emulator, monkeypatch, before=die_at_third)
    with db.session() as session:
        session.execute(
            update(Member)
            .where(Member.user_id == doubt.target)
            .values(status_text="Vacationing", status_emoji=":palm_tree:")
        )
    older(db)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=21))
    assert report.settled == 1 and report.skipped == 1
    assert dms(emulator)[doubt.target] == 0 and sum(dms(emulator).values()) == 4
    [row] = [d for d in deliveries(db, "checkin") if d.target == doubt.target]
    assert row.state == DeliveryState.SKIPPED
    assert row.detail == {"reason": "settled", "why": "shows an away status"}
