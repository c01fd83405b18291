"""Scheduled jobs through the Slack emulator, called directly with a chosen `now`: at most once,
late runs, rate limits, people and channels that are gone, crashes mid-fan-out."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.members import is_away
from bot.jobs import delivery
from bot.jobs.posting import build_clock_client
from bot.jobs.reminders import checkin_reminders
from storage.models import (
    CheckIn,
    Delivery,
    DeliveryState,
    KeyResult,
    Member,
    Objective,
    PersonPreference,
    Schedule,
    ScheduleKind,
)
from tests.conftest import ALICE, BOB, CAROL, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN, count_statements
from tests.factories import (
    FRIDAY_LONDON,
    MONDAY_LONDON,
    at,
    channel_posts,
    clients,
    deliveries,
    dms,
    hooked_clients,
    listed,
    make_channel_with_objectives,
    make_check_ins,
    make_key_result,
    make_objective,
    make_owners_with_key_results,
    make_schedule,
    make_sprint,
    make_workspace,
)

# --- the check-in reminder --------------------------------------------------------------------------


def test_each_owner_is_reminded_at_ten_their_own_time(db, emulator, caplog):
    make_owners_with_key_results(db, emulator, [ALICE, BOB, CAROL])  # London, New York, Tokyo
    caplog.set_level(logging.INFO)

    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({ALICE: 1})
    assert report.sent == 1
    # Tokyo's 10:00 was 01:00 UTC: 9 hours ago, so skipped and logged, once.
    assert report.late == 1
    assert any("late" in r.getMessage() and CAROL in r.getMessage() for r in caplog.records)

    dm = emulator.calls_to("chat.postMessage", ok=True)[0]
    assert "check-in" in dm.args["text"].lower()
    assert "KR-1" in dm.args["text"]
    buttons = [e for b in dm.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    # One row per key result to check in from the message, then the full form and the snoozes.
    assert [b["action_id"] for b in buttons] == [
        "reminder_same",
        "reminder_note",
        "open_checkin",
        "reminder_later",
        "reminder_tomorrow",
        "reminder_skip",
    ]

    # New York's 10:00 is 15:00 UTC.
    checkin_reminders(db, clients(emulator), at("2026-11-30T15:01:00+00:00"))
    assert dms(emulator) == Counter({ALICE: 1, BOB: 1})
    # Running again changes nothing: every key is taken.
    again = checkin_reminders(db, clients(emulator), at("2026-11-30T15:02:00+00:00"))
    assert again.sent == 0 and again.late == 0
    assert dms(emulator) == Counter({ALICE: 1, BOB: 1})
    states = {(d.target, d.state) for d in deliveries(db, "checkin")}
    assert states == {(ALICE, DeliveryState.SENT), (BOB, DeliveryState.SENT), (CAROL, DeliveryState.SKIPPED)}
    assert emulator.violations == []


def test_utc_plus_13_and_utc_minus_10_on_the_same_monday(db, emulator):
    make_owners_with_key_results(db, emulator, ["U0AKL"], tz="Pacific/Auckland")
    make_owners_with_key_results(db, emulator, ["U0TBU"], tz="Pacific/Tongatapu")
    make_owners_with_key_results(db, emulator, ["U0HNL"], tz="Pacific/Honolulu")
    # Sunday 21:01 UTC: Monday 10:01 in Auckland and Tonga; Sunday 11:01 in Honolulu.
    checkin_reminders(db, clients(emulator), at("2026-11-29T21:01:00+00:00"))
    assert dms(emulator) == Counter({"U0AKL": 1, "U0TBU": 1})
    # Monday 20:01 UTC: Monday 10:01 in Honolulu; Auckland and Tonga are on Tuesday already.
    checkin_reminders(db, clients(emulator), at("2026-11-30T20:01:00+00:00"))
    assert dms(emulator) == Counter({"U0AKL": 1, "U0TBU": 1, "U0HNL": 1})
    periods = {d.target: d.period for d in deliveries(db, "checkin")}
    assert periods == {"U0AKL": "2026-W49", "U0TBU": "2026-W49", "U0HNL": "2026-W49"}


def test_sunday_of_a_dst_change(db, emulator):
    # A Sunday-to-Thursday workspace with its check-in on Sunday 10:00: New York falls back on
    # Sunday 1 November 2026, Berlin a week earlier; each fires at 10:00 on the new offset.
    workspace_id = make_workspace(db, work_days="7,1,2,3,4")
    make_schedule(db, workspace_id, ScheduleKind.CHECKIN, weekday=7, time_of_day="10:00", set_by=ALICE)
    objective = make_objective(db, workspace_id, BOB)
    make_key_result(db, workspace_id, objective, BOB)  # America/New_York
    emulator.add_user("U0BER", TEAM, tz="Europe/Berlin")
    make_key_result(db, workspace_id, objective, "U0BER")
    listed(db, emulator)

    checkin_reminders(db, clients(emulator), at("2026-10-25T09:00:00+00:00"))  # 10:00 CET, after fall-back
    assert dms(emulator) == Counter({"U0BER": 1})
    checkin_reminders(db, clients(emulator), at("2026-11-01T14:59:00+00:00"))  # 09:59 EST: not yet
    assert dms(emulator)[BOB] == 0
    checkin_reminders(db, clients(emulator), at("2026-11-01T15:00:00+00:00"))  # 10:00 EST
    assert dms(emulator)[BOB] == 1


def test_a_run_five_hours_late_sends_seven_hours_late_skips_and_logs(db, emulator, caplog):
    make_owners_with_key_results(db, emulator, [ALICE])
    report = checkin_reminders(db, clients(emulator), at("2026-11-30T15:00:00+00:00"))  # 5 h late
    assert report.sent == 1
    emulator.clear()

    caplog.set_level(logging.INFO)
    report = checkin_reminders(db, clients(emulator), at("2026-12-07T17:00:00+00:00"))  # a week on, 7 h late
    assert report.sent == 0 and report.late == 1
    assert dms(emulator) == Counter()
    [late] = [d for d in deliveries(db, "checkin") if d.period == "2026-W50"]
    assert late.state == DeliveryState.SKIPPED and late.detail["reason"] == "late"
    assert sum("late" in r.getMessage() for r in caplog.records) == 1
    # Logged once: the next minute's run finds the key taken.
    caplog.clear()
    checkin_reminders(db, clients(emulator), at("2026-12-07T17:01:00+00:00"))
    assert not any("late" in r.getMessage() for r in caplog.records)


def test_checked_in_since_monday_means_no_reminder(db, emulator):
    workspace_id = make_owners_with_key_results(db, emulator, [ALICE, BOB])
    with db.session() as session:
        krs = {kr.owner_id: kr for kr in session.scalars(select(KeyResult))}
        # Alice checked in on Monday 00:30 London time; Bob last did so on Sunday night New York time.
        krs[ALICE].last_checkin_at = datetime(2026, 11, 30, 0, 30)
        krs[BOB].last_checkin_at = datetime(2026, 11, 30, 4, 59)  # Sunday 23:59 EST
        session.add(
            CheckIn(workspace_id=workspace_id, key_result_id=krs[ALICE].id, value=10, author_id=ALICE)
        )
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    checkin_reminders(db, clients(emulator), at("2026-11-30T15:01:00+00:00"))
    assert dms(emulator) == Counter({BOB: 1})


def test_only_active_key_results_of_active_objectives(db, emulator):
    from storage.models import Status

    workspace_id = make_workspace(db)
    closed = make_objective(db, workspace_id, ALICE, status=Status.CLOSED)
    make_key_result(db, workspace_id, closed, ALICE)
    active = make_objective(db, workspace_id, ALICE)
    make_key_result(db, workspace_id, active, ALICE, status=Status.ARCHIVED)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"deleted": True}, "deactivated"),
        ({"status_emoji": ":palm_tree:"}, "palm tree"),
        ({"status_emoji": ":face_with_thermometer:"}, "sick"),
        ({"status_text": "Out of Office until Monday"}, "out of office"),
        ({"status_text": "on PTO"}, "PTO"),
        ({"status_text": "OOO"}, "OOO"),
        ({"status_text": "Parental leave"}, "leave"),
        ({"status_text": "Holiday in Crete"}, "holiday"),
    ],
)
def test_nobody_reminded_while_deactivated_or_away(db, emulator, fields, reason):
    make_owners_with_key_results(db, emulator, ["U0AWAY", "U0HERE"], status_text="", status_emoji="")
    emulator.update_user("U0AWAY", **fields)
    listed(db, emulator)  # the background pass before the slot saw the change
    emulator.clear()
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({"U0HERE": 1}), reason
    assert emulator.calls_to("users.list") == [] and emulator.calls_to("users.info") == []
    states = {d.target: (d.state, (d.detail or {}).get("why")) for d in deliveries(db, "checkin")}
    if reason == "deactivated":  # for good: recorded as unreachable, once
        assert states["U0AWAY"] == (DeliveryState.SKIPPED, "deactivated") and report.skipped == 1
    else:  # away today, maybe back tomorrow: nothing recorded
        assert "U0AWAY" not in states and report.skipped == 0


def test_nobody_reminded_while_paused(db, emulator):
    workspace_id = make_owners_with_key_results(
        db, emulator, [ALICE, "U0PAUSED", "U0BACK"], list_people=False
    )
    with db.session() as session:
        session.add(Member(workspace_id=workspace_id, user_id="U0PAUSED", paused_until=date(2026, 11, 30)))
        session.add(Member(workspace_id=workspace_id, user_id="U0BACK", paused_until=date(2026, 11, 29)))
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({ALICE: 1, "U0BACK": 1})


def test_status_words():
    assert is_away("Vacationing", "")
    assert is_away("", ":airplane:")
    assert is_away("out of the office", "")
    assert not is_away("In a meeting", ":spiral_calendar_pad:")
    assert not is_away("Shipping the crypto feature", "")  # "pto" inside a word is not PTO


def test_a_person_who_left_is_skipped(db, emulator):
    make_owners_with_key_results(db, emulator, ["U0GONE", "U0STAY"])
    emulator.fail("chat.postMessage", "account_inactive", where=lambda c: c.args.get("channel") == "U0GONE")
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({"U0STAY": 1})
    assert report.skipped == 1 and report.sent == 1
    states = {d.target: d.state for d in deliveries(db, "checkin")}
    assert states == {"U0GONE": DeliveryState.SKIPPED, "U0STAY": DeliveryState.SENT}


def test_someone_never_listed_is_planned_not_asked_about_and_skipped_when_slack_says_gone(db, emulator):
    make_owners_with_key_results(db, emulator, ["U0STAY"])
    with db.session() as session:
        objective = session.scalars(select(Objective)).first()
        make_key_result(db, objective.workspace_id, objective.id, "U0NOBODY")  # not in Slack at all
    emulator.clear()
    emulator.fail("chat.postMessage", "user_not_found", where=lambda c: c.args.get("channel") == "U0NOBODY")
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    # Planned in the workspace's zone (London) rather than held back for users.info.
    assert emulator.calls_to("users.info") == [] and emulator.calls_to("users.list") == []
    assert [c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=False)] == ["U0NOBODY"]
    assert dms(emulator) == Counter({"U0STAY": 1})
    assert report.errors == [] and report.skipped == 1
    states = {d.target: d.state for d in deliveries(db, "checkin")}
    assert states == {"U0STAY": DeliveryState.SENT, "U0NOBODY": DeliveryState.SKIPPED}


def test_any_other_error_is_logged_and_the_rest_goes_on(db, emulator):
    users = [f"U0P{i:02d}" for i in range(5)]
    make_owners_with_key_results(db, emulator, users)
    emulator.fail("chat.postMessage", "internal_error", where=lambda c: c.args.get("channel") == users[2])
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert report.failed == 1 and report.sent == 4
    assert dms(emulator) == Counter({u: 1 for u in users if u != users[2]})
    # A failed post is not retried (it might have half-happened): at most once.
    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=1))
    assert dms(emulator)[users[2]] == 0


def test_a_disabled_checkin_schedule_sends_nothing(db, emulator):
    workspace_id = make_owners_with_key_results(db, emulator, [ALICE])
    make_schedule(
        db, workspace_id, ScheduleKind.CHECKIN, weekday=1, time_of_day="10:00", set_by=ALICE, enabled=False
    )
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter()


def test_a_custom_checkin_time(db, emulator):
    workspace_id = make_owners_with_key_results(db, emulator, [ALICE])
    make_schedule(db, workspace_id, ScheduleKind.CHECKIN, weekday=2, time_of_day="09:30", set_by=ALICE)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter()
    checkin_reminders(db, clients(emulator), at("2026-12-01T09:31:00+00:00"))
    assert dms(emulator) == Counter({ALICE: 1})


def test_workspaces_never_meet(db, emulator):
    make_owners_with_key_results(db, emulator, [ALICE])
    emulator.add_user("U0MALLO", OTHER_TEAM, tz="Europe/London")
    make_owners_with_key_results(db, emulator, ["U0MALLO"], team=OTHER_TEAM)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON, team_id=OTHER_TEAM)
    assert dms(emulator) == Counter({"U0MALLO": 1})
    [call] = emulator.calls_to("chat.postMessage", ok=True)
    assert call.token == OTHER_TOKEN


# --- at most once, under pressure ---------------------------------------------------------------------


def test_two_concurrent_runners_post_each_reminder_once(db, emulator):
    users = [f"U0C{i:02d}" for i in range(12)]
    make_owners_with_key_results(db, emulator, users)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def runner():
        try:
            barrier.wait()
            reports.append(checkin_reminders(db, clients(emulator), MONDAY_LONDON))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert dms(emulator) == Counter({u: 1 for u in users})
    assert sum(r.sent for r in reports) == 12
    assert len(deliveries(db, "checkin")) == 12


def test_killed_mid_fan_out_then_rerun_sends_the_rest_none_twice(db, emulator, monkeypatch):
    # One post in flight, so that "stopped after the 4th" is exact (with more, those in flight finish).
    monkeypatch.setenv("NORTHLINE_POSTS_IN_FLIGHT", "1")
    users = [f"U0K{i:02d}" for i in range(10)]
    make_owners_with_key_results(db, emulator, users)
    stop = threading.Event()

    def stop_after_the_fourth(n: int) -> None:  # as SIGTERM would
        if n == 4:
            stop.set()

    stopping = hooked_clients(clients(emulator), after=stop_after_the_fourth)
    report = checkin_reminders(db, stopping, MONDAY_LONDON, stop=stop)
    assert report.stopped and report.sent == 4
    assert sum(dms(emulator).values()) == 4

    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=1))
    assert dms(emulator) == Counter({u: 1 for u in users})


class Killed(BaseException):
    """The process dying mid-post (not an Exception: nothing catches it)."""


def test_a_crash_between_claim_and_post_that_cannot_be_read_back_is_never_resent(
    db, emulator, caplog, monkeypatch
):
    monkeypatch.setenv("NORTHLINE_POSTS_IN_FLIGHT", "1")  # "the third post" is then exactly one post
    users = [f"U0D{i:02d}" for i in range(6)]
    make_owners_with_key_results(db, emulator, users)

    def crash_on_the_third(n: int) -> None:
        if n == 3:
            raise Killed()  # claimed, never posted

    with pytest.raises(Killed):
        checkin_reminders(db, hooked_clients(clients(emulator), before=crash_on_the_third), MONDAY_LONDON)
    assert sum(dms(emulator).values()) == 2
    in_doubt = [d for d in deliveries(db, "checkin") if d.state == DeliveryState.CLAIMED]
    assert len(in_doubt) == 1

    # The restart, 20 minutes later, on an install that may not read its DMs back (missing_scope;
    # tests/e2e/test_settlement.py settles it where it may): the rest goes out, the one in doubt
    # is logged, not resent.
    emulator.fail("conversations.history", "missing_scope", times=None)
    caplog.set_level(logging.WARNING)
    with db.session() as session:
        row = session.get(Delivery, in_doubt[0].id)
        row.claimed_at = row.claimed_at - timedelta(minutes=20)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=20))
    counts = dms(emulator)
    assert sum(counts.values()) == 5 and max(counts.values()) == 1
    assert in_doubt[0].target not in counts
    assert any("in doubt" in r.getMessage() for r in caplog.records)


def test_rate_limited_every_fifth_post_every_post_delivered_once(db, emulator):
    users = [f"U0R{i:02d}" for i in range(12)]
    make_owners_with_key_results(db, emulator, users)
    emulator.rate_limit("chat.postMessage", every=5, retry_after=1)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({u: 1 for u in users})
    assert report.sent == 12 and report.failed == 0
    assert len([c for c in emulator.rejected if c.method == "chat.postMessage"]) >= 2


def test_the_number_of_queries_does_not_grow_with_people(db, emulator):
    def selects_for(users, team, token_team_users):
        make_owners_with_key_results(db, emulator, users, team=team)
        # First run fills the users.info cache; measure a later, cached run with fresh keys.
        checkin_reminders(db, clients(emulator), at("2026-11-29T08:00:00+00:00"), team_id=team)
        with count_statements(db) as counter:
            checkin_reminders(db, clients(emulator), MONDAY_LONDON, team_id=team)
        return [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]

    few = selects_for([f"U0F{i:02d}" for i in range(2)], TEAM, None)
    emulator.add_token("xoxb-third", "T0THIRD")
    many = selects_for([f"U0M{i:02d}" for i in range(20)], OTHER_TEAM, None)
    # Six for the reminders themselves, one for people's own preferences, one for the objectives
    # people follow, five for the week's other asks that ride in a reminder due now (KRA owners,
    # objectives closing, active sprints, failing sources, the last two check-ins): a fixed number
    # whatever the people.
    assert len(few) == len(many) <= 13


def test_claims_and_marks_are_written_a_batch_at_a_time_not_a_post_at_a_time(db, emulator):
    users = [f"U0B{i:03d}" for i in range(120)]
    make_owners_with_key_results(db, emulator, users)
    with count_statements(db) as counter:
        report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert report.sent == 120 and dms(emulator) == Counter({u: 1 for u in users})
    writes = [s.lstrip().split()[0:3] for s in counter.statements]
    # 120 posts in batches of 50: three claims and three marks, each one statement.
    assert sum(1 for w in writes if w[:3] == ["INSERT", "INTO", "delivery"]) == 3
    assert sum(1 for w in writes if w[:2] == ["UPDATE", "delivery"]) == 3
    assert {d.state for d in deliveries(db, "checkin")} == {DeliveryState.SENT}


def test_a_batch_claim_wins_only_the_keys_nobody_claimed_before(db):
    workspace_id = make_workspace(db)
    keys = [delivery.Key("checkin", workspace_id, user, "2026-W49") for user in (ALICE, BOB, CAROL)]
    assert delivery.claim(db, "checkin", workspace_id, BOB, "2026-W49") is True
    assert delivery.claim_many(db, keys) == {keys[0], keys[2]}
    assert delivery.claim_many(db, keys) == set()
    assert sorted(d.target for d in deliveries(db)) == sorted([ALICE, BOB, CAROL])


def test_claim_is_exclusive_and_mark_records_the_outcome(db):
    workspace_id = make_workspace(db)
    assert delivery.claim(db, "checkin", workspace_id, ALICE, "2026-W49") is True
    assert delivery.claim(db, "checkin", workspace_id, ALICE, "2026-W49") is False
    assert delivery.claim(db, "checkin", workspace_id, ALICE, "2026-W50") is True
    delivery.mark(db, "checkin", workspace_id, ALICE, "2026-W49", DeliveryState.SENT, {"ts": "1.2"})
    row = next(d for d in deliveries(db) if d.period == "2026-W49")
    assert row.state == DeliveryState.SENT and row.sent_at is not None and row.detail == {"ts": "1.2"}


# --- the channel digest ----------------------------------------------------------------------------


def test_digest_parent_thread_and_chart(db, emulator):
    from bot.jobs.digest import channel_digests
    from tests.conftest import CHANNEL

    make_channel_with_objectives(db, emulator)
    report = channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert report.sent == 1, report
    posts = channel_posts(emulator, CHANNEL)
    parent, *thread = posts
    assert "thread_ts" not in parent.args or not parent.args["thread_ts"]
    assert "OBJ-1" in parent.args["text"] and "OBJ-2" in parent.args["text"]
    parent_text = str(parent.args["blocks"])
    assert "▓" in parent_text or "░" in parent_text
    assert "new this week" in parent_text
    ts = parent.response["ts"]
    # The parent leads with what changed and what is at risk: here all four key results checked
    # in this week, each behind its pace, with its latest note.
    lead = [b["text"]["text"] for b in parent.args["blocks"] if b["type"] == "section"][1:3]
    assert lead[0] == "*What changed this week*\n_Each key result checked in this week is at risk: below._"
    assert lead[1].split("\n")[:3] == [
        "*At risk, and why*",
        "• `KR-1` Raise NPS 0.0: 20% → 35%; pace off track; confidence at risk",
        "      _“found a lever”_",  # its latest note
    ]
    assert lead[1].count("• `KR-") == 4
    # The other key results and what needs attention, in one reply.
    assert len(thread) == 1 and all(c.args["thread_ts"] == ts for c in thread)
    thread_text = " ".join(str(c.args["blocks"]) for c in thread)
    assert "found a lever" not in thread_text
    assert "Pace " in thread_text  # labelled as pace, not a bare emoji
    assert (
        "No check-in since <!date^1796040000^{date_short_pretty}|Mon 30 Nov 2026>" in thread_text
        and f"<@{BOB}>" in thread_text
    )
    assert "No active sprint" in thread_text
    [chart] = [f for f in emulator.files.values() if f.completed]
    assert chart.thread_ts == ts and chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert emulator.violations == []
    # Once a week.
    channel_digests(db, clients(emulator), FRIDAY_LONDON + timedelta(minutes=5))
    assert len(channel_posts(emulator, CHANNEL)) == 2


def test_a_failing_channel_costs_the_other_channels_nothing_not_even_their_charts(db, emulator, monkeypatch):
    import bot.jobs.digest as digest
    from tests.conftest import CHANNEL

    workspace_id = make_channel_with_objectives(db, emulator)
    emulator.add_channel("C0BROKEN", TEAM, name="broken")
    objective_id = make_objective(db, workspace_id, ALICE, channel="C0BROKEN", title="Never digested")
    make_key_result(db, workspace_id, objective_id, ALICE)
    real = digest.digest_data

    def digest_data(session, workspace, channel_id, *args):
        if channel_id == "C0BROKEN":
            raise RuntimeError("this channel's data is broken")
        return real(session, workspace, channel_id, *args)

    monkeypatch.setattr(digest, "digest_data", digest_data)
    report = digest.channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert report.sent == 1 and report.errors == [f"{TEAM}: RuntimeError"], report
    assert channel_posts(emulator, "C0BROKEN") == []
    parent, reply = channel_posts(emulator, CHANNEL)
    [chart] = [f for f in emulator.files.values() if f.completed]
    assert chart.thread_ts == reply.args["thread_ts"] == parent.response["ts"]


def test_digest_shows_the_sprint_goal_and_whether_aligned(db, emulator):
    from bot.jobs.digest import channel_digests
    from tests.conftest import CHANNEL

    workspace_id = make_channel_with_objectives(db, emulator, objectives=1)
    with db.session() as session:
        kr_id = session.scalars(select(KeyResult.id)).first()
    make_sprint(
        db,
        workspace_id,
        CHANNEL,
        starts=date(2026, 11, 30),
        ends=date(2026, 12, 11),
        name="Sprint 9",
        goal="Ship the NPS survey",
        links=[kr_id],
    )
    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    thread_text = " ".join(str(c.args["blocks"]) for c in channel_posts(emulator, CHANNEL)[1:])
    assert (
        "Ship the NPS survey" in thread_text and "aligned" in thread_text and "not aligned" not in thread_text
    )


def test_digest_removed_from_channel_disables_the_schedule_and_tells_the_setter(db, emulator):
    from bot.jobs.digest import channel_digests
    from tests.conftest import CHANNEL

    workspace_id = make_channel_with_objectives(db, emulator)
    make_schedule(
        db,
        workspace_id,
        ScheduleKind.DIGEST,
        channel_id=CHANNEL,
        weekday=5,
        time_of_day="16:00",
        timezone="Europe/London",
        set_by=CAROL,
    )
    emulator.update_channel(CHANNEL, is_member=False)
    report = channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert report.channels_disabled == 1 and report.sent == 0
    with db.session() as session:
        schedule = session.scalars(select(Schedule).where(Schedule.kind == ScheduleKind.DIGEST)).one()
    assert schedule.enabled is False and "not_in_channel" in schedule.paused_reason
    [dm] = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CAROL]
    assert "switched off" in dm.args["text"] and CHANNEL in dm.args["text"]
    # The clock keeps going, and the channel is not tried again next week.
    emulator.clear()
    channel_digests(db, clients(emulator), FRIDAY_LONDON + timedelta(days=7))
    assert emulator.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived"])
def test_digest_channel_gone_on_the_default_schedule_tells_the_objective_owner(db, emulator, error):
    from bot.jobs.digest import channel_digests
    from tests.conftest import CHANNEL

    make_channel_with_objectives(db, emulator)
    emulator.fail("chat.postMessage", error, where=lambda c: c.args.get("channel") == CHANNEL)
    report = channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert report.channels_disabled == 1
    with db.session() as session:
        schedule = session.scalars(select(Schedule)).one()
    assert schedule.enabled is False and schedule.channel_id == CHANNEL
    assert [c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True)] == [ALICE]


def test_digest_statements_per_channel_do_not_grow_with_data(db, emulator):
    from bot.jobs.digest import channel_digests
    from tests.slack.emulator import MESSAGE_BLOCKS_TEXT_MAX, blocks_text_length

    third_team, third_token = "T0THIRD3", "xoxb-test-third"
    emulator.add_token(third_token, third_team)
    client_for = clients(emulator)
    third = build_clock_client(third_token, emulator.base_url)

    def statements(objectives, key_results, team, channel):
        emulator.add_channel(channel, team, name=channel.lower())
        make_channel_with_objectives(
            db, emulator, objectives=objectives, key_results=key_results, channel=channel, team_id=team
        )
        with count_statements(db) as counter:
            channel_digests(
                db, lambda w: third if w.team_id == third_team else client_for(w), FRIDAY_LONDON, team_id=team
            )
        return [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]

    small = statements(1, 1, TEAM, "C0SMALL")
    big = statements(45, 6, OTHER_TEAM, "C0BIG")
    bigger = statements(90, 6, third_team, "C0BIGGER")
    # Past the objectives a digest shows, one statement counts the rest; then no more, however many.
    assert len(big) == len(small) + 1 == len(bigger)
    posts = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == "C0BIG"]
    # The parent, then its thread split as Slack's limits need: 50 blocks, ~12,000 characters of text.
    assert len(posts) >= 2 and all(len(c.args["blocks"]) <= 50 for c in posts)
    assert all(blocks_text_length(c.args["blocks"]) <= MESSAGE_BLOCKS_TEXT_MAX for c in posts)
    assert "more objective" in str(posts[0].args["blocks"])
    assert emulator.violations == []


def test_digest_at_the_channels_own_time_and_the_post_now_command_path(db, emulator):
    from bot.jobs.digest import channel_digests, post_digest_now
    from tests.conftest import CHANNEL

    workspace_id = make_channel_with_objectives(db, emulator)
    make_schedule(
        db,
        workspace_id,
        ScheduleKind.DIGEST,
        channel_id=CHANNEL,
        weekday=1,
        time_of_day="09:00",
        timezone="Pacific/Auckland",
        set_by=ALICE,
    )
    channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert channel_posts(emulator, CHANNEL) == []
    channel_digests(db, clients(emulator), at("2026-12-06T20:01:00+00:00"))  # Monday 09:01 NZDT
    assert len(channel_posts(emulator, CHANNEL)) == 2  # the parent and the details
    client = build_clock_client(TOKEN, emulator.base_url)
    result = post_digest_now(db, client, workspace_id, CHANNEL, requested_by=ALICE)
    assert result.posted and len(channel_posts(emulator, CHANNEL)) == 4


# --- sprint prompts, nudges, cycle prompts ----------------------------------------------------------


def test_sprint_prompt_on_the_last_day_of_the_sprint(db, emulator):
    from bot.jobs.sprint_prompts import sprint_prompts
    from tests.conftest import CHANNEL

    workspace_id = make_channel_with_objectives(db, emulator, objectives=1, checkins=False)
    make_sprint(db, workspace_id, CHANNEL, starts=date(2026, 11, 23), ends=date(2026, 12, 4))
    sprint_prompts(db, clients(emulator), at("2026-12-04T09:59:00+00:00"))
    assert channel_posts(emulator, CHANNEL) == []
    report = sprint_prompts(db, clients(emulator), at("2026-12-04T10:01:00+00:00"))
    assert report.sent == 1
    [prompt] = channel_posts(emulator, CHANNEL)
    elements = [
        e
        for b in prompt.args["blocks"]
        for e in ([b.get("accessory")] if b.get("accessory") else []) + b.get("elements", [])
    ]
    assert {"plan_sprint", "review_sprint"} <= {e.get("action_id") for e in elements}
    assert "Ship it" in prompt.args["text"]
    # The day in the one date style: the plain day in the notification, Slack's token in the blocks.
    assert " ends Fri 4 Dec 2026." in prompt.args["text"] and "<!date" not in prompt.args["text"]
    assert (
        " ends <!date^1796385600^{date_short_pretty}|Fri 4 Dec 2026>.*"
        in prompt.args["blocks"][0]["text"]["text"]
    )
    sprint_prompts(db, clients(emulator), at("2026-12-04T10:30:00+00:00"))
    assert len(channel_posts(emulator, CHANNEL)) == 1


def test_sprint_cadence_without_a_sprint(db, emulator):
    from bot.jobs.sprint_prompts import sprint_prompts
    from tests.conftest import CHANNEL

    workspace_id = make_workspace(db)
    # Set on Wednesday 25 November (week 48): 2-week sprints, prompt on Friday of the 2nd week.
    make_schedule(
        db,
        workspace_id,
        ScheduleKind.SPRINT,
        channel_id=CHANNEL,
        weekday=5,
        time_of_day="10:00",
        timezone="Europe/London",
        length_weeks=2,
        set_by=ALICE,
        updated_at=datetime(2026, 11, 25, 12),
    )
    sprint_prompts(db, clients(emulator), at("2026-11-27T10:01:00+00:00"))
    assert channel_posts(emulator, CHANNEL) == []
    sprint_prompts(db, clients(emulator), at("2026-12-04T10:01:00+00:00"))
    assert len(channel_posts(emulator, CHANNEL)) == 1
    sprint_prompts(db, clients(emulator), at("2026-12-11T10:01:00+00:00"))
    assert len(channel_posts(emulator, CHANNEL)) == 1
    sprint_prompts(db, clients(emulator), at("2026-12-18T10:01:00+00:00"))
    assert len(channel_posts(emulator, CHANNEL)) == 2


def test_unaligned_sprint_nudged_once_mid_sprint(db, emulator):
    from bot.jobs.nudges import alignment_nudges
    from tests.conftest import CHANNEL

    workspace_id = make_channel_with_objectives(db, emulator, objectives=1, checkins=False)
    with db.session() as session:
        kr_id = session.scalars(select(KeyResult.id)).first()
    # Monday 30 November to Wednesday 9 December: the middle day is Friday 4 December.
    make_sprint(db, workspace_id, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 9))
    emulator.add_channel("C0ALIGNED", TEAM)
    make_sprint(
        db,
        workspace_id,
        "C0ALIGNED",
        starts=date(2026, 11, 30),
        ends=date(2026, 12, 9),
        number=2,
        links=[kr_id],
    )
    for moment in ("2026-12-04T09:00:00+00:00", "2026-12-04T10:01:00+00:00", "2026-12-04T12:00:00+00:00"):
        alignment_nudges(db, clients(emulator), at(moment))
    posts = emulator.calls_to("chat.postMessage", ok=True)
    assert [c.args["channel"] for c in posts] == [CHANNEL]
    assert "serves no key result" in posts[0].args["text"]


def test_key_result_off_track_twice_and_unserved_gets_a_weekly_dm(db, emulator):
    from bot.jobs.nudges import alignment_nudges

    workspace_id = make_workspace(db)
    objective = make_objective(db, workspace_id, ALICE)
    lagging = make_key_result(db, workspace_id, objective, ALICE, title="Lagging")
    served = make_key_result(db, workspace_id, objective, ALICE, title="Served")
    fine = make_key_result(db, workspace_id, objective, ALICE, title="Fine")
    for kr_id in (lagging, served):
        make_check_ins(
            db,
            workspace_id,
            kr_id,
            ALICE,
            [(datetime(2026, 11, 16, 9), 1.0, ""), (datetime(2026, 11, 30, 9), 2.0, "")],
        )
    make_check_ins(
        db,
        workspace_id,
        fine,
        ALICE,
        [(datetime(2026, 11, 16, 9), 60.0, ""), (datetime(2026, 11, 30, 9), 70.0, "")],
    )
    emulator.add_channel("C0TEAM", TEAM)
    make_sprint(
        db, workspace_id, "C0TEAM", starts=date(2026, 11, 30), ends=date(2026, 12, 11), links=[served]
    )
    # Alice switched her weekly reminder off, so the nudge comes on its own (else it rides in the
    # reminder: tests/e2e/test_reminder_prefs.py).
    with db.session() as session:
        session.add(PersonPreference(workspace_id=workspace_id, user_id=ALICE, muted="checkin"))
    alignment_nudges(db, clients(emulator), at("2026-12-02T10:05:00+00:00"))  # Wednesday 10:05 London
    dms_sent = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ALICE]
    assert len(dms_sent) == 1
    assert (
        "Lagging" in dms_sent[0].args["text"]
        and "Served" not in dms_sent[0].args["text"]
        and "Fine" not in dms_sent[0].args["text"]
    )
    alignment_nudges(db, clients(emulator), at("2026-12-02T11:05:00+00:00"))
    assert len([c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == ALICE]) == 1


def test_cycle_prompts(db, emulator):
    from bot.jobs.cycle_prompts import cycle_prompts
    from storage.models import Kra

    workspace_id = make_workspace(db, holiday_country="GB")
    with db.session() as session:
        session.add(
            Kra(
                workspace_id=workspace_id,
                number=1,
                title="Customer satisfaction",
                owner_id=BOB,
                created_by=BOB,
            )
        )
    make_objective(db, workspace_id, ALICE, cycle="2026-Q4")
    # 1 January 2027 is a holiday (and a Friday): the first working day of 2027-Q1 is Monday 4 January.
    cycle_prompts(db, clients(emulator), at("2027-01-01T15:05:00+00:00"))
    assert dms(emulator)[BOB] == 0
    cycle_prompts(db, clients(emulator), at("2027-01-04T15:05:00+00:00"))  # 10:05 in New York
    assert dms(emulator)[BOB] == 1
    assert "/kra review" in emulator.calls_to("chat.postMessage", ok=True)[-1].args["text"]
    # The last week of 2026-Q4 starts Friday 25 December, Christmas; Boxing Day's substitute is
    # Monday 28 December: the prompt goes out Tuesday 29 December, 10:00 London.
    cycle_prompts(db, clients(emulator), at("2026-12-28T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 0
    cycle_prompts(db, clients(emulator), at("2026-12-29T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 1
    closing = emulator.calls_to("chat.postMessage", ok=True)[-1].args
    assert "/okr close" in closing["text"]
    assert "2026-Q4 ends Thu 31 Dec 2026: time to close" in closing["text"]
    assert (
        "ends <!date^1798718400^{date_short_pretty}|Thu 31 Dec 2026>: time to close"
        in closing["blocks"][0]["text"]["text"]
    )
    cycle_prompts(db, clients(emulator), at("2026-12-29T11:05:00+00:00"))
    assert dms(emulator)[ALICE] == 1


def test_a_reminder_with_very_many_key_results_fits_slacks_limits(db, emulator):
    workspace_id = make_workspace(db)
    objective = make_objective(db, workspace_id, ALICE, title="<!channel> " + "x" * 139)
    for n in range(80):
        make_key_result(db, workspace_id, objective, ALICE, title=f"@here & <b>{n}</b> " + "y" * 120)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    [dm] = emulator.calls_to("chat.postMessage", ok=True)
    assert len(dm.args["blocks"]) <= 50
    assert "more" in str(dm.args["blocks"][-2])
    assert "<!channel>" not in str(dm.args["blocks"]) and "@here" not in dm.args["text"].replace(
        "@\u200bhere", ""
    )
    assert emulator.violations == []


def test_every_scheduled_message_builder_fits_at_any_size():
    from types import SimpleNamespace

    from bot.domain.cycles import parse_cycle
    from bot.ui import posts as posts_ui
    from bot.ui import prompts as prompts_ui
    from bot.ui import schedules as schedules_ui
    from tests.slack import message_errors

    krs = [
        SimpleNamespace(
            number=n,
            title="t" * 150,
            kind="metric",
            current_value=5.0,
            start_value=0.0,
            target_value=10.0,
            unit="%",
            owner_id=f"U{n:04d}",
            last_checkin_at=None,
            objective=None,
        )
        for n in range(300)
    ]
    objectives = [SimpleNamespace(number=n, title="o" * 150) for n in range(300)]
    for message in (
        prompts_ui.off_track_nudge(krs),
        prompts_ui.close_cycle_prompt(parse_cycle("2026-Q4"), objectives),
        prompts_ui.kra_review_prompt(parse_cycle("2027-Q1")),
        schedules_ui.schedule_disabled("digest", "C0X", "not_in_channel"),
    ):
        assert message_errors(message) == [], message_errors(message)
    lines = [f"line {n} " + "z" * 900 for n in range(500)]
    blocks = posts_ui.pack(lines, max_blocks=50, overflow="…and {count} more.")
    assert len(blocks) <= 50 and "more" in str(blocks[-1])
    assert message_errors({"text": "x", "blocks": blocks}) == []
