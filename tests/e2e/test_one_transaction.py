"""One action, one transaction: a command that shows dates, *Next* on the check-in form and a
review pack each open exactly one database transaction per request, their use case's (the
caller's zone is read inside it, not in a transaction of its own). Counted on the engine itself,
so a session opened anywhere on the request's path is seen.

The app runs with one bot token: with OAuth, Bolt's authorisation reads the installation store
before the listener runs, which is not the action's doing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.ids import Action, Block, Callback
from tests.conftest import ADMIN, ALICE, CHANNEL, TEAM
from tests.e2e.test_checkin_paging import kr_ids, open_checkin
from tests.factories import answer, make_kra_via_slack, make_objectives, opened_view


class Transactions:
    def __init__(self) -> None:
        self.count = 0


@contextmanager
def transactions(slack, db) -> Iterator[Transactions]:
    """The transactions begun on the app's engine while the block runs, the work each request set
    off after its ack included."""
    counted = Transactions()

    def begun(_connection) -> None:
        counted.count += 1

    slack.settle()  # an earlier request's work after its ack is not this one's
    event.listen(db.engine, "begin", begun)
    try:
        yield counted
        slack.settle()
    finally:
        event.remove(db.engine, "begin", begun)


def warm_up(slack, *users: str) -> None:
    """A person's first command of the day stores what Slack says of them (users.info), in
    transactions of its own before the action's: that refresh is not what is counted here."""
    for user in users or (ALICE,):
        answer(slack, "/okr", "help", user_id=user)
    slack.settle()


def test_a_command_that_shows_dates_opens_one_transaction(single_slack, emulator, db):
    slack = single_slack
    warm_up(slack, ALICE, ADMIN)
    for user, text in (
        (ALICE, "schedule"),
        (ALICE, "remind"),
        (ADMIN, "schedule checkin mon 10:00"),  # a change, then the answer: one use case
        (ALICE, "resume"),
    ):
        with transactions(slack, db) as counted:
            reply = answer(slack, "/okr", text, user_id=user, channel_id=CHANNEL)
        assert "Europe/London" in json.dumps(reply) or user == ADMIN, (text, reply)
        assert counted.count == 1, text


def test_next_on_the_check_in_form_opens_one_transaction(single_slack, emulator, db, now):
    slack = single_slack
    make_objectives(db, 3, key_results=5, now=now)  # 15 key results: two pages
    ids = kr_ids(db)
    warm_up(slack)
    with transactions(slack, db) as counted:
        view = open_checkin(slack, emulator)
    assert counted.count == 1
    before = len(emulator.calls_to("views.update"))
    with transactions(slack, db) as counted:
        slack.action(Action.CHECKIN_NEXT, view=view, state_values={}, user_id=ALICE, team_id=TEAM)
    assert len(emulator.calls_to("views.update")) == before + 1
    assert counted.count == 1
    # A page with a check-in: the action's one transaction, then (after its commit, best effort)
    # the one that reads the Homes it touched.
    view = opened_view(emulator, Callback.CHECKIN, count=1)
    with transactions(slack, db) as counted:
        slack.action(
            Action.CHECKIN_NEXT,
            view=view,
            state_values={Block.CHECKIN_VALUE.of(id=ids[2]): "12"},
            user_id=ALICE,
            team_id=TEAM,
        )
    assert len(emulator.calls_to("views.update")) == before + 2
    assert counted.count == 2


def test_a_review_pack_opens_one_transaction(single_slack, emulator, db):
    slack = single_slack
    make_kra_via_slack(slack, emulator, user=ALICE)
    warm_up(slack)
    with transactions(slack, db) as counted:
        reply = answer(slack, "/kra", "report", user_id=ALICE)
    assert "review pack" in reply["text"].lower(), reply
    assert counted.count == 1
