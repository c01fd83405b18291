"""A person's own reminders, end to end: the reminder's *Remind me later today*, *Tomorrow* and
*Skip this week*; `/okr remind` (own day and time in one's own zone, kinds on and off, bad input);
the one second nudge; what admins see in `/okr settings`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select, update

from bot.ids import Action, Block, Callback
from bot.jobs.nudges import alignment_nudges
from bot.jobs.reminders import checkin_reminders
from storage.models import CheckIn, KeyResult, PersonPreference, SourceBinding, SourceKind
from tests.conftest import ADMIN, ALICE, BOB, TEAM
from tests.factories import (
    answer,
    answer_text,
    clients,
    count,
    listed,
    make_objective_via_slack,
    opened_view,
    published,
    published_since,
    published_so_far,
)

MONDAY = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)  # 10:05 in London: Alice's reminder is due
WEDNESDAY = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY):
        yield


def reminders_to(emulator, user_id: str) -> list:
    return [
        c
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args.get("channel") == user_id and "Weekly check-in" in str(c.args.get("blocks"))
    ]


def dms_to(emulator, user_id: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("channel") == user_id]


def objective(slack, emulator, owner=ALICE) -> None:
    """An objective of Alice's with one key result owned by `owner`, never checked in."""
    make_objective_via_slack(
        slack, emulator, krs=(("Activation", "40", "60", "%"),), **{Block.KR_OWNER.of(n=1): owner}
    )


def run(db, emulator, at: datetime) -> None:
    checkin_reminders(db, clients(emulator), at)


def first_reminder(slack, emulator, db) -> dict:
    objective(slack, emulator)
    run(db, emulator, MONDAY)
    [dm] = reminders_to(emulator, ALICE)
    return {"channel": dm.response["channel"], "ts": dm.response["ts"]}


def press(slack, dm: dict, action: str, *, user=ALICE, shown: list | None = None):
    """`shown`: the message's blocks as the person's Slack still shows them (else as stored now)."""
    response = slack.action(
        action,
        None,
        message={"ts": dm["ts"]} if shown is None else {"ts": dm["ts"], "blocks": shown},
        channel_id=dm["channel"],
        user_id=user,
        team_id=TEAM,
    )
    assert response.status == 200, response.text
    slack.settle()
    return response


def preference(db, user_id=ALICE) -> PersonPreference | None:
    with db.session() as session:
        row = session.scalar(select(PersonPreference).where(PersonPreference.user_id == user_id))
        session.expunge_all()
    return row


def shown(emulator, dm: dict) -> str:
    return str(emulator.message(dm["channel"], dm["ts"]))


# --- snooze -----------------------------------------------------------------------------------------


def test_tomorrow_sends_the_reminder_again_the_next_work_day_same_time(slack, emulator, db, monday):
    dm = first_reminder(slack, emulator, db)
    press(slack, dm, Action.REMINDER_TOMORROW)
    said = shown(emulator, dm)
    # The notification's text takes the plain day; the message's blocks Slack's token, for each locale.
    assert "I'll remind you again Tue 1 Dec 2026 at 10:00." in said
    assert "again <!date^1796126400^{date_short_pretty}|Tue 1 Dec 2026> at 10:00." in said
    run(db, emulator, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # later on Monday: nothing
    assert len(reminders_to(emulator, ALICE)) == 1
    run(db, emulator, datetime(2026, 12, 1, 10, 1, tzinfo=UTC))
    assert len(reminders_to(emulator, ALICE)) == 2
    run(db, emulator, datetime(2026, 12, 1, 11, 0, tzinfo=UTC))  # once
    assert len(reminders_to(emulator, ALICE)) == 2


def test_tomorrow_on_a_friday_is_monday_never_the_weekend(slack, emulator, db):
    friday = datetime(2026, 12, 4, 11, 5, tzinfo=UTC)
    with time_machine.travel(friday):
        objective(slack, emulator)
        answer(slack, "/okr", "remind fri 11:00", user_id=ALICE)
        run(db, emulator, friday)
        [dm] = reminders_to(emulator, ALICE)
        dm = {"channel": dm.response["channel"], "ts": dm.response["ts"]}
        press(slack, dm, Action.REMINDER_TOMORROW)
    said = shown(emulator, dm)
    assert "again Mon 7 Dec 2026 at 11:00." in said
    assert "again <!date^1796644800^{date_short_pretty}|Mon 7 Dec 2026> at 11:00." in said
    run(db, emulator, datetime(2026, 12, 5, 11, 5, tzinfo=UTC))  # Saturday: nothing
    assert len(reminders_to(emulator, ALICE)) == 1
    run(db, emulator, datetime(2026, 12, 7, 11, 5, tzinfo=UTC))
    assert len(reminders_to(emulator, ALICE)) == 2


def test_later_today_is_three_hours_on_within_the_work_day(slack, emulator, db, monday):
    dm = first_reminder(slack, emulator, db)
    press(slack, dm, Action.REMINDER_LATER)
    pref = preference(db)
    assert pref.snoozed_until == datetime(2026, 11, 30, 13, 5)  # naive UTC = London in winter
    run(db, emulator, datetime(2026, 11, 30, 13, 6, tzinfo=UTC))
    assert len(reminders_to(emulator, ALICE)) == 2


def test_later_today_near_the_end_of_the_day_stops_at_its_end(slack, emulator, db):
    late = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    with time_machine.travel(MONDAY):
        dm = first_reminder(slack, emulator, db)
    with time_machine.travel(late):
        press(slack, dm, Action.REMINDER_LATER)
    assert preference(db).snoozed_until == datetime(2026, 11, 30, 18, 0)


def test_a_snooze_from_last_weeks_reminder_is_refused_and_changes_nothing(slack, emulator, db, monday):
    dm = first_reminder(slack, emulator, db)
    last_week = json.loads(
        json.dumps(emulator.message(dm["channel"], dm["ts"])["blocks"]).replace("W49", "W48")
    )
    press(slack, dm, Action.REMINDER_TOMORROW, shown=last_week)
    assert preference(db) is None or preference(db).snoozed_until is None
    assert any(
        "earlier week" in (c.args.get("text") or "") for c in emulator.response_url_posts(slack.response_url)
    )


def test_skip_this_week_sends_nothing_more_until_next_week(slack, emulator, db, monday):
    dm = first_reminder(slack, emulator, db)
    press(slack, dm, Action.REMINDER_SKIP)
    assert "Skipped for this week" in shown(emulator, dm)
    run(db, emulator, WEDNESDAY)  # no second nudge either
    assert len(reminders_to(emulator, ALICE)) == 1
    run(db, emulator, datetime(2026, 12, 7, 10, 5, tzinfo=UTC))
    assert len(reminders_to(emulator, ALICE)) == 2


# --- the one second nudge ------------------------------------------------------------------------------


def test_a_second_nudge_two_work_days_later_only_if_nothing_happened_and_only_once(
    slack, emulator, db, monday
):
    first_reminder(slack, emulator, db)
    run(db, emulator, datetime(2026, 12, 1, 10, 5, tzinfo=UTC))  # Tuesday: not yet
    assert len(reminders_to(emulator, ALICE)) == 1
    run(db, emulator, WEDNESDAY)
    sent = reminders_to(emulator, ALICE)
    assert len(sent) == 2
    assert "A second nudge, the only one this week" in sent[1].args["text"]
    run(db, emulator, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    run(db, emulator, datetime(2026, 12, 3, 10, 5, tzinfo=UTC))
    assert len(reminders_to(emulator, ALICE)) == 2


def test_no_second_nudge_after_a_check_in(slack, emulator, db, monday):
    first_reminder(slack, emulator, db)
    with db.session() as session:
        session.execute(update(KeyResult).values(last_checkin_at=datetime(2026, 12, 1, 9, 0)))
    run(db, emulator, WEDNESDAY)
    assert len(reminders_to(emulator, ALICE)) == 1


def test_no_second_nudge_to_someone_who_went_on_vacation_since(slack, emulator, db, monday):
    first_reminder(slack, emulator, db)
    # Slack sent no user_change event: the day's users.list pass (bot/jobs/roster.py) brings the
    # status in before the nudge is due; planning itself never asks Slack.
    emulator.update_user(ALICE, status_text="Vacationing", status_emoji=":palm_tree:")
    listed(db, emulator)
    run(db, emulator, WEDNESDAY)
    assert len(reminders_to(emulator, ALICE)) == 1


def test_no_second_nudge_on_a_day_off_it_moves_to_the_next_work_day(slack, emulator, db):
    # Reminder on Thursday: two work days later is Monday, never the weekend.
    with time_machine.travel(datetime(2026, 12, 3, 10, 5, tzinfo=UTC)):
        objective(slack, emulator)
        answer(slack, "/okr", "remind thu 10:00", user_id=ALICE)
        run(db, emulator, datetime(2026, 12, 3, 10, 5, tzinfo=UTC))
    for day in (4, 5, 6):
        run(db, emulator, datetime(2026, 12, day, 10, 5, tzinfo=UTC))
    assert len(reminders_to(emulator, ALICE)) == 1
    run(db, emulator, datetime(2026, 12, 7, 10, 5, tzinfo=UTC))
    assert "A second nudge" in reminders_to(emulator, ALICE)[-1].args["text"]


# --- /okr remind ----------------------------------------------------------------------------------------


def test_my_own_day_and_time_in_my_zone_across_a_dst_change(slack, emulator, db):
    """Bob is in New York: Tuesday 09:30 his time is 13:30 UTC before 1 Nov 2026, 14:30 after."""
    with time_machine.travel(datetime(2026, 10, 26, 12, 0, tzinfo=UTC)):
        objective(slack, emulator, owner=BOB)
        said = answer_text(answer(slack, "/okr", "remind tue 09:30", user_id=BOB))
    assert "Tuesday at 09:30 (America/New_York)" in said
    assert "Next: Tue 27 Oct 2026 at 09:30." in said  # the answer's plain text
    assert "Next: <!date^1793116800^{date_short_pretty}|Tue 27 Oct 2026> at 09:30." in said  # its blocks
    run(db, emulator, datetime(2026, 10, 26, 14, 5, tzinfo=UTC))  # the team's Monday 10:00 his time: not his
    assert reminders_to(emulator, BOB) == []
    run(db, emulator, datetime(2026, 10, 27, 13, 31, tzinfo=UTC))
    assert len(reminders_to(emulator, BOB)) == 1
    with db.session() as session:  # he checked in: no second nudge in the way
        session.execute(update(KeyResult).values(last_checkin_at=datetime(2026, 10, 27, 14, 0)))
    run(db, emulator, datetime(2026, 11, 3, 13, 31, tzinfo=UTC))  # 08:31 EST: not yet
    assert len(reminders_to(emulator, BOB)) == 1
    run(db, emulator, datetime(2026, 11, 3, 14, 31, tzinfo=UTC))  # 09:31 EST
    assert len(reminders_to(emulator, BOB)) == 2


def test_reminder_off_sends_none_and_on_brings_it_back(slack, emulator, db, monday):
    objective(slack, emulator)
    said = answer_text(answer(slack, "/okr", "remind off", user_id=ALICE))
    assert "check-in reminder is off" in said
    run(db, emulator, MONDAY)
    assert reminders_to(emulator, ALICE) == []
    answer(slack, "/okr", "remind on", user_id=ALICE)
    run(db, emulator, MONDAY)
    assert len(reminders_to(emulator, ALICE)) == 1


def off_track_twice(db) -> None:
    """KR-1 (0 → 100 over the cycle) checked in at 0 twice, late in the cycle: off track twice."""
    with db.session() as session:
        kr = session.scalar(select(KeyResult).where(KeyResult.number == 1))
        kr.start_value, kr.target_value, kr.current_value = 0.0, 100.0, 0.0
        for day in (16, 23):
            session.add(
                CheckIn(
                    workspace_id=kr.workspace_id,
                    key_result_id=kr.id,
                    author_id=kr.owner_id,
                    value=0.0,
                    created_at=datetime(2026, 11, day, 9, 0),
                )
            )
        kr.last_checkin_at = datetime(2026, 11, 23, 9, 0)


def test_the_weekly_reminder_carries_the_alignment_nudge_instead_of_a_dm(slack, emulator, db, monday):
    objective(slack, emulator)
    off_track_twice(db)
    run(db, emulator, MONDAY)
    [dm] = reminders_to(emulator, ALICE)
    assert "Off track at the last two check-ins" in str(dm.args["blocks"])
    alignment_nudges(db, clients(emulator), WEDNESDAY)
    assert [c for c in dms_to(emulator, ALICE) if "off track" in c.args["text"]] == []


def test_nudges_switched_off_leave_them_out_of_the_reminder(slack, emulator, db, monday):
    objective(slack, emulator)
    off_track_twice(db)
    answer(slack, "/okr", "remind off nudges", user_id=ALICE)
    run(db, emulator, MONDAY)
    [dm] = reminders_to(emulator, ALICE)
    assert "Off track at the last two" not in str(dm.args["blocks"])


def test_with_the_reminder_off_nudges_come_alone_unless_off_too(slack, emulator, db, monday):
    objective(slack, emulator)
    off_track_twice(db)
    answer(slack, "/okr", "remind off", user_id=ALICE)
    alignment_nudges(db, clients(emulator), WEDNESDAY)
    nudges = [c for c in dms_to(emulator, ALICE) if "off track" in c.args["text"]]
    assert len(nudges) == 1
    answer(slack, "/okr", "remind off nudges", user_id=ALICE)
    alignment_nudges(db, clients(emulator), datetime(2026, 12, 9, 10, 5, tzinfo=UTC))
    assert len([c for c in dms_to(emulator, ALICE) if "off track" in c.args["text"]]) == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("funday 10:00", "is not a day"),
        ("mon 25:00", "is not a time"),
        ("sat 10:00", "not in the team's work week"),
        ("off gossip", "is not a kind of message"),
        ("mon", "/okr remind tue 09:30"),
        ("<!channel> 10:00", "is not a day"),
    ],
)
def test_bad_input_gets_usage_and_changes_nothing(slack, emulator, db, monday, text, says):
    objective(slack, emulator)
    said = answer_text(answer(slack, "/okr", f"remind {text}", user_id=ALICE))
    assert says in said
    assert "<!channel>" not in said
    assert count(db, PersonPreference) == 0


def test_admins_see_how_many_switched_each_kind_off(slack, emulator, db, monday):
    objective(slack, emulator)
    answer(slack, "/okr", "remind off nudges", user_id=ALICE)
    answer(slack, "/okr", "remind off nudges", user_id=BOB)
    answer(slack, "/okr", "remind off", user_id=BOB)
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "settings", user_id=ADMIN, team_id=TEAM)
    view = opened_view(emulator, Callback.SETTINGS, count=before + 1)
    text = str(view["blocks"])
    assert "alignment nudges: 2" in text
    assert "check-in reminder: 1" in text
    assert "sprint prompts: 0" in text
    # Alice (not an admin) sees the read-only settings, without the counts.
    slack.command("/okr", "settings", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.SETTINGS, count=before + 2)
    assert "alignment nudges" not in str(view["blocks"])


def test_app_home_shows_my_reminder_and_what_i_switched_off(slack, emulator, db, monday):
    objective(slack, emulator, owner=BOB)
    answer(slack, "/okr", "remind wed 08:45", user_id=BOB)
    answer(slack, "/okr", "remind off reviews", user_id=BOB)
    home = published(slack, emulator, user=BOB)
    text = str(home["blocks"])
    assert "Your weekly check-in reminder: Wednesday at 08:45 (America/New_York)" in text
    assert "switched off: KRA review and cycle prompts" in text


def failing_source(db, error: str, *, checked_in: datetime | None = None) -> None:
    """The key result bound to a data source whose last read failed with `error`."""
    with db.session() as session:
        kr = session.scalar(select(KeyResult))
        kr.last_checkin_at = checked_in
        session.add(
            SourceBinding(
                workspace_id=kr.workspace_id,
                key_result_id=kr.id,
                kind=SourceKind.HTTP,
                connection="metrics",
                path="/v",
                created_by=ALICE,
                last_error=error,
            )
        )


def test_a_failing_source_is_a_section_of_the_reminder(slack, emulator, db, monday):
    objective(slack, emulator)
    failing_source(db, "the source answered 503 <!here>")
    run(db, emulator, MONDAY)
    [dm] = reminders_to(emulator, ALICE)
    blocks = str(dm.args["blocks"])
    assert "The data source of `KR-1` is failing:* the source answered 503" in blocks
    assert "<!here>" not in blocks


def open_my_reminders(slack, emulator, user=BOB) -> dict:
    before = len(emulator.calls_to("views.open"))
    home = published(slack, emulator, user=user)
    response = slack.action(Action.HOME_REMINDERS, view=home, user_id=user, team_id=TEAM)
    assert response.status == 200, response.text
    return opened_view(emulator, Callback.MY_REMINDERS, count=before + 1)


def test_app_home_changes_my_day_time_and_kinds(slack, emulator, db, monday):
    objective(slack, emulator, owner=BOB)
    view = open_my_reminders(slack, emulator)
    kinds = [o["value"] for o in view["blocks"][2]["element"]["initial_options"]]
    assert kinds == ["checkin", "nudges", "sprints", "reviews", "sources"]  # all on to begin with
    before = published_so_far(slack, emulator)
    response = slack.submit_view(
        view,
        {
            Block.MY_DAY: "3",
            Block.MY_TIME: "08:45",
            Block.MY_KINDS: ["checkin", "sprints", "reviews", "sources"],
        },
        user_id=BOB,
        team_id=TEAM,
    )
    assert response.status == 200 and not response.body, response.text
    pref = preference(db, BOB)
    assert (pref.reminder_weekday, pref.reminder_time, pref.muted) == (3, "08:45", "nudges")
    [home] = published_since(slack, emulator, before)
    text = str(home.args["view"]["blocks"])
    assert "Wednesday at 08:45 (America/New_York)" in text and "switched off: alignment nudges" in text


@pytest.mark.parametrize(
    ("values", "block", "says"),
    [
        ({Block.MY_TIME: "25:00"}, Block.MY_TIME, "is not a time"),
        ({Block.MY_TIME: "<!here>"}, Block.MY_TIME, "is not a time"),
    ],
)
def test_app_home_bad_input_is_shown_under_its_field_and_nothing_changes(
    slack, emulator, db, monday, values, block, says
):
    objective(slack, emulator, owner=BOB)
    view = open_my_reminders(slack, emulator)
    response = slack.submit_view(view, values, user_id=BOB, team_id=TEAM, validate=False)
    errors = response.json()["errors"]
    assert says in errors[block] and "<!here>" not in errors[block]
    assert count(db, PersonPreference) == 0


def test_the_clock_deciding_what_is_due_still_sees_a_reminder_only_its_extras_make(
    slack, emulator, db, monday
):
    """With workers the clock plans each unit only to decide whether it has posts due
    (PlanContext.deciding), leaving out what only a post's words need. A reminder whose key
    results are all checked in still goes when the week asks something else of the person (here a
    failing source): deciding must find it, and find what sending finds."""
    from bot.jobs.engine import Engine, Unit

    objective(slack, emulator)
    failing_source(db, "the source answered 503", checked_in=datetime(2026, 11, 30, 9, 0))  # this Monday
    unit = Unit("checkin-reminders", TEAM, MONDAY)

    def due(engine: Engine, *, deciding: bool) -> list[str]:
        planned = engine.plan(unit, deciding=deciding)
        return [post.key.target for post in getattr(planned, "due", [])]

    with Engine(db, clients(emulator)) as engine:
        assert due(engine, deciding=True) == due(engine, deciding=False) == [ALICE]
        with db.session() as session:
            session.execute(update(SourceBinding).values(last_error=None))
        assert due(engine, deciding=True) == due(engine, deciding=False) == []
