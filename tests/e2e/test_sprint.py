"""`/sprint` end to end: signed HTTP requests into the real app, a real database, the emulator."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.domain.references import RefKind
from bot.ids import Action, Block, Callback
from bot.services import sprint_views
from bot.services.workspaces import next_number, workspace_for
from bot.ui.dates import people_range
from storage.db import Database
from storage.models import (
    KeyResult,
    KeyResultKind,
    Objective,
    Sprint,
    SprintKeyResult,
    SprintOutcome,
    Status,
    Workspace,
)
from storage.repositories import sprints as repo
from tests.conftest import ADMIN, ALICE, BOB, CAROL, CHANNEL, MALLORY, OTHER_TEAM, TEAM, count_statements
from tests.factories import open_review, previous_quarter, quarter, start_sprint
from tests.factories import view_opened as opened_view

OTHER_CHANNEL = "C0SUPPORT"
DM = "D0ALICEDM"
LONDON = ZoneInfo("Europe/London")  # Alice's time zone in the emulator
NEW_YORK = ZoneInfo("America/New_York")  # Bob's


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clock_stopped(frozen_now):
    """The app reads the clock for a sprint's default dates, its days left and this quarter: it is
    stopped at the test's `now`, so that what the test expects and what the app reads agree even
    a second before a quarter turns."""


def today_in_london(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def default_end(start: date) -> date:
    """The last work day (Monday to Friday, no holidays) before the next two-week start."""
    from bot.domain.schedule_time import WorkCalendar

    return WorkCalendar.of("1,2,3,4,5").last_working_day(start, start + timedelta(days=13))


def answer(slack, text: str, *, user=ALICE, team=TEAM, channel=CHANNEL, **kwargs) -> dict:
    response = slack.command("/sprint", text, user_id=user, team_id=team, channel_id=channel, **kwargs)
    assert response.status == 200, response.text
    return slack.wait_for_response_url()


def answer_text(payload: dict) -> str:
    return "\n".join(
        [payload.get("text", ""), *(json.dumps(b, ensure_ascii=False) for b in payload.get("blocks", []))]
    )


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@dataclass
class Okrs:
    """KR numbers by role, in TEAM."""

    off_track: int
    at_risk: int
    on_track: int
    no_checkin: int
    archived: int
    elsewhere: int  # an active KR of another channel's objective
    other_workspace: int  # a KR number that only exists in OTHER_TEAM


def _objective(session, workspace, title, *, cycle, owner=ALICE, channel=CHANNEL, status=Status.ACTIVE):
    objective = Objective(
        workspace_id=workspace.id,
        number=next_number(session, workspace.id, RefKind.OBJ),
        title=title,
        owner_id=owner,
        cycle=cycle,
        channel_id=channel,
        status=status,
        created_by=owner,
    )
    session.add(objective)
    session.flush()
    return objective


def _key_result(
    session,
    workspace,
    objective,
    title,
    *,
    owner=BOB,
    start=0.0,
    target=100.0,
    current=None,
    status=Status.ACTIVE,
    kind=KeyResultKind.METRIC,
    number=None,
    checked_in_at=None,
):
    kr = KeyResult(
        workspace_id=workspace.id,
        objective_id=objective.id,
        number=number or next_number(session, workspace.id, RefKind.KR),
        title=title,
        kind=kind,
        start_value=start,
        target_value=target,
        current_value=current,
        last_checkin_at=checked_in_at if current is not None else None,
        owner_id=owner,
        status=status,
    )
    session.add(kr)
    session.flush()
    return kr.number


def make_okrs(db, now: datetime) -> Okrs:
    """Objectives of last quarter (so expected progress is 100 % and pace is exact) and this one."""
    last_quarter, this_quarter = previous_quarter(now.date()), quarter(now.date())
    key_result = partial(_key_result, checked_in_at=now.replace(tzinfo=None))
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        growth = _objective(session, workspace, "Delight our customers", cycle=last_quarter)
        on_track = key_result(session, workspace, growth, "Cut churn to 2%", start=10, target=2, current=2.4)
        off_track = key_result(session, workspace, growth, "Reach 50 NPS", start=30, target=50, current=40)
        at_risk = key_result(
            session, workspace, growth, "Ship self-serve onboarding", current=80, owner=CAROL
        )
        no_checkin = key_result(session, workspace, growth, "Launch the referral programme")
        archived = key_result(session, workspace, growth, "Old metric", status=Status.ARCHIVED, current=10)
        support = _objective(
            session, workspace, "Fast support", cycle=this_quarter, channel=OTHER_CHANNEL, owner=CAROL
        )
        elsewhere = key_result(
            session, workspace, support, "First response under 6h", owner=CAROL, start=24, target=6
        )
        other = workspace_for(session, OTHER_TEAM)
        theirs = _objective(session, other, "Mallory's plan", cycle=this_quarter, owner=MALLORY)
        other_workspace = key_result(session, other, theirs, "Their KR", owner=MALLORY, number=99)
    return Okrs(off_track, at_risk, on_track, no_checkin, archived, elsewhere, other_workspace)


def the_sprint(db) -> Sprint:
    with db.session() as session:
        return session.scalars(select(Sprint).order_by(Sprint.id.desc())).first()


def links(db) -> dict[int, float | None]:
    with db.session() as session:
        rows = session.execute(
            select(KeyResult.number, SprintKeyResult.progress_at_end).join(
                KeyResult, KeyResult.id == SprintKeyResult.key_result_id
            )
        )
        return dict(rows.all())


def forge_submission(slack, emulator, callback_id: str, state: dict, *, user=ALICE, **changes):
    """A view_submission Slack's client would never send: the open view with `changes`, this state."""
    view = {**emulator.last_view(callback_id), **changes, "state": {"values": state}}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": emulator.team_domain(TEAM)},
        "user": {"id": user, "username": "u", "name": "u", "team_id": TEAM},
        "api_app_id": emulator.app_id,
        "token": "verification-token",
        "trigger_id": emulator.issue_trigger_id(TEAM, user),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
    }
    body = urlencode({"payload": json.dumps(payload)})
    return slack.raw(body, {"Content-Type": "application/x-www-form-urlencoded", **slack.sign(body)})


def _option(value: str) -> dict:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def typed(value: str) -> dict:
    return {"input": {"type": "plain_text_input", "value": value}}


def picked_date(day: date) -> dict:
    return {"input": {"type": "datepicker", "selected_date": day.isoformat()}}


def chosen(*values: str) -> dict:
    return {"input": {"type": "multi_static_select", "selected_options": [_option(v) for v in values]}}


def radio(value: str) -> dict:
    return {"input": {"type": "radio_buttons", "selected_option": _option(value)}}


# --- usage, DMs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "help", "frobnicate", "🚀" * 50, "x" * 10_000])
def test_any_text_gets_a_clear_ephemeral_answer_and_nothing_is_stored(slack, db, text):
    payload = answer(slack, text)
    assert payload["response_type"] == "ephemeral"
    assert "/sprint start" in payload["text"]
    assert count(db, Sprint) == 0


@pytest.mark.parametrize("text", ["", "start", "show", "goal Ship it", "link KR-1", "end", "help"])
def test_in_a_dm_sprints_are_sent_to_a_team_channel_and_nothing_is_stored(slack, db, emulator, text):
    payload = answer(slack, text, channel=DM, channel_name="directmessage")
    assert "Sprints live in a team channel; run /sprint in one." in payload["text"]
    assert count(db, Sprint) == 0 and count(db, Workspace) == 0
    assert emulator.calls_to("views.open") == []


# --- start ----------------------------------------------------------------------------------------


def test_start_opens_the_plan_modal_with_defaults_and_behind_pace_key_results_first(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.SPRINT_START)
    today = today_in_london(now)
    assert block(view, Block.SPRINT_NAME)["element"]["initial_value"] == "Sprint 1"
    assert block(view, Block.SPRINT_START)["element"]["initial_date"] == today.isoformat()
    assert block(view, Block.SPRINT_END)["element"]["initial_date"] == default_end(today).isoformat()
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL, "sprint": None}
    options = [o["text"]["text"] for o in block(view, Block.SPRINT_KEY_RESULTS)["element"]["options"]]
    assert options[0] == f"KR-{okrs.off_track} Reach 50 NPS (50%, off track)"
    assert options[1] == f"KR-{okrs.at_risk} Ship self-serve onboarding (80%, at risk)"
    assert set(options[2:]) == {
        f"KR-{okrs.on_track} Cut churn to 2% (95%, on track)",
        f"KR-{okrs.no_checkin} Launch the referral programme (no check-in yet)",
        f"KR-{okrs.elsewhere} First response under 6h (no check-in yet)",
    }
    assert not any(f"KR-{okrs.archived} " in o for o in options)


def test_start_creates_the_sprint_with_its_key_results_and_tells_the_team(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    values = {
        Block.SPRINT_GOAL: "Onboarding that explains itself",
        Block.SPRINT_KEY_RESULTS: [str(okrs.off_track), str(okrs.elsewhere)],
    }
    start_sprint(slack, emulator, values=values)
    sprint = the_sprint(db)
    today = today_in_london(now)
    assert (sprint.number, sprint.name, sprint.channel_id, sprint.created_by) == (
        1,
        "Sprint 1",
        CHANNEL,
        ALICE,
    )
    assert (sprint.starts_on, sprint.ends_on, sprint.status) == (today, default_end(today), Status.ACTIVE)
    assert sprint.goal == "Onboarding that explains itself"
    assert links(db) == {okrs.off_track: None, okrs.elsewhere: None}
    post = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == CHANNEL)[-1]
    assert "SPR-1" in post.args["text"] and "Onboarding that explains itself" in json.dumps(
        post.args["blocks"]
    )
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ALICE)[-1]
    assert "Started `SPR-1`" in dm.args["text"]
    slack.settle()  # the listener's last work (the starter's Home) ends inside the test


def test_start_with_no_key_results_anywhere_still_works_and_is_not_aligned(slack, emulator, db):
    slack.command("/sprint", "start Launch week", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.SPRINT_START)
    assert block(view, Block.SPRINT_NAME)["element"]["initial_value"] == "Launch week"
    assert not any(b.get("block_id") == Block.SPRINT_KEY_RESULTS for b in view["blocks"])
    assert slack.submit_view(view, {}, user_id=ALICE, team_id=TEAM).json() is None
    assert the_sprint(db).name == "Launch week"
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ALICE)[-1]
    assert "serves no key result" in dm.args["text"]
    slack.settle()  # the listener's last work (the starter's Home) ends inside the test


def _dates(start: date, end: date) -> dict:
    return {Block.SPRINT_START: start.isoformat(), Block.SPRINT_END: end.isoformat()}


D0 = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (_dates(D0, D0 - timedelta(days=1)), Block.SPRINT_END, "before the start"),
        (_dates(D0, D0), Block.SPRINT_END, "at least 1 day"),
        (_dates(D0, D0 + timedelta(days=29)), Block.SPRINT_END, "at most 4 weeks"),
        (_dates(D0, D0 + timedelta(days=90)), Block.SPRINT_END, "at most 4 weeks"),
        ({Block.SPRINT_NAME: "   "}, Block.SPRINT_NAME, "name"),
        ({Block.SPRINT_START: None}, Block.SPRINT_START, "starts"),
        ({Block.SPRINT_GOAL: "g" * 501}, Block.SPRINT_GOAL, "500"),
    ],
)
def test_plan_errors_go_under_the_exact_field_and_nothing_is_stored(
    slack, emulator, db, values, field, message
):
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.SPRINT_START)
    response = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM, validate=False)
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [field], body
    assert message in body["errors"][field]
    assert count(db, Sprint) == 0 and count(db, SprintKeyResult) == 0


@pytest.mark.parametrize("days", [1, 28])
def test_one_day_and_four_week_sprints_are_fine(slack, emulator, db, days):
    start_sprint(slack, emulator, values=_dates(D0, D0 + timedelta(days=days)))
    assert (the_sprint(db).ends_on - the_sprint(db).starts_on).days == days


def test_a_forged_key_result_from_elsewhere_is_refused_under_its_field(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    opened_view(emulator, Callback.SPRINT_START)
    for forged_value, message in ((okrs.other_workspace, "not found"), (okrs.archived, "no longer active")):
        state = {
            Block.SPRINT_NAME: typed("Sprint 1"),
            Block.SPRINT_START: picked_date(D0),
            Block.SPRINT_END: picked_date(D0 + timedelta(days=14)),
            Block.SPRINT_KEY_RESULTS: chosen(str(forged_value)),
        }
        response = forge_submission(slack, emulator, Callback.SPRINT_START, state)
        assert message in response.json()["errors"][Block.SPRINT_KEY_RESULTS]
    assert count(db, Sprint) == 0 and count(db, SprintKeyResult) == 0


def test_a_second_start_is_refused_before_the_modal_and_on_submit(slack, emulator, db):
    # Bob opens the form before Alice's sprint exists, and submits it after.
    slack.command("/sprint", "start", user_id=BOB, team_id=TEAM, channel_id=CHANNEL)
    bobs_form = opened_view(emulator, Callback.SPRINT_START)
    start_sprint(slack, emulator, user=ALICE)
    assert count(db, Sprint) == 1

    text = answer(slack, "start", user=CAROL)["text"]
    assert "already has an active sprint" in text and "SPR-2" not in text and "SPR-1" in text
    assert len(emulator.calls_to("views.open")) == 2  # no third modal

    # Submitting the stale form reaches the database's "one active sprint per channel" index.
    response = slack.submit_view(bobs_form, {Block.SPRINT_NAME: "Bob's sprint"}, user_id=BOB, team_id=TEAM)
    body = response.json()
    assert body["response_action"] == "errors"
    assert "already has an active sprint" in body["errors"][Block.SPRINT_NAME]
    assert count(db, Sprint) == 1
    # Another channel may have its own sprint at the same time.
    start_sprint(slack, emulator, user=BOB, channel=OTHER_CHANNEL)
    assert count(db, Sprint) == 2
    # The bot is not in that channel: the sprint is saved, and Bob is told how to let the team see it.
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == BOB)[-1]
    assert "Started `SPR-" in dm.args["text"] and "/invite @Northline" in dm.args["text"]


def test_the_plan_button_opens_the_modal_for_its_channel(slack, emulator):
    slack.action(Action.PLAN_SPRINT, CHANNEL, user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.SPRINT_START)
    assert json.loads(view["private_metadata"])["channel"] == CHANNEL


# --- goal, link, unlink ---------------------------------------------------------------------------


def test_goal_is_set_by_the_creator_an_admin_or_a_served_key_results_owner_only(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    start_sprint(slack, emulator, values={Block.SPRINT_KEY_RESULTS: [str(okrs.at_risk)]})  # Carol owns it
    assert "Goal of `SPR-1`" in answer(slack, "goal Ship the onboarding", user=ALICE)["text"]
    assert the_sprint(db).goal == "Ship the onboarding"

    refused = answer(slack, "goal Something else", user=BOB)["text"]
    assert "Only the sprint's creator" in refused
    assert the_sprint(db).goal == "Ship the onboarding"

    answer(slack, "goal Carol's goal", user=CAROL)
    assert the_sprint(db).goal == "Carol's goal"
    answer(slack, "goal Admin's goal", user=ADMIN)
    assert the_sprint(db).goal == "Admin's goal"


@pytest.mark.parametrize(("text", "expected"), [("goal", "Say the goal"), ("goal " + "g" * 501, "under 500")])
def test_an_empty_or_too_long_goal_is_explained_and_changes_nothing(slack, emulator, db, text, expected):
    start_sprint(slack, emulator, values={Block.SPRINT_GOAL: "Original"})
    assert expected in answer(slack, text)["text"]
    assert the_sprint(db).goal == "Original"


def test_commands_without_an_active_sprint_say_how_to_start_one(slack, db):
    for text in ("goal Ship it", "link KR-1", "unlink KR-1", "show", "end"):
        assert "no active sprint in this channel" in answer(slack, text)["text"], text
    assert count(db, Sprint) == 0


def test_link_and_unlink_key_results(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    start_sprint(slack, emulator)
    text = answer(slack, f"link kr-{okrs.on_track}")["text"]
    assert f"now serves `KR-{okrs.on_track}`" in text and "Aligned" in text
    answer(slack, f"link KR-{okrs.elsewhere}")
    assert set(links(db)) == {okrs.on_track, okrs.elsewhere}

    assert "already serves" in answer(slack, f"link KR-{okrs.on_track}")["text"]
    assert "archived" in answer(slack, f"link KR-{okrs.archived}")["text"]
    assert "not found" in answer(slack, f"link KR-{okrs.other_workspace}")["text"]
    assert "not found" in answer(slack, "link KR-12345")["text"]
    assert "KR-12" in answer(slack, "link OBJ-1")["text"]
    assert "Name one key result" in answer(slack, "link")["text"]
    assert set(links(db)) == {okrs.on_track, okrs.elsewhere}

    assert "no longer serves" in answer(slack, f"unlink KR-{okrs.on_track}")["text"]
    text = answer(slack, f"unlink KR-{okrs.elsewhere}")["text"]
    assert "Not aligned" in text
    assert "does not serve" in answer(slack, f"unlink KR-{okrs.elsewhere}")["text"]
    assert links(db) == {}


def test_linking_is_refused_to_people_who_may_not_change_the_sprint(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    start_sprint(slack, emulator)
    # Bob owns the key result but not the sprint: owning what you link does not make you an editor.
    assert "Only the sprint's creator" in answer(slack, f"link KR-{okrs.off_track}", user=BOB)["text"]
    assert links(db) == {}
    # Another workspace never sees this channel's sprint (whether or not the app serves it at all).
    text = answer(slack, f"link KR-{okrs.other_workspace}", user=MALLORY, team=OTHER_TEAM)["text"]
    assert "SPR-1" not in text and "now serves" not in text
    assert links(db) == {}


# --- show -----------------------------------------------------------------------------------------


def test_show_lists_goal_days_left_key_results_and_alignment(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    today = today_in_london(now)
    values = {
        **_dates(today - timedelta(days=4), today + timedelta(days=6)),
        Block.SPRINT_GOAL: "Onboarding <!channel> that explains itself",
        Block.SPRINT_KEY_RESULTS: [str(okrs.off_track), str(okrs.on_track)],
    }
    start_sprint(slack, emulator, values=values)
    payload = answer(slack, "show", user=BOB)
    text = answer_text(payload)
    assert "SPR-1" in text and "Onboarding" in text and "<!channel>" not in text
    # Days left count from the asker's own date: Bob's evening in New York is London's next day.
    assert f"{(today + timedelta(days=6) - now.astimezone(NEW_YORK).date()).days} days left" in text
    # Its days, the one range of bot/ui/dates.py: two of Slack's date tokens joined by an arrow.
    start, end = today - timedelta(days=4), today + timedelta(days=6)
    assert f"{people_range(start, end)} · " in text
    assert f"|{start:%a} {start.day} {start:%b}" in text and f"|{end:%a} {end.day} {end:%b %Y}> · " in text
    assert f"KR-{okrs.off_track}" in text and "▓▓▓▓▓░░░░░ 50%" in text and "off track" in text
    assert f"KR-{okrs.on_track}" in text and "95%" in text and "on track" in text
    assert "Aligned" in text
    assert "OBJ-1" in text


def test_show_says_when_a_sprint_is_not_aligned(slack, emulator, db):
    start_sprint(slack, emulator)
    assert "Not aligned" in answer_text(answer(slack, "show"))
    assert "SPR-1" not in answer_text(answer(slack, "show", team=OTHER_TEAM, user=MALLORY))


# --- end ------------------------------------------------------------------------------------------


def test_end_records_the_review_and_each_key_results_progress(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    start_sprint(
        slack, emulator, values={Block.SPRINT_KEY_RESULTS: [str(okrs.off_track), str(okrs.no_checkin)]}
    )
    view = open_review(slack, emulator)
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL, "sprint": the_sprint(db).id}
    assert f"KR-{okrs.off_track}" in json.dumps(view["blocks"])
    response = slack.submit_view(
        view, {Block.SPRINT_OUTCOME: "partly", Block.SPRINT_NOTE: "Scope grew"}, user_id=ALICE, team_id=TEAM
    )
    assert response.json() is None, response.text
    sprint = the_sprint(db)
    assert (sprint.status, sprint.outcome, sprint.review_note, sprint.ended_by) == (
        Status.CLOSED,
        SprintOutcome.PARTLY,
        "Scope grew",
        ALICE,
    )
    assert sprint.ended_at is not None
    assert links(db) == {okrs.off_track: 0.5, okrs.no_checkin: None}
    post = emulator.wait_for("chat.postMessage", where=lambda c: "ended" in (c.args.get("text") or ""))[-1]
    assert post.args["channel"] == CHANNEL and "partly" in post.args["text"]
    assert "no active sprint" in answer(slack, "show")["text"]
    # The next sprint is numbered on.
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    assert (
        block(opened_view(emulator, Callback.SPRINT_START, count=2), Block.SPRINT_NAME)["element"][
            "initial_value"
        ]
        == "Sprint 2"
    )


def test_the_review_needs_an_outcome(slack, emulator, db):
    start_sprint(slack, emulator)
    view = open_review(slack, emulator)
    response = slack.submit_view(view, {Block.SPRINT_NOTE: "x"}, user_id=ALICE, team_id=TEAM, validate=False)
    assert Block.SPRINT_OUTCOME in response.json()["errors"]
    assert the_sprint(db).status == Status.ACTIVE


def test_ending_is_refused_to_others_on_the_command_and_on_a_forged_submit(slack, emulator, db):
    start_sprint(slack, emulator)
    assert "Only the sprint's creator" in answer(slack, "end", user=BOB)["text"]
    view = open_review(slack, emulator)  # Alice's form, submitted by Bob
    response = slack.submit_view(view, {Block.SPRINT_OUTCOME: "met"}, user_id=BOB, team_id=TEAM)
    assert "Only the sprint's creator" in response.json()["errors"][Block.SPRINT_OUTCOME]
    assert the_sprint(db).status == Status.ACTIVE


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("not json", "out of date"),
        (json.dumps({"channel": CHANNEL}), "out of date"),
        (json.dumps({"channel": DM, "sprint": 1}), "out of date"),
        (json.dumps({"channel": OTHER_CHANNEL, "sprint": 1}), "not found"),
        (json.dumps({"channel": CHANNEL, "sprint": 999}), "not found"),
        ("other-workspace", "not found"),
    ],
)
def test_a_forged_review_form_is_rechecked(slack, emulator, db, metadata, message):
    start_sprint(slack, emulator)
    open_review(slack, emulator)
    if metadata == "other-workspace":  # a sprint id of another workspace, in the same channel id
        with db.session() as session:
            other = workspace_for(session, OTHER_TEAM)
            theirs = Sprint(
                workspace_id=other.id,
                number=1,
                channel_id=CHANNEL,
                name="Theirs",
                created_by=MALLORY,
                starts_on=D0,
                ends_on=D0 + timedelta(days=7),
            )
            session.add(theirs)
            session.flush()
            metadata = json.dumps({"channel": CHANNEL, "sprint": theirs.id})
    response = forge_submission(
        slack, emulator, Callback.SPRINT_END, {Block.SPRINT_OUTCOME: radio("met")}, private_metadata=metadata
    )
    assert message in response.json()["errors"][Block.SPRINT_OUTCOME]
    with db.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(Sprint).where(Sprint.status != Status.ACTIVE))
            == 0
        )


def test_a_second_submission_of_the_same_review_is_told_the_sprint_is_closed(slack, emulator, db):
    start_sprint(slack, emulator)
    view = open_review(slack, emulator)
    second = open_review(slack, emulator, count=2)
    assert slack.submit_view(view, {Block.SPRINT_OUTCOME: "met"}, user_id=ALICE, team_id=TEAM).json() is None
    response = slack.submit_view(second, {Block.SPRINT_OUTCOME: "missed"}, user_id=ALICE, team_id=TEAM)
    assert "already closed" in response.json()["errors"][Block.SPRINT_OUTCOME]
    assert the_sprint(db).outcome == SprintOutcome.MET


def test_two_people_ending_the_same_sprint_at_once_record_one_review(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    start_sprint(slack, emulator, values={Block.SPRINT_KEY_RESULTS: [str(okrs.at_risk)]})
    alices = open_review(slack, emulator, user=ALICE)
    carols = open_review(slack, emulator, user=CAROL, count=2)  # Carol owns the served key result
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def submit(user, view, outcome):
        barrier.wait()
        results[user] = slack.submit_view(view, {Block.SPRINT_OUTCOME: outcome}, user_id=user, team_id=TEAM)

    threads = [
        threading.Thread(target=submit, args=(ALICE, alices, "met")),
        threading.Thread(target=submit, args=(CAROL, carols, "missed")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    bodies = {user: response.json() for user, response in results.items()}
    winners = [user for user, body in bodies.items() if body is None]
    losers = [user for user, body in bodies.items() if body is not None]
    assert len(winners) == 1 and len(losers) == 1, bodies
    assert "already closed" in bodies[losers[0]]["errors"][Block.SPRINT_OUTCOME]
    sprint = the_sprint(db)
    assert sprint.status == Status.CLOSED and sprint.ended_by == winners[0]
    assert sprint.outcome == (SprintOutcome.MET if winners[0] == ALICE else SprintOutcome.MISSED)
    assert links(db) == {okrs.at_risk: 0.8}


def test_the_conditional_update_decides_when_the_other_review_lands_in_between(
    slack, emulator, db, monkeypatch
):
    """Deterministic version of the race: the other review commits after this one's checks, just
    before its UPDATE … WHERE status = 'active'."""
    from bot.services import sprints as service

    start_sprint(slack, emulator)
    view = open_review(slack, emulator)
    checked = service.require_editor

    def check_then_lose_the_race(session, workspace, actor_id, detail):
        checked(session, workspace, actor_id, detail)
        with db.session() as other:
            sprint = other.get(Sprint, detail.sprint.id)
            sprint.status, sprint.outcome, sprint.ended_by = Status.CLOSED, SprintOutcome.MET, ADMIN

    monkeypatch.setattr(service, "require_editor", check_then_lose_the_race)
    response = slack.submit_view(view, {Block.SPRINT_OUTCOME: "missed"}, user_id=ALICE, team_id=TEAM)
    error = response.json()["errors"][Block.SPRINT_OUTCOME]
    assert "already closed (ended by @" in error and "<@" not in error  # a modal error is plain text
    sprint = the_sprint(db)
    assert (sprint.outcome, sprint.ended_by) == (SprintOutcome.MET, ADMIN)


def test_the_review_button_opens_the_review_of_its_sprint(slack, emulator, db):
    start_sprint(slack, emulator)
    sprint = the_sprint(db)
    slack.action(
        Action.REVIEW_SPRINT, f"{CHANNEL}:{sprint.id}", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL
    )
    view = opened_view(emulator, Callback.SPRINT_END)
    assert json.loads(view["private_metadata"])["sprint"] == sprint.id


# --- repository: what Home, /okr show and the digest call -------------------------------------------


def test_current_sprint_loads_in_a_fixed_number_of_statements(slack, emulator, db, database_url, now):
    okrs = make_okrs(db, now)
    start_sprint(slack, emulator)
    quiet = Database.from_url(database_url)  # its own engine: the app's background work is not counted
    try:
        with quiet.session() as session:
            workspace = workspace_for(session, TEAM)
            with count_statements(quiet) as few:
                assert sprint_views.current_sprint(session, workspace.id, CHANNEL).links == []
        for number in (okrs.off_track, okrs.at_risk, okrs.on_track, okrs.no_checkin, okrs.elsewhere):
            answer(slack, f"link KR-{number}")
        with quiet.session() as session:
            workspace = workspace_for(session, TEAM)
            with count_statements(quiet) as many:
                detail = sprint_views.current_sprint(session, workspace.id, CHANNEL)
            assert len(detail.links) == 5 and detail.aligned
            assert {link.objective.title for link in detail.links} == {
                "Delight our customers",
                "Fast support",
            }
    finally:
        quiet.dispose()
    assert few.count == many.count == 2


def test_current_sprints_for_user_and_sprints_serving(slack, emulator, db, now):
    okrs = make_okrs(db, now)
    today = today_in_london(now)
    start_sprint(
        slack,
        emulator,
        values={
            **_dates(today, today + timedelta(days=10)),
            Block.SPRINT_GOAL: "Growth goal",
            Block.SPRINT_KEY_RESULTS: [str(okrs.off_track)],
        },
    )
    start_sprint(
        slack, emulator, user=ADMIN, channel="C0LONELY", values=_dates(today, today + timedelta(days=3))
    )
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        alices = sprint_views.current_sprints_for_user(
            session, workspace.id, ALICE, today
        )  # owns the objective
        bobs = sprint_views.current_sprints_for_user(session, workspace.id, BOB, today)  # owns a served KR
        admins = sprint_views.current_sprints_for_user(
            session, workspace.id, ADMIN, today
        )  # created the other one
        carols = sprint_views.current_sprints_for_user(
            session, workspace.id, CAROL, today
        )  # owns a KR of #growth
        mallorys = sprint_views.current_sprints_for_user(
            session, workspace_for(session, OTHER_TEAM).id, MALLORY, today
        )
        kr_id = session.scalar(select(KeyResult.id).where(KeyResult.number == okrs.off_track))
        other_id = session.scalar(select(KeyResult.id).where(KeyResult.number == okrs.on_track))
        serving = repo.sprints_serving(session, [kr_id, other_id])
        in_channels = sprint_views.current_sprints_in_channels(
            session, workspace.id, [CHANNEL, OTHER_CHANNEL], today
        )
    summary = alices[0]
    assert (
        summary.channel_id,
        summary.ref,
        summary.name,
        summary.goal,
        summary.aligned,
        summary.days_left,
    ) == (CHANNEL, "SPR-1", "Sprint 1", "Growth goal", True, 10)
    assert [s.ref for s in bobs] == ["SPR-1"] and [s.ref for s in carols] == ["SPR-1"]
    assert [(s.ref, s.aligned, s.days_left) for s in admins] == [("SPR-2", False, 3)]
    assert mallorys == []
    assert summary.key_results == (f"KR-{okrs.off_track}",) and summary.reference == "SPR-1"
    assert [s.ref for s in in_channels] == ["SPR-1"]
    assert [s.number for s in serving[kr_id]] == [1] and other_id not in serving
