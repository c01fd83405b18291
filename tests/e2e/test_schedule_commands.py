"""`/okr schedule`, `/sprint schedule`, `/okr pause`, `/okr resume`, `/okr digest` end to end:
signed requests into the real app, a real database, the Slack emulator."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.listeners import schedule as schedule_listeners
from storage.models import Member, Schedule, ScheduleKind
from tests.conftest import ADMIN, ALICE, BOB, CHANNEL, TEAM


@pytest.fixture(autouse=True)
def _subcommands():
    # What bot/listeners/__init__.py's `schedule.register(app)` does: add the subcommands.
    schedule_listeners.register(None)


def answer(slack, text: str, command: str = "/okr", user_id: str = ALICE, channel_id: str = CHANNEL) -> dict:
    response = slack.command(command, text, user_id=user_id, team_id=TEAM, channel_id=channel_id)
    assert response.status == 200, response.text
    return slack.wait_for_response_url()


def shown(payload: dict) -> str:
    return payload.get("text", "") + "\n" + json.dumps(payload.get("blocks", []), ensure_ascii=False)


def steward(db, user_id: str, channel: str = CHANNEL) -> int:
    """Make `user_id` an owner of an objective of `channel`: one who may change its schedules."""
    from bot.services.workspaces import workspace_for
    from tests.factories import make_objective

    with db.session() as session:
        workspace_id = workspace_for(session, TEAM).id
    return make_objective(db, workspace_id, user_id, channel=channel)


def schedules(db) -> list[Schedule]:
    with db.session() as session:
        return list(session.scalars(select(Schedule).order_by(Schedule.id)))


@pytest.mark.parametrize(
    "text",
    [
        "schedule digest funday 25:00",
        "schedule digest fri 25:00",
        "schedule digest funday 16:00",
        "schedule digest fri",
        "schedule checkin mon 9",
        "schedule digest fri 16:00 extra",
        "schedule weekly",
        "schedule " + "x" * 5000,
    ],
)
def test_bad_schedules_get_usage_and_change_nothing(slack, db, emulator, text):
    payload = answer(slack, text)
    assert payload["response_type"] == "ephemeral"
    assert "/okr schedule digest fri 16:00" in shown(payload)
    assert schedules(db) == []
    assert emulator.violations == []


def test_funday_names_what_was_wrong(slack):
    text = shown(answer(slack, "schedule digest funday 25:00"))
    assert "funday" in text and "25:00" in text


def test_set_the_digest_in_the_callers_time_zone_and_show_both_times(slack, db):
    steward(db, BOB)
    payload = answer(slack, "schedule digest FRIDAY 16:00", user_id=BOB)  # Bob is in New York
    [row] = schedules(db)
    assert (
        row.kind,
        row.channel_id,
        row.weekday,
        row.time_of_day,
        row.timezone,
        row.set_by,
        row.enabled,
    ) == (
        ScheduleKind.DIGEST,
        CHANNEL,
        5,
        "16:00",
        "America/New_York",
        BOB,
        True,
    )
    assert "Fridays at 16:00 (America/New_York)" in shown(payload)
    # Alice, in London, sees the channel's time and her own.
    payload = answer(slack, "schedule", user_id=ALICE)
    text = shown(payload)
    assert "16:00 (America/New_York)" in text and "21:00 your time (Europe/London)" in text
    assert "Check-in reminders" in text and "Mondays at 10:00" in text


def test_off_switches_this_channels_digest_off_and_back_on(slack, db):
    steward(db, ALICE)
    answer(slack, "schedule digest mon 09:00")
    payload = answer(slack, "schedule off")
    [row] = schedules(db)
    assert row.enabled is False
    assert "off" in shown(payload)
    answer(slack, "schedule digest tue 10:30")
    [row] = schedules(db)
    assert (row.enabled, row.weekday, row.time_of_day, row.paused_reason) == (True, 2, "10:30", "")


def test_off_on_the_default_schedule_records_it_off(slack, db):
    steward(db, ALICE)
    answer(slack, "schedule off")
    [row] = schedules(db)
    assert (row.enabled, row.weekday, row.time_of_day) == (False, 5, "16:00")


def test_checkin_time_for_the_workspace(slack, db):
    payload = answer(slack, "schedule checkin tue 09:30", user_id=ADMIN)
    [row] = schedules(db)
    assert (row.kind, row.channel_id, row.weekday, row.time_of_day) == (ScheduleKind.CHECKIN, "", 2, "09:30")
    assert "Tuesdays at 09:30, in each owner's own time zone" in shown(payload)
    answer(slack, "schedule checkin off", user_id=ADMIN)
    [row] = schedules(db)
    assert row.enabled is False


def test_digest_schedule_needs_a_channel(slack, db, emulator):
    dm = emulator.dm_channel_id(TEAM, ALICE)
    payload = answer(slack, "schedule digest fri 16:00", channel_id=dm)
    assert "channel" in payload["text"]
    assert schedules(db) == []


def test_sprint_schedule(slack, db):
    steward(db, ALICE)
    payload = answer(slack, "schedule 2 fri 10:00", command="/sprint")
    [row] = schedules(db)
    assert (row.kind, row.channel_id, row.length_weeks, row.weekday, row.time_of_day, row.timezone) == (
        ScheduleKind.SPRINT,
        CHANNEL,
        2,
        5,
        "10:00",
        "Europe/London",
    )
    assert "2-week sprints" in shown(payload) and "Next:" in shown(payload)
    answer(slack, "schedule off", command="/sprint")
    assert schedules(db)[0].enabled is False


@pytest.mark.parametrize(
    "text",
    [
        "schedule 9 fri 10:00",
        "schedule 0 fri 10:00",
        "schedule two fri 10:00",
        "schedule 2 funday 10:00",
        "schedule 2 fri 25:00",
        "schedule 2",
    ],
)
def test_bad_sprint_schedules_get_usage(slack, db, text):
    payload = answer(slack, text, command="/sprint")
    assert "/sprint schedule" in shown(payload)
    assert schedules(db) == []


def _paused_until(db, user_id):
    with db.session() as session:
        return session.scalar(select(Member.paused_until).where(Member.user_id == user_id))


def test_pause_and_resume(slack, db):
    payload = answer(slack, "pause until 2099-01-15")
    # The day as Slack's date token, each reader's Slack writing it in their own locale.
    assert "up to and including <!date^" in payload["text"] and "|Thu 15 Jan 2099>." in payload["text"]
    assert _paused_until(db, ALICE) == date(2099, 1, 15)
    schedule = answer(slack, "schedule")
    [footer] = [b["elements"][0]["text"] for b in schedule["blocks"] if b["type"] == "context"]
    assert footer.startswith("Your own reminders are paused until <!date^") and "|Thu 15 Jan 2099>" in footer
    assert "paused until Thu 15 Jan 2099." in schedule["text"]  # the notification's text: plain
    answer(slack, "resume")
    assert _paused_until(db, ALICE) is None
    payload = answer(slack, "pause")
    assert "/okr resume" in payload["text"]
    assert _paused_until(db, ALICE) == date(9999, 12, 31)
    assert "paused" in shown(answer(slack, "schedule"))


@pytest.mark.parametrize(
    "text", ["pause until yesterday", "pause until 2099-02-30", "pause 2099-01-01 2099-01-02", "pause until"]
)
def test_bad_pauses_change_nothing(slack, db, text):
    payload = answer(slack, text)
    assert "/okr pause" in payload["text"] or "date" in payload["text"]
    assert _paused_until(db, ALICE) is None


def test_pause_in_the_past_is_refused(slack, db):
    payload = answer(slack, "pause until 2020-01-01")
    assert "Wed 1 Jan 2020 has already passed" in payload["text"]
    assert _paused_until(db, ALICE) is None


def test_paused_people_get_no_reminder(slack, db, emulator):
    from datetime import UTC, datetime

    from bot.jobs.reminders import checkin_reminders
    from storage.models import Workspace
    from tests.factories import clients, make_key_result, make_objective

    answer(slack, "pause until 2099-01-15", user_id=BOB)
    with db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM))
    objective = make_objective(db, workspace_id, ALICE)
    make_key_result(db, workspace_id, objective, ALICE)
    make_key_result(db, workspace_id, objective, BOB)
    emulator.clear()
    # Monday 15:05 UTC: 10:05 for Bob in New York (paused), 15:05 for Alice in London (5 h late: sent).
    checkin_reminders(db, clients(emulator), datetime(2026, 11, 30, 15, 5, tzinfo=UTC))
    assert [c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True)] == [ALICE]


def test_okr_digest_posts_now(slack, db, emulator):
    from storage.models import Workspace
    from tests.factories import make_key_result, make_objective

    payload = answer(slack, "digest")
    assert "no active objectives" in payload["text"]
    assert "already went out" not in payload["text"]
    with db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM))
    objective = make_objective(db, workspace_id, ALICE, channel=CHANNEL)
    make_key_result(db, workspace_id, objective, ALICE)
    payload = answer(slack, "digest")
    assert "Posted" in payload["text"]
    posts = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CHANNEL]
    assert len(posts) == 2  # the parent, which leads with the week's changes, and the details
    assert posts[0].args["text"].startswith("Weekly digest: 1 objective, 0 key results moved, 0 at risk.")
    assert posts[1].args["thread_ts"] == posts[0].response["ts"]
    assert emulator.violations == []


def test_help_lists_the_new_subcommands(slack):
    text = shown(answer(slack, "help all"))
    assert "/okr schedule" in text and "/okr pause" in text


def test_nothing_is_stored_for_usage_errors(slack, db):
    answer(slack, "schedule digest funday 25:00")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Schedule)) == 0


def test_the_reminders_check_in_button_opens_the_check_in_modal(slack, db, emulator):
    from datetime import UTC, datetime

    from bot.ids import Action, Callback
    from bot.jobs.reminders import checkin_reminders
    from storage.models import Workspace
    from tests.factories import clients, make_key_result, make_objective

    answer(slack, "schedule")  # the workspace row, as a first request creates it
    with db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM))
    objective = make_objective(db, workspace_id, ALICE)
    make_key_result(db, workspace_id, objective, ALICE)
    checkin_reminders(db, clients(emulator), datetime(2026, 11, 30, 10, 5, tzinfo=UTC))
    [dm] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ALICE]
    response = slack.action(
        Action.OPEN_CHECKIN,
        user_id=ALICE,
        team_id=TEAM,
        message=dm.response["message"] | {"ts": dm.response["ts"]},
        channel_id=dm.response["channel"],
    )
    assert response.status == 200
    [opened] = emulator.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == Callback.CHECKIN
