"""The team's calendar (issue 16) end to end: `/okr settings` (the modal, its errors under the
exact field, the read-only view for non-admins), who may change schedules and how a change is
announced, `/okr digest` asking before a second digest in a week, `/sprint schedule` showing the
cadence and the active sprint apart. Signed requests, a real database, the emulator."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.ids import Block, Callback
from bot.listeners import calendar as calendar_listeners
from bot.listeners import schedule as schedule_listeners
from bot.services.workspaces import workspace_for
from storage.models import Delivery, Member, Schedule, ScheduleKind, Sprint, Status, Workspace
from tests.conftest import ADMIN, ALICE, BOB, CAROL, CHANNEL, TEAM
from tests.factories import make_key_result, make_objective, opened_view

ADMIN2 = "U0ADMIN2"


@pytest.fixture(autouse=True)
def _subcommands():
    schedule_listeners.register(None)
    calendar_listeners.register(None)


def answer(slack, text: str, command: str = "/okr", user_id: str = ALICE, channel_id: str = CHANNEL) -> dict:
    response = slack.command(command, text, user_id=user_id, team_id=TEAM, channel_id=channel_id)
    assert response.status == 200, response.text
    return slack.wait_for_response_url()


def shown(payload: dict) -> str:
    return payload.get("text", "") + "\n" + json.dumps(payload.get("blocks", []), ensure_ascii=False)


def workspace_id(db, team_id: str = TEAM) -> int:
    with db.session() as session:
        return workspace_for(session, team_id).id


def workspace_row(db, team_id: str = TEAM) -> Workspace:
    with db.session() as session:
        row = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
        session.expunge(row)
        return row


def schedules(db) -> list[Schedule]:
    with db.session() as session:
        return list(session.scalars(select(Schedule).order_by(Schedule.id)))


def dms_to(emulator, user_id: str) -> list[str]:
    return [
        c.args.get("text", "")
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args["channel"] == user_id
    ]


def open_settings(slack, emulator, user_id: str, count: int = 1) -> dict:
    response = slack.command("/okr", "settings", user_id=user_id, team_id=TEAM, channel_id=CHANNEL)
    assert response.status == 200
    return opened_view(emulator, Callback.SETTINGS, count)


def zone(value: str, label: str) -> dict:
    """The time zone picker's selected_option as Slack sends it (its options come from the app)."""
    return {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": value}


GOOD = {
    Block.SET_TIMEZONE: zone("Pacific/Auckland", "Auckland (Pacific/Auckland)"),
    Block.SET_WORK_DAYS: ["7", "1", "2", "3", "4"],
    Block.SET_HOLIDAY_COUNTRY: "nz",
    Block.SET_HOLIDAY_REGION: "auk",
    Block.SET_FISCAL_MONTH: "4",
    Block.SET_CHECKIN_DAY: "2",
    Block.SET_CHECKIN_TIME: "09:30",
    Block.SET_DIGEST_DAY: "4",
    Block.SET_DIGEST_TIME: "15:00",
}


# --- /okr settings ------------------------------------------------------------------------------


def test_an_admin_sets_the_calendar_and_the_other_admins_are_told(slack, emulator, db):
    emulator.add_user(ADMIN2, TEAM, name="ada2", real_name="Ada Two", is_admin=True)
    open_settings(slack, emulator, ADMIN2)  # Ada Two is now a known admin
    view = open_settings(slack, emulator, ADMIN, count=2)
    assert view.get("submit"), "an admin gets a form to save"
    emulator.clear()
    response = slack.submit_view(view, GOOD, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    row = workspace_row(db)
    assert (row.timezone, row.work_days, row.holiday_country, row.holiday_subdivision) == (
        "Pacific/Auckland",
        "1,2,3,4,7",
        "NZ",
        "AUK",
    )
    assert (row.fiscal_year_start_month, row.digest_weekday, row.digest_time) == (4, 4, "15:00")
    [checkin] = schedules(db)
    assert (checkin.kind, checkin.weekday, checkin.time_of_day, checkin.enabled, checkin.set_by) == (
        ScheduleKind.CHECKIN,
        2,
        "09:30",
        True,
        ADMIN,
    )
    emulator.wait_for("chat.postMessage", count=2)
    [mine] = dms_to(emulator, ADMIN)
    assert "Time zone: UTC → Pacific/Auckland" in mine
    [told] = dms_to(emulator, ADMIN2)
    assert f"<@{ADMIN}> changed the workspace's settings" in told and "Pacific/Auckland" in told
    assert "Q1 = Apr–Jun" in told
    assert emulator.violations == []


def test_a_member_sees_the_settings_read_only(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)  # the admin is known
    view = open_settings(slack, emulator, ALICE, count=2)
    assert "submit" not in view
    text = json.dumps(view["blocks"])
    assert "Time zone" in text and "UTC" in text and "Mon, Tue, Wed, Thu, Fri" in text
    assert f"<@{ADMIN}>" in text and "Only workspace admins" in text
    assert not any(block["type"] == "input" for block in view["blocks"])


def test_a_member_forging_a_submission_is_refused_and_nothing_changes(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)
    response = slack.submit_forged_view(view, GOOD, user_id=BOB)
    body = response.json()
    assert body["response_action"] == "errors"
    assert "Only a workspace admin" in json.dumps(body["errors"])
    row = workspace_row(db)
    assert (row.timezone, row.work_days, row.holiday_country, row.fiscal_year_start_month) == (
        "UTC",
        "1,2,3,4,5",
        None,
        1,
    )
    assert schedules(db) == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({Block.SET_TIMEZONE: zone("Mars/Olympus_Mons", "Mars")}, Block.SET_TIMEZONE, "is not a time zone"),
        ({Block.SET_TIMEZONE: zone("<!channel>", "x")}, Block.SET_TIMEZONE, "is not a time zone"),
        ({Block.SET_WORK_DAYS: []}, Block.SET_WORK_DAYS, "at least one work day"),
        ({Block.SET_HOLIDAY_COUNTRY: "XX"}, Block.SET_HOLIDAY_COUNTRY, "not a country"),
        (
            {Block.SET_HOLIDAY_COUNTRY: "GB", Block.SET_HOLIDAY_REGION: "CA"},
            Block.SET_HOLIDAY_REGION,
            "England",
        ),
        (
            {Block.SET_HOLIDAY_COUNTRY: "", Block.SET_HOLIDAY_REGION: "ENG"},
            Block.SET_HOLIDAY_REGION,
            "country",
        ),
        ({Block.SET_CHECKIN_TIME: "25:00"}, Block.SET_CHECKIN_TIME, "is not a time"),
        ({Block.SET_DIGEST_TIME: "4pm"}, Block.SET_DIGEST_TIME, "is not a time"),
    ],
)
def test_settings_errors_go_under_the_exact_field_and_nothing_changes(
    slack, emulator, db, values, field, message
):
    view = open_settings(slack, emulator, ADMIN)
    response = slack.submit_view(view, {**GOOD, **values}, user_id=ADMIN, team_id=TEAM, validate=False)
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [field], body
    assert message in body["errors"][field]
    row = workspace_row(db)
    assert (row.timezone, row.work_days, row.holiday_country, row.holiday_subdivision) == (
        "UTC",
        "1,2,3,4,5",
        None,
        None,
    )
    assert schedules(db) == []


def test_settings_takes_no_words(slack, db):
    assert "takes nothing" in answer(slack, "settings now")["text"]


def test_settings_of_one_workspace_never_reach_another(slack, emulator, db):
    other = "T0OTHER"
    with db.session() as session:
        workspace_for(session, other)
    view = open_settings(slack, emulator, ADMIN)
    slack.submit_view(view, GOOD, user_id=ADMIN, team_id=TEAM)
    row = workspace_row(db, other)
    assert (
        row.timezone,
        row.work_days,
        row.holiday_country,
        row.fiscal_year_start_month,
        row.digest_weekday,
    ) == (
        "UTC",
        "1,2,3,4,5",
        None,
        1,
        5,
    )
    with db.session() as session:
        assert [s.workspace_id for s in session.scalars(select(Schedule))] == [workspace_id(db)]


# --- who may change schedules ---------------------------------------------------------------------


def test_a_member_cannot_switch_off_everyones_reminders(slack, emulator, db):
    open_settings(slack, emulator, ADMIN)  # a known admin
    payload = answer(slack, "schedule checkin off", user_id=BOB)
    assert "Only a workspace admin" in payload["text"] and f"<@{ADMIN}>" in payload["text"]
    assert schedules(db) == []
    payload = answer(slack, "schedule checkin tue 09:00", user_id=BOB)
    assert "Only a workspace admin" in payload["text"]
    assert schedules(db) == []


def test_an_admin_switching_reminders_off_tells_the_other_admins(slack, emulator, db):
    emulator.add_user(ADMIN2, TEAM, name="ada2", real_name="Ada Two", is_admin=True)
    open_settings(slack, emulator, ADMIN2)
    emulator.clear()
    answer(slack, "schedule checkin off", user_id=ADMIN)
    [row] = schedules(db)
    assert row.enabled is False
    emulator.wait_for("chat.postMessage")
    [told] = dms_to(emulator, ADMIN2)
    assert f"<@{ADMIN}> switched off everyone's weekly check-in reminders" in told


def test_a_channels_digest_is_for_its_objective_owners_and_sprint_starters(slack, emulator, db):
    ws = workspace_id(db)
    make_objective(db, ws, ALICE, channel=CHANNEL)
    payload = answer(slack, "schedule digest mon 09:00", user_id=CAROL)
    assert "objectives" in payload["text"] and "nothing was changed" in payload["text"]
    assert schedules(db) == []
    emulator.clear()
    answer(slack, "schedule digest mon 09:00", user_id=ALICE)
    [row] = schedules(db)
    assert (row.weekday, row.time_of_day, row.set_by) == (1, "09:00", ALICE)
    [announced] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CHANNEL]
    assert (
        f"<@{ALICE}> set this channel's weekly digest to Mondays at 09:00 (Europe/London)"
        in announced.args["text"]
    )
    # Someone who started a sprint in the channel may set its cadence; announced there too.
    with db.session() as session:
        session.add(
            Sprint(
                workspace_id=ws,
                number=1,
                channel_id=CHANNEL,
                name="S1",
                goal="",
                starts_on=date(2026, 11, 30),
                ends_on=date(2026, 12, 11),
                status=Status.ACTIVE,
                created_by=CAROL,
            )
        )
    emulator.clear()
    answer(slack, "schedule 2 fri 10:00", command="/sprint", user_id=CAROL)
    assert [s.kind for s in schedules(db)] == [ScheduleKind.DIGEST, ScheduleKind.SPRINT]
    [announced] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CHANNEL]
    assert f"<@{CAROL}>" in announced.args["text"] and "2-week sprints" in announced.args["text"]
    # Bob is none of those, and no admin: refused.
    payload = answer(slack, "schedule off", command="/sprint", user_id=BOB)
    assert "sprint cadence" in payload["text"] and "nothing was changed" in payload["text"]
    assert all(s.enabled for s in schedules(db))
    # An admin may.
    answer(slack, "schedule off", command="/sprint", user_id=ADMIN)
    assert [s.enabled for s in schedules(db)] == [True, False]


def test_sprint_schedule_shows_the_cadence_and_the_active_sprint_apart(slack, db):
    ws = workspace_id(db)
    with db.session() as session:
        # Today's date is whatever the wall clock says; the sprint runs well into the future.
        session.add(
            Sprint(
                workspace_id=ws,
                number=4,
                channel_id=CHANNEL,
                name="S4",
                goal="",
                starts_on=date(2026, 1, 5),
                ends_on=date(2099, 12, 13),
                status=Status.ACTIVE,
                created_by=ALICE,
            )
        )
    payload = answer(slack, "schedule 2 fri 10:00", command="/sprint", user_id=ALICE)
    sections = [block["text"]["text"] for block in payload["blocks"] if block["type"] == "section"]
    [cadence] = [s for s in sections if "2-week sprints" in s]
    [active] = [s for s in sections if "Active sprint `SPR-4`" in s]
    # The cadence's next prompt is a Friday of the cadence, not the active sprint's end...
    assert "every 2 weeks on Friday" in cadence and "2099" not in cadence
    assert re.search(r"Next: <!date\^\d+\^\{date_short_pretty\}\|Fri \d+ \w+ \d{4}> at 10:00", cadence)
    # ...which is shown on its own: it ends on a Sunday, so its prompt comes the Friday before.
    assert "ends <!date^4100846400^{date_short_pretty}|Sun 13 Dec 2099>;" in active
    assert "Next: <!date^4100673600^{date_short_pretty}|Fri 11 Dec 2099> at 10:00" in active


# --- /okr digest twice in a week -------------------------------------------------------------------


def test_a_second_digest_in_a_week_asks_first_and_says_when_the_last_went(slack, emulator, db):
    ws = workspace_id(db)
    objective = make_objective(db, ws, ALICE, channel=CHANNEL)
    make_key_result(db, ws, objective, ALICE)
    assert "Posted" in answer(slack, "digest")["text"]
    emulator.clear()
    payload = answer(slack, "digest")
    assert "already went out this week" in payload["text"] and "/okr digest again" in payload["text"]
    assert [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL] == []
    assert "Posted" in answer(slack, "digest again")["text"]
    with db.session() as session:
        assert len(list(session.scalars(select(Delivery).where(Delivery.kind == "digest_now")))) == 2
    assert "again" in answer(slack, "digest twice")["text"]  # usage, nothing posted


def test_a_digest_from_last_week_does_not_ask(slack, emulator, db):
    ws = workspace_id(db)
    objective = make_objective(db, ws, ALICE, channel=CHANNEL)
    make_key_result(db, ws, objective, ALICE)
    with db.session() as session:
        session.add(
            Delivery(
                kind="digest",
                workspace_id=ws,
                target=CHANNEL,
                period="2020-W01",
                state="sent",
                claimed_at=datetime(2020, 1, 3),
                sent_at=datetime(2020, 1, 3),
            )
        )
    assert "Posted" in answer(slack, "digest")["text"]


def test_members_rows_are_never_shared(db):
    # The admin flag that decides is per workspace: an admin of one is nobody in another.
    from bot.services.calendar import stored_admin

    with db.session() as session:
        a, b = workspace_for(session, TEAM), workspace_for(session, "T0OTHER")
        session.add(
            Member(
                workspace_id=a.id,
                user_id=ADMIN,
                is_admin=True,
                refreshed_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
        session.flush()
        assert stored_admin(session, a, ADMIN) and not stored_admin(session, b, ADMIN)


def test_switching_off_a_default_digest_keeps_the_workspaces_default_for_later(slack, db):
    ws = workspace_id(db)
    with db.session() as session:
        session.get(Workspace, ws).digest_weekday, session.get(Workspace, ws).digest_time = 4, "15:00"
    make_objective(db, ws, ALICE, channel=CHANNEL)
    text = shown(answer(slack, "schedule", user_id=ALICE))
    assert "Thursdays at 15:00 (UTC)" in text and "workspace's default" in text
    answer(slack, "schedule off", user_id=ALICE)
    [row] = schedules(db)
    assert (row.enabled, row.weekday, row.time_of_day, row.timezone) == (False, 4, "15:00", "UTC")
