"""Hardening (security): replays, tampered private_metadata, buttons pressed by someone else, and a
user of one workspace speaking through another. Everything is re-checked on the server; nothing
changes when it is refused, and nothing of another workspace is ever reachable.

What the app does with a replayed request (documented here, asserted below):
- Slack signs every request with a timestamp; one older than 5 minutes is refused with 401
  (tests/robustness/test_security.py). Within those 5 minutes the same signed body can arrive twice: Slack
  itself retries Events API callbacks (with ``X-Slack-Retry-Num``), and anyone who captured a
  request can send it again. Slack never retries slash commands or interactive payloads.
- So writes are made idempotent by what identifies one user action rather than by the HTTP
  delivery: a check-in modal submission by its view id and hash, a one-line `/okr checkin` by the
  command's ``trigger_id`` (unique per invocation). A second delivery records nothing and is told
  so; the same line typed again is a new invocation with a new trigger_id and is recorded.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import date, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.ids import Action, Block, Callback
from bot.services.workspaces import workspace_for
from storage.models import Base, CheckIn, KeyResult, Kra, Objective, Sprint, Status, Workspace
from tests.conftest import ADMIN, ALICE, BOB, CAROL, CHANNEL, MALLORY, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN
from tests.factories import (
    answer,
    answer_text,
    kra_values,
    make_kra_via_slack,
    make_objective_via_slack,
    open_review,
    opened_view,
    start_sprint,
)
from tests.slack.client import _state

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
THEIR_CHANNEL = "C0THEIRS"


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table but `member` (the users.info cache)."""
    with db.session() as session:
        return {
            t.name: sorted(tuple(map(repr, row)) for row in session.execute(select(t)))
            for t in Base.metadata.sorted_tables
            if t.name != "member"
        }


def count(db, model, *where) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def kr_id(db, team_id: str, number: int) -> int:
    with db.session() as session:
        return session.scalar(
            select(KeyResult.id)
            .join(Workspace, Workspace.id == KeyResult.workspace_id)
            .where(Workspace.team_id == team_id, KeyResult.number == number)
        )


@pytest.fixture
def two_workspaces(slack, emulator, db):
    """TEAM: Alice's OBJ-1 (KR-1, KR-2) and Bob's OBJ-2 (KR-3); OTHER_TEAM: Mallory's OBJ-1..3
    (KR-1..3), so OBJ-3 is a number that exists only in the other workspace."""
    emulator.add_channel(THEIR_CHANNEL, OTHER_TEAM, name="theirs")
    make_objective_via_slack(
        slack, emulator, krs=(("Activation", "40", "60", "%"), ("Revenue", "0", "100", "$"))
    )
    make_objective_via_slack(
        slack, emulator, user=BOB, owner=BOB, title="Bob's", krs=(("Bob's KR", "0", "10", ""),)
    )
    make_objective_via_slack(
        slack,
        emulator,
        user=MALLORY,
        team=OTHER_TEAM,
        owner=MALLORY,
        title="Mallory's secret plan",
        channel_id=THEIR_CHANNEL,
        krs=(("Mallory's secret KR", "0", "10", ""),),
    )
    for n in (2, 3):
        make_objective_via_slack(
            slack,
            emulator,
            user=MALLORY,
            team=OTHER_TEAM,
            owner=MALLORY,
            title=f"Mallory's secret {n}",
            channel_id=THEIR_CHANNEL,
            krs=((f"Mallory's secret KR {n}", "0", "10", ""),),
        )
    slack.settle()


def open_modal(slack, emulator, callback_id, command: str, text: str, **kwargs) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command(command, text, **kwargs)
    return opened_view(emulator, callback_id, count=before + 1)


# --- replays -----------------------------------------------------------------------------------------


def _command_body(text: str, *, user=ALICE, team=TEAM, response_url: str, trigger_id: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "verification-token",
            "team_id": team,
            "team_domain": "north",
            "channel_id": CHANNEL,
            "channel_name": "growth",
            "user_id": user,
            "user_name": "alice",
            "command": "/okr",
            "text": text,
            "api_app_id": "A0NORTHLINE",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


@pytest.mark.parametrize("retry_header", [False, True], ids=["captured-replay", "with-X-Slack-Retry-Num"])
def test_a_replayed_one_line_check_in_is_recorded_once(slack, emulator, db, two_workspaces, retry_header):
    url = emulator.new_response_url(TEAM, channel_id=CHANNEL, user_id=ALICE)
    body = _command_body(
        "checkin KR-1 45 at-risk waiting", response_url=url, trigger_id=emulator.issue_trigger_id(TEAM, ALICE)
    )
    headers = {**FORM, **slack.sign(body)}
    first = slack.raw(body, headers)
    assert first.status == 200
    assert "KR-1" in slack.wait_for_response_url(response_url=url)["text"]
    again = dict(headers)
    if retry_header:
        again.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    second = slack.raw(body, again)  # the very same signed bytes, seconds later
    assert second.status == 200
    told = slack.wait_for_response_url(response_url=url, count=2)["text"]
    assert "already" in told.lower()
    assert count(db, CheckIn) == 1

    # The same line typed again is a new invocation (a new trigger_id): a new check-in.
    answer(slack, "/okr", "checkin KR-1 45 at-risk waiting")
    assert count(db, CheckIn) == 2


def test_a_replayed_check_in_modal_submission_is_recorded_once(slack, emulator, db, two_workspaces):
    view = open_modal(slack, emulator, Callback.CHECKIN, "/okr", "checkin", user_id=ALICE, team_id=TEAM)
    full = emulator.resolve_view(view)
    payload = slack._common("view_submission", TEAM, ALICE)
    payload["trigger_id"] = emulator.issue_trigger_id(TEAM, ALICE)
    full["state"] = {"values": _state(full["blocks"], {Block.CHECKIN_VALUE.of(id=kr_id(db, TEAM, 1)): "50"})}
    payload.update(view=full, response_urls=[])
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    headers = {**FORM, **slack.sign(body)}
    assert slack.raw(body, headers).status == 200
    assert slack.raw(body, headers).status == 200
    slack.settle()
    assert count(db, CheckIn) == 1


# --- tampered private_metadata -------------------------------------------------------------------------


def _assert_refused(response, db, before):
    assert response.status == 200, response.text
    body = response.json()
    assert body and body.get("response_action") == "errors", response.text
    messages = " ".join(body["errors"].values())
    assert any(
        word in messages
        for word in ("not found", "owner or a workspace admin", "out of date", "Only the sprint")
    ), messages
    assert "Mallory" not in messages and "secret" not in messages
    assert snapshot(db) == before


@pytest.mark.parametrize("target", ["bobs", "other-workspace", "nonsense"])
def test_objective_edit_pointed_elsewhere_is_refused(slack, emulator, db, two_workspaces, target):
    view = open_modal(
        slack, emulator, Callback.OBJECTIVE_EDIT, "/okr", "edit OBJ-1", user_id=ALICE, team_id=TEAM
    )
    # OBJ-2 is Bob's; OBJ-3 does not exist in TEAM; a form that is not ours is refused whole.
    metadata = {
        "bobs": json.dumps({"obj": 2}),
        "other-workspace": json.dumps({"obj": 3}),
        "nonsense": json.dumps({"obj": "1; DROP TABLE objective"}),
    }[target]
    slack.settle()
    before = snapshot(db)
    response = slack.submit_forged_view(
        view, {Block.OBJ_TITLE: "Hijacked", Block.OBJ_OWNER: ALICE}, user_id=ALICE, private_metadata=metadata
    )
    _assert_refused(response, db, before)
    with db.session() as session:
        assert "Hijacked" not in session.scalars(select(Objective.title)).all()


def team_rows(db, team_id: str) -> list[tuple]:
    with db.session() as session:
        return sorted(
            tuple(map(repr, row))
            for row in session.execute(
                select(Objective.__table__)
                .join(Workspace, Workspace.id == Objective.workspace_id)
                .where(Workspace.team_id == team_id)
            )
        )


@pytest.mark.parametrize("claims", ["team-only", "team-and-view"])
def test_a_form_from_another_workspace_cannot_reach_this_one(slack, emulator, db, two_workspaces, claims):
    """Mallory opens her own OBJ-1 (in OTHER_TEAM) and submits it saying it comes from TEAM.

    The workspace is the one the view was installed in (Bolt reads ``view.app_installed_team_id``
    first): with only the payload's team changed, the edit lands on *her* OBJ-1 in her own
    workspace, which she may edit. With the view's team forged too, she is a stranger in TEAM and
    Alice's OBJ-1 is refused. Either way TEAM's objectives are untouched."""
    view = open_modal(
        slack,
        emulator,
        Callback.OBJECTIVE_EDIT,
        "/okr",
        "edit OBJ-1",
        user_id=MALLORY,
        team_id=OTHER_TEAM,
        channel_id=THEIR_CHANNEL,
    )
    slack.settle()
    ours = team_rows(db, TEAM)
    before = snapshot(db)
    if claims == "team-and-view":
        view = {**view, "team_id": TEAM, "app_installed_team_id": TEAM}
    emulator.clear()
    response = slack.submit_forged_view(
        view, {Block.OBJ_TITLE: "Hijacked", Block.OBJ_OWNER: MALLORY}, user_id=MALLORY, team_id=TEAM
    )
    assert response.status == 200
    slack.settle()
    assert team_rows(db, TEAM) == ours
    if claims == "team-and-view":
        _assert_refused(response, db, before)
    assert all(c.args.get("channel") not in (ALICE, BOB) for c in emulator.calls_to("chat.postMessage"))


@pytest.mark.parametrize("target", ["bobs", "other-workspace"])
def test_close_pointed_elsewhere_is_refused(slack, emulator, db, two_workspaces, target):
    view = open_modal(
        slack, emulator, Callback.OBJECTIVE_CLOSE, "/okr", "close OBJ-1", user_id=ALICE, team_id=TEAM
    )
    metadata = json.dumps({"obj": 2 if target == "bobs" else 3})  # OBJ-3 exists only in OTHER_TEAM
    slack.settle()
    before = snapshot(db)
    response = slack.submit_forged_view(view, {}, user_id=ALICE, private_metadata=metadata)
    _assert_refused(response, db, before)
    assert count(db, Objective, Objective.status == Status.CLOSED) == 0


@pytest.mark.parametrize("whose", ["bobs", "other-workspace"])
def test_check_in_modal_pointed_at_another_key_result_is_refused(slack, emulator, db, two_workspaces, whose):
    """The check-in modal carries its key results in its block ids (not private_metadata): forged
    block ids naming Bob's key result, or a key result id of the other workspace, are refused."""
    victim = kr_id(db, TEAM, 3) if whose == "bobs" else kr_id(db, OTHER_TEAM, 1)
    mine = kr_id(db, TEAM, 1)
    view = open_modal(slack, emulator, Callback.CHECKIN, "/okr", "checkin", user_id=ALICE, team_id=TEAM)
    forged = json.loads(json.dumps(view).replace(f"checkin_{mine}_", f"checkin_{victim}_"))
    WebClient(token=TOKEN, base_url=emulator.base_url).views_open(
        trigger_id=emulator.issue_trigger_id(TEAM, ALICE), view=forged
    )
    slack.settle()
    before = snapshot(db)
    response = slack.submit_view(
        forged, {Block.CHECKIN_VALUE.of(id=victim): "9"}, user_id=ALICE, team_id=TEAM
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert "secret" not in json.dumps(body)
    assert snapshot(db) == before


@pytest.mark.parametrize("target", ["other-channel", "other-workspace", "not-a-number"])
def test_sprint_end_pointed_elsewhere_is_refused(slack, emulator, db, two_workspaces, target):
    start_sprint(slack, emulator)  # Alice's sprint in #growth
    view = open_review(slack, emulator)
    with db.session() as session:
        other = workspace_for(session, OTHER_TEAM)
        theirs = Sprint(
            workspace_id=other.id,
            number=1,
            channel_id=THEIR_CHANNEL,
            name="Theirs",
            created_by=MALLORY,
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=7),
        )
        session.add(theirs)
        session.flush()
        theirs_id = theirs.id
    metadata = {
        "other-channel": json.dumps({"channel": "C0ELSEWHERE", "sprint": theirs_id - 1}),
        "other-workspace": json.dumps({"channel": THEIR_CHANNEL, "sprint": theirs_id}),
        "not-a-number": json.dumps({"channel": CHANNEL, "sprint": "1 OR 1=1"}),
    }[target]
    slack.settle()
    before = snapshot(db)
    response = slack.submit_forged_view(
        view, {Block.SPRINT_OUTCOME: "met"}, user_id=ALICE, private_metadata=metadata
    )
    _assert_refused(response, db, before)
    assert count(db, Sprint, Sprint.status != Status.ACTIVE) == 0


def test_sprint_end_by_someone_not_allowed_is_refused(slack, emulator, db, two_workspaces):
    start_sprint(slack, emulator)
    view = open_review(slack, emulator)
    slack.settle()
    before = snapshot(db)
    response = slack.submit_forged_view(view, {Block.SPRINT_OUTCOME: "met"}, user_id=CAROL)
    _assert_refused(response, db, before)


@pytest.mark.parametrize("target", ["alices", "other-workspace"])
def test_kra_edit_pointed_elsewhere_is_refused(slack, emulator, db, two_workspaces, target):
    make_kra_via_slack(slack, emulator, user=ALICE)  # KRA-1, Alice's
    make_kra_via_slack(slack, emulator, user=BOB, owner=BOB, title="Bob's area")  # KRA-2
    make_kra_via_slack(slack, emulator, user=MALLORY, team=OTHER_TEAM, owner=MALLORY, title="Mallory's area")
    make_kra_via_slack(slack, emulator, user=MALLORY, team=OTHER_TEAM, owner=MALLORY, title="Mallory's 2")
    make_kra_via_slack(slack, emulator, user=MALLORY, team=OTHER_TEAM, owner=MALLORY, title="Mallory's 3")
    view = open_modal(slack, emulator, Callback.KRA_EDIT, "/kra", "edit KRA-2", user_id=BOB, team_id=TEAM)
    metadata = json.dumps({"kra": 1 if target == "alices" else 3})  # KRA-3 exists only in OTHER_TEAM
    slack.settle()
    before = snapshot(db)
    response = slack.submit_forged_view(
        view, kra_values(title="Hijacked", owner=BOB), user_id=BOB, private_metadata=metadata
    )
    _assert_refused(response, db, before)
    with db.session() as session:
        assert "Hijacked" not in session.scalars(select(Kra.title)).all()


# --- buttons pressed by someone else ---------------------------------------------------------------


def test_the_reminder_check_in_button_opens_only_the_pressers_own_key_results(
    slack, emulator, db, two_workspaces
):
    # Alice's reminder DM, its *Check in* button pressed by Bob (e.g. forwarded, or a forged payload).
    emulator.clear()
    slack.action(Action.OPEN_CHECKIN, user_id=BOB, team_id=TEAM)
    view = emulator.wait_for("views.open")[-1].args["view"]
    assert view["callback_id"] == Callback.CHECKIN
    shown = json.dumps(view)
    assert f"checkin_{kr_id(db, TEAM, 3)}_value" in shown  # Bob's own key result
    for number in (1, 2):
        assert f"checkin_{kr_id(db, TEAM, number)}_" not in shown
    assert "Activation" not in shown and "Revenue" not in shown
    # Carol owns nothing: she is told so, and sees nobody else's.
    emulator.clear()
    slack.action(Action.HOME_CHECKIN, user_id=CAROL, team_id=TEAM)
    told = emulator.wait_for("chat.postMessage")[-1]
    assert told.args["channel"] == CAROL and "no active key results" in told.args["text"]
    assert not emulator.calls_to("views.open")


def test_home_buttons_open_only_the_pressers_own_forms(slack, emulator, db, two_workspaces):
    for action, callback in (
        (Action.HOME_NEW_OBJECTIVE, Callback.OBJECTIVE_NEW),
        (Action.HOME_NEW_KRA, Callback.KRA_NEW),
    ):
        emulator.clear()
        slack.action(action, user_id=BOB, team_id=TEAM)
        view = emulator.wait_for("views.open")[-1].args["view"]
        assert view["callback_id"] == callback
        assert BOB in json.dumps(view) and ALICE not in json.dumps(view)


def test_a_review_button_pressed_by_someone_not_allowed_changes_nothing(slack, emulator, db, two_workspaces):
    start_sprint(slack, emulator)
    with db.session() as session:
        sprint_id = session.scalar(select(Sprint.id))
    slack.settle()
    before = snapshot(db)
    emulator.clear()
    response = slack.action(
        Action.REVIEW_SPRINT, f"{CHANNEL}:{sprint_id}", user_id=CAROL, team_id=TEAM, channel_id=CHANNEL
    )
    assert response.status == 200
    slack.settle()
    assert not emulator.calls_to("views.open")
    assert snapshot(db) == before


# --- a user of another workspace speaking through an installed one --------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "list all",
        "list mine",
        "list",
        "show OBJ-3",
        "show OBJ-1",
        "checkin KR-4 5",
        "checkin",
        "edit OBJ-3",
        "close OBJ-3",
        "archive OBJ-3",
        "export",
    ],
)
def test_a_foreign_user_in_an_installed_workspace_reaches_nothing_of_their_own_workspace(
    slack, emulator, db, two_workspaces, text
):
    slack.settle()
    before = snapshot(db)
    emulator.clear()
    response = slack.command("/okr", text, user_id=MALLORY, team_id=TEAM, channel_id=CHANNEL)
    assert response.status == 200
    slack.settle()
    everything = json.dumps([c.args for c in emulator.calls], ensure_ascii=False)
    assert "Mallory's secret" not in everything and "secret KR" not in everything
    assert all(c.token != OTHER_TOKEN for c in emulator.calls), "spoke with the other workspace's token"
    assert snapshot(db) == before
    if text.startswith(("edit", "close", "archive")):
        payload = slack.wait_for_response_url()
        assert "not found" in answer_text(payload) or "owner or a workspace admin" in answer_text(payload)


def test_a_foreign_user_cannot_write_into_their_own_workspace_through_another(
    slack, emulator, db, two_workspaces
):
    # KR-1 of OTHER_TEAM is Mallory's; claimed through TEAM it is Alice's KR-1, which is not hers.
    text = answer(slack, "/okr", "checkin KR-1 9", user_id=MALLORY, team_id=TEAM)["text"]
    assert "owner or a workspace admin" in text
    assert count(db, CheckIn) == 0
    with db.session() as session:
        assert (
            session.scalar(select(KeyResult.current_value).where(KeyResult.id == kr_id(db, OTHER_TEAM, 1)))
            is None
        )


def test_an_admin_of_one_workspace_is_not_an_admin_of_another(slack, emulator, db, two_workspaces):
    # ADMIN is an admin of TEAM only; through OTHER_TEAM's team_id they are nobody there.
    text = answer(
        slack, "/okr", "archive OBJ-1", user_id=ADMIN, team_id=OTHER_TEAM, channel_id=THEIR_CHANNEL
    )["text"]
    assert "Archived" not in text
    assert count(db, Objective, Objective.status == Status.ARCHIVED) == 0


def test_a_replay_older_than_five_minutes_of_a_valid_check_in_is_refused(slack, emulator, db, two_workspaces):
    url = emulator.new_response_url(TEAM, channel_id=CHANNEL, user_id=ALICE)
    body = _command_body(
        "checkin KR-1 45", response_url=url, trigger_id=emulator.issue_trigger_id(TEAM, ALICE)
    )
    response = slack.raw(body, {**FORM, **slack.sign(body, timestamp=int(time.time()) - 301)})
    assert response.status == 401
    assert count(db, CheckIn) == 0
