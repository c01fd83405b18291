"""Following an objective one does not own: `/okr follow OBJ-n` (its week in the person's
reminder), `/okr follow OBJ-n #channel` (it joins that channel's digest), `/okr unfollow`, the
*Follow* button of `/okr show`, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.ids import Action, Block
from bot.jobs.digest import channel_digests
from bot.jobs.digest_refresh import refresh_digests
from bot.jobs.reminders import checkin_reminders
from storage.models import Follow, KeyResult, Objective
from tests.conftest import ADMIN, ALICE, BOB, CHANNEL, TEAM
from tests.factories import (
    answer,
    answer_text,
    channel_posts,
    clients,
    count,
    make_check_ins,
    make_objective_via_slack,
)

LEADERSHIP = "C0LEADERS"
LEADERSHIP_MENTION = f"<#{LEADERSHIP}|leadership>"
CREATED = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)  # the reminder, 10:00 in London
FRIDAY = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)  # the digest, Friday 16:00 (the workspace's UTC)


@pytest.fixture
def objectives(slack, emulator, db) -> dict:
    """OBJ-1 is Bob's (KR-1, 40 → 60), in #growth; OBJ-2 is Alice's (KR-2), in #growth too."""
    emulator.add_channel(LEADERSHIP, TEAM, name="leadership")
    with time_machine.travel(CREATED):
        make_objective_via_slack(slack, emulator, user=BOB, owner=BOB, title="Ship the mobile app")
        make_objective_via_slack(slack, emulator, user=ALICE, owner=ALICE, krs=(("Signups", "0", "100", ""),))
        slack.settle()  # the creators' App Home refreshes
    with db.session() as session:
        kr1 = session.scalar(select(KeyResult).where(KeyResult.number == 1))
        workspace_id, kr1_id = kr1.workspace_id, kr1.id
    # 45 on Friday 20 November, 50 on Friday 27: a quarter of the way a week ago, half now.
    make_check_ins(
        db,
        workspace_id,
        kr1_id,
        BOB,
        [(datetime(2026, 11, 20, 9), 45.0, ""), (datetime(2026, 11, 27, 9), 50.0, "")],
    )
    return {"workspace_id": workspace_id, "kr1": kr1_id}


def follows(db) -> list[tuple[str, str, int]]:
    with db.session() as session:
        rows = session.execute(
            select(Follow.kind, Follow.follower, Objective.number).join(
                Objective, Objective.id == Follow.objective_id
            )
        ).all()
    return sorted((str(kind), follower, number) for kind, follower, number in rows)


def follow(slack, text: str, user=ALICE, channel=CHANNEL) -> str:
    with time_machine.travel(MONDAY - timedelta(days=1)):
        return answer_text(answer(slack, "/okr", text, user_id=user, team_id=TEAM, channel_id=channel))


def reminder_to(emulator, user: str) -> dict:
    found = [
        c
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args["channel"] == user and "Weekly check-in" in str((c.args.get("blocks") or [{}])[0])
    ]
    assert len(found) == 1
    return found[0].args


# --- as a person ----------------------------------------------------------------------------------------


def test_a_person_gets_a_followed_objectives_week_in_their_reminder(slack, emulator, db, objectives):
    text = follow(slack, "follow OBJ-1")
    assert "You now follow `OBJ-1` Ship the mobile app" in text
    assert follows(db) == [("person", ALICE, 1)]

    checkin_reminders(db, clients(emulator), MONDAY)

    alice = reminder_to(emulator, ALICE)
    section = next(b for b in alice["blocks"] if "Objectives you follow" in b.get("text", {}).get("text", ""))
    assert section["text"]["text"] == (
        "*Objectives you follow*\n• `OBJ-1` Ship the mobile app: ▓▓▓▓▓░░░░░ 50% · +25 pts since last week"
    )
    assert alice["blocks"][-1]["type"] == "actions"  # the full form's button stays last
    assert emulator.violations == []


def test_a_click_in_the_reminder_keeps_the_followed_section(slack, emulator, db, objectives):
    follow(slack, "follow OBJ-1")
    with time_machine.travel(MONDAY):
        checkin_reminders(db, clients(emulator), MONDAY)
        dm = next(
            c
            for c in emulator.calls_to("chat.postMessage", ok=True)
            if c.args["channel"] == ALICE and "Objectives you follow" in str(c.args.get("blocks"))
        )
        with db.session() as session:
            kr2 = session.scalar(select(KeyResult.id).where(KeyResult.number == 2))
        response = slack.action(
            Action.REMINDER_VALUE,
            "10",
            block_id=Block.REMINDER_VALUE.of(id=kr2),
            message={"ts": dm.response["ts"]},
            channel_id=dm.response["channel"],
            user_id=ALICE,
            team_id=TEAM,
        )
        assert response.status == 200, response.text
        slack.settle()
    said = [c.args.get("text") for c in emulator.response_url_posts(slack.response_url)]
    assert len(emulator.calls_to("chat.update", ok=True)) == 1, (said, emulator.calls_to("chat.update"))
    shown = emulator.message(dm.response["channel"], dm.response["ts"])
    texts = [b.get("text", {}).get("text", "") for b in shown["blocks"]]
    assert (
        texts.count(
            "*Objectives you follow*\n• `OBJ-1` Ship the mobile app: ▓▓▓▓▓░░░░░ 50% · +25 pts since last week"
        )
        == 1
    )
    assert shown["blocks"][-1]["type"] != "actions" or "Check in" in str(shown["blocks"][-1])
    assert emulator.violations == []


def test_following_twice_changes_nothing_and_unfollow_stops_it(slack, emulator, db, objectives):
    follow(slack, "follow OBJ-1")
    assert "You already follow `OBJ-1`" in follow(slack, "follow OBJ-1")
    assert follows(db) == [("person", ALICE, 1)]

    assert "You no longer follow `OBJ-1`" in follow(slack, "unfollow OBJ-1")
    assert follows(db) == []
    assert "nothing changed" in follow(slack, "unfollow OBJ-1")

    checkin_reminders(db, clients(emulator), MONDAY)
    assert "Objectives you follow" not in str(reminder_to(emulator, ALICE))


def test_the_follow_button_on_show(slack, emulator, db, objectives):
    shown = answer(slack, "/okr", "show OBJ-1", user_id=ALICE, team_id=TEAM)
    buttons = [e for b in shown["blocks"] if b["type"] == "actions" for e in b["elements"]]
    follow = [b for b in buttons if "follow" in b["action_id"]]  # beside Check in, Edit, …
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in follow] == [
        ("Follow", Action.FOLLOW_OBJECTIVE.value, "OBJ-1")
    ]
    slack.action(
        Action.FOLLOW_OBJECTIVE,
        message={"blocks": shown["blocks"]},
        ephemeral=True,
        channel_id=CHANNEL,
        user_id=ALICE,
        team_id=TEAM,
    )
    assert "You now follow `OBJ-1`" in answer_text(slack.wait_for_response_url())
    assert follows(db) == [("person", ALICE, 1)]
    # Shown again, it offers to stop.
    shown = answer(slack, "/okr", "show OBJ-1", user_id=ALICE, team_id=TEAM)
    buttons = [e for b in shown["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["action_id"]) for b in buttons if "follow" in b["action_id"]] == [
        ("Unfollow", Action.UNFOLLOW_OBJECTIVE.value)
    ]
    assert emulator.violations == []


# --- as a channel -------------------------------------------------------------------------------------


def test_a_channel_follows_from_inside_it_and_the_objective_joins_its_digest(slack, emulator, db, objectives):
    text = follow(slack, f"follow OBJ-1 {LEADERSHIP_MENTION}", channel=LEADERSHIP)
    assert f"<#{LEADERSHIP}> now follows `OBJ-1` Ship the mobile app" in text
    assert follows(db) == [("channel", LEADERSHIP, 1)]

    channel_digests(db, clients(emulator), FRIDAY)

    leadership = channel_posts(emulator, LEADERSHIP)
    assert leadership, "the following channel gets a digest"
    parent = str(leadership[0].args["blocks"])
    assert "`OBJ-1` Ship the mobile app" in parent and "OBJ-2" not in parent
    growth = str(channel_posts(emulator, CHANNEL)[0].args["blocks"])
    assert "OBJ-1" in growth and "OBJ-2" in growth  # its own channel's digest is as before
    assert emulator.violations == []

    # A later check-in on it keeps the following channel's digest true as well.
    with time_machine.travel(FRIDAY + timedelta(minutes=10)):
        answer(slack, "/okr", "checkin KR-1 55", user_id=BOB, team_id=TEAM)
        slack.settle()
    refresh_digests(db, clients(emulator), FRIDAY + timedelta(minutes=11))
    updated = {u.args["channel"] for u in emulator.calls_to("chat.update", ok=True)}
    assert updated == {CHANNEL, LEADERSHIP}


def test_a_following_channel_northline_is_not_in_tells_who_added_it(slack, emulator, db, objectives):
    emulator.update_channel(LEADERSHIP, is_member=False)
    follow(slack, f"follow OBJ-1 {LEADERSHIP_MENTION}", channel=LEADERSHIP)
    before = len(emulator.calls_to("chat.postMessage", ok=True))

    channel_digests(db, clients(emulator), FRIDAY)

    told = [
        c.args["channel"]
        for c in emulator.calls_to("chat.postMessage", ok=True)[before:]
        if LEADERSHIP in c.args.get("text", "")
    ]
    assert told == [ALICE]  # who added it, not OBJ-1's owner (Bob), who never chose that channel


def test_an_admin_may_add_it_to_a_channel_from_anywhere(slack, emulator, db, objectives):
    text = follow(slack, f"follow OBJ-1 {LEADERSHIP_MENTION}", user=ADMIN, channel=CHANNEL)
    assert f"<#{LEADERSHIP}> now follows `OBJ-1`" in text
    assert follows(db) == [("channel", LEADERSHIP, 1)]
    assert f"<#{LEADERSHIP}> no longer follows `OBJ-1`" in follow(
        slack, f"unfollow OBJ-1 {LEADERSHIP_MENTION}", user=ADMIN, channel=CHANNEL
    )
    assert follows(db) == []


# --- refusals ------------------------------------------------------------------------------------------


def test_someone_outside_the_channel_cannot_add_to_its_digest(slack, emulator, db, objectives):
    text = follow(slack, f"follow OBJ-1 {LEADERSHIP_MENTION}", user=BOB, channel=CHANNEL)
    assert f"Only someone who can post in <#{LEADERSHIP}> decides what its digest shows" in text
    assert follows(db) == []
    follow(slack, f"follow OBJ-1 {LEADERSHIP_MENTION}", channel=LEADERSHIP)
    text = follow(slack, f"unfollow OBJ-1 {LEADERSHIP_MENTION}", user=BOB, channel=CHANNEL)
    assert "Only someone who can post in" in text
    assert follows(db) == [("channel", LEADERSHIP, 1)]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("follow", "Follow one objective, like `/okr follow OBJ-3`"),
        ("follow KR-1", "`/okr show OBJ-3`"),
        ("follow OBJ-99", "OBJ-99 was not found in this workspace."),
        ("follow OBJ-1 leadership", "Name the channel with #, like `/okr follow OBJ-1 #leadership`."),
        ("follow OBJ-1 <#C0LEADERS|leadership> now", "Follow one objective"),
        ("follow OBJ-1 <@U0BOB>", "Name the channel with #"),
        ("unfollow", "like `/okr unfollow OBJ-3`"),
        (
            "follow OBJ-2 <#C0GROWTH|growth>",
            "OBJ-2 belongs to <#C0GROWTH>: it is in that channel's digest already.",
        ),
    ],
)
def test_bad_references_get_help_and_write_nothing(slack, emulator, db, objectives, text, said):
    before = count(db, Follow)
    assert said in follow(slack, text)
    assert count(db, Follow) == before == 0


def test_a_closed_objective_cannot_be_followed(slack, emulator, db, objectives):
    with db.session() as session:
        session.scalar(select(Objective).where(Objective.number == 1)).status = "closed"
    assert "OBJ-1 is closed: only an active objective can be followed." in follow(slack, "follow OBJ-1")
    assert follows(db) == []


def test_an_objective_of_another_workspace_cannot_be_followed(slack, emulator, db, objectives):
    from tests.conftest import MALLORY, OTHER_TEAM

    with time_machine.travel(MONDAY):
        text = answer_text(answer(slack, "/okr", "follow OBJ-1", user_id=MALLORY, team_id=OTHER_TEAM))
    assert "OBJ-1 was not found in this workspace." in text
    assert follows(db) == []
