"""Scheduled jobs through the Slack emulator, called directly with a chosen `now`: at most once,
late runs, rate limits, people and channels that are gone, crashes mid-fan-out."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.jobs import delivery
from bot.jobs.posting import build_clock_client
from bot.jobs.reminders import checkin_reminders, is_away
from storage.models import (
    CheckIn,
    Delivery,
    DeliveryState,
    KeyResult,
    Member,
    Objective,
    Schedule,
    ScheduleKind,
    Workspace,
)
from tests.conftest import ALICE, BOB, CAROL, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN, count_statements

# Monday 30 November 2026, 10:05 in London (UTC in winter).
MONDAY_LONDON = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- helpers shared by the scheduler's test modules ------------------------------------------------


def clients(emulator, stop: threading.Event | None = None):
    """client_for(workspace): the clock's client (20 rate-limit retries) with that team's token."""
    built = {
        TEAM: build_clock_client(TOKEN, emulator.base_url, stop=stop),
        OTHER_TEAM: build_clock_client(OTHER_TOKEN, emulator.base_url, stop=stop),
    }
    return lambda workspace: built[workspace.team_id]


def make_workspace(db, team_id: str = TEAM, **fields) -> int:
    with db.session() as session:
        workspace = Workspace(team_id=team_id, **fields)
        session.add(workspace)
        session.flush()
        return workspace.id


_numbers: Counter = Counter()


def make_objective(db, workspace_id: int, owner: str, *, channel: str | None = None, cycle="2026-Q4", **fields) -> int:
    with db.session() as session:
        number = _next(session, workspace_id, Objective)
        objective = Objective(
            workspace_id=workspace_id,
            number=number,
            title=fields.pop("title", f"Objective {number}"),
            owner_id=owner,
            cycle=cycle,
            channel_id=channel,
            created_by=owner,
            **fields,
        )
        session.add(objective)
        session.flush()
        return objective.id


def make_key_result(db, workspace_id: int, objective_id: int, owner: str, **fields) -> int:
    with db.session() as session:
        number = _next(session, workspace_id, KeyResult)
        kr = KeyResult(
            workspace_id=workspace_id,
            objective_id=objective_id,
            number=number,
            title=fields.pop("title", f"Key result {number}"),
            owner_id=owner,
            start_value=fields.pop("start_value", 0.0),
            target_value=fields.pop("target_value", 100.0),
            **fields,
        )
        session.add(kr)
        session.flush()
        return kr.id


def _next(session, workspace_id, model) -> int:
    from sqlalchemy import func

    return (session.scalar(select(func.max(model.number)).where(model.workspace_id == workspace_id)) or 0) + 1


def owners_with_key_results(db, emulator, user_ids, *, team=TEAM, tz="Europe/London", **user_fields) -> int:
    """A workspace where each user owns one active key result; returns the workspace id."""
    with db.session() as session:
        existing = session.scalar(select(Workspace).where(Workspace.team_id == team))
        workspace_id = existing.id if existing else None
    if workspace_id is None:
        workspace_id = make_workspace(db, team)
    objective_id = make_objective(db, workspace_id, user_ids[0] if user_ids else ALICE)
    for user_id in user_ids:
        if user_id not in (ALICE, BOB, CAROL):
            emulator.add_user(user_id, team, tz=tz, **user_fields)
        make_key_result(db, workspace_id, objective_id, user_id)
    return workspace_id


def dms(emulator, ok: bool = True) -> Counter:
    """Successful chat.postMessage calls per target (a user id for DMs)."""
    return Counter(c.args.get("channel") for c in emulator.calls_to("chat.postMessage", ok=ok))


def deliveries(db, kind: str | None = None) -> list[Delivery]:
    with db.session() as session:
        query = select(Delivery).order_by(Delivery.id)
        if kind:
            query = query.where(Delivery.kind == kind)
        return list(session.scalars(query))


# --- the check-in reminder --------------------------------------------------------------------------


def test_each_owner_is_reminded_at_ten_their_own_time(db, emulator, caplog):
    owners_with_key_results(db, emulator, [ALICE, BOB, CAROL])  # London, New York, Tokyo
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
    assert [b["action_id"] for b in buttons] == ["open_checkin"]

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
    owners_with_key_results(db, emulator, ["U0AKL"], tz="Pacific/Auckland")
    owners_with_key_results(db, emulator, ["U0TBU"], tz="Pacific/Tongatapu")
    owners_with_key_results(db, emulator, ["U0HNL"], tz="Pacific/Honolulu")
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
    with db.session() as session:
        session.add(Schedule(workspace_id=workspace_id, kind=ScheduleKind.CHECKIN, weekday=7, time_of_day="10:00", set_by=ALICE))
    objective = make_objective(db, workspace_id, BOB)
    make_key_result(db, workspace_id, objective, BOB)  # America/New_York
    emulator.add_user("U0BER", TEAM, tz="Europe/Berlin")
    make_key_result(db, workspace_id, objective, "U0BER")

    checkin_reminders(db, clients(emulator), at("2026-10-25T09:00:00+00:00"))  # 10:00 CET, after fall-back
    assert dms(emulator) == Counter({"U0BER": 1})
    checkin_reminders(db, clients(emulator), at("2026-11-01T14:59:00+00:00"))  # 09:59 EST: not yet
    assert dms(emulator)[BOB] == 0
    checkin_reminders(db, clients(emulator), at("2026-11-01T15:00:00+00:00"))  # 10:00 EST
    assert dms(emulator)[BOB] == 1


def test_a_run_five_hours_late_sends_seven_hours_late_skips_and_logs(db, emulator, caplog):
    owners_with_key_results(db, emulator, [ALICE])
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
    workspace_id = owners_with_key_results(db, emulator, [ALICE, BOB])
    with db.session() as session:
        krs = {kr.owner_id: kr for kr in session.scalars(select(KeyResult))}
        # Alice checked in on Monday 00:30 London time; Bob last did so on Sunday night New York time.
        krs[ALICE].last_checkin_at = datetime(2026, 11, 30, 0, 30)
        krs[BOB].last_checkin_at = datetime(2026, 11, 30, 4, 59)  # Sunday 23:59 EST
        session.add(CheckIn(workspace_id=workspace_id, key_result_id=krs[ALICE].id, value=10, author_id=ALICE))
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
    owners_with_key_results(db, emulator, ["U0AWAY", "U0HERE"], status_text="", status_emoji="")
    emulator.update_user("U0AWAY", **fields)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({"U0HERE": 1}), reason


def test_nobody_reminded_while_paused(db, emulator):
    workspace_id = owners_with_key_results(db, emulator, [ALICE, "U0PAUSED", "U0BACK"])
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
    owners_with_key_results(db, emulator, ["U0GONE", "U0STAY"])
    emulator.fail("chat.postMessage", "account_inactive", where=lambda c: c.args.get("channel") == "U0GONE")
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({"U0STAY": 1})
    assert report.skipped == 1 and report.sent == 1
    states = {d.target: d.state for d in deliveries(db, "checkin")}
    assert states == {"U0GONE": DeliveryState.SKIPPED, "U0STAY": DeliveryState.SENT}


def test_user_not_found_on_users_info_means_gone(db, emulator):
    owners_with_key_results(db, emulator, ["U0STAY"])
    with db.session() as session:
        objective = session.scalars(select(Objective)).first()
        make_key_result(db, objective.workspace_id, objective.id, "U0NOBODY")  # not in Slack at all
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({"U0STAY": 1})
    assert report.errors == []


def test_any_other_error_is_logged_and_the_rest_goes_on(db, emulator):
    users = [f"U0P{i:02d}" for i in range(5)]
    owners_with_key_results(db, emulator, users)
    emulator.fail("chat.postMessage", "internal_error", where=lambda c: c.args.get("channel") == users[2])
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert report.failed == 1 and report.sent == 4
    assert dms(emulator) == Counter({u: 1 for u in users if u != users[2]})
    # A failed post is not retried (it might have half-happened): at most once.
    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=1))
    assert dms(emulator)[users[2]] == 0


def test_a_disabled_checkin_schedule_sends_nothing(db, emulator):
    workspace_id = owners_with_key_results(db, emulator, [ALICE])
    with db.session() as session:
        session.add(
            Schedule(workspace_id=workspace_id, kind=ScheduleKind.CHECKIN, weekday=1, time_of_day="10:00", set_by=ALICE, enabled=False)
        )
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter()


def test_a_custom_checkin_time(db, emulator):
    workspace_id = owners_with_key_results(db, emulator, [ALICE])
    with db.session() as session:
        session.add(Schedule(workspace_id=workspace_id, kind=ScheduleKind.CHECKIN, weekday=2, time_of_day="09:30", set_by=ALICE))
    checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter()
    checkin_reminders(db, clients(emulator), at("2026-12-01T09:31:00+00:00"))
    assert dms(emulator) == Counter({ALICE: 1})


def test_workspaces_never_meet(db, emulator):
    owners_with_key_results(db, emulator, [ALICE])
    emulator.add_user("U0MALLO", OTHER_TEAM, tz="Europe/London")
    owners_with_key_results(db, emulator, ["U0MALLO"], team=OTHER_TEAM)
    checkin_reminders(db, clients(emulator), MONDAY_LONDON, team_id=OTHER_TEAM)
    assert dms(emulator) == Counter({"U0MALLO": 1})
    [call] = emulator.calls_to("chat.postMessage", ok=True)
    assert call.token == OTHER_TOKEN


# --- at most once, under pressure ---------------------------------------------------------------------


def test_two_concurrent_runners_post_each_reminder_once(db, emulator):
    users = [f"U0C{i:02d}" for i in range(12)]
    owners_with_key_results(db, emulator, users)
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


def test_killed_mid_fan_out_then_rerun_sends_the_rest_none_twice(db, emulator):
    users = [f"U0K{i:02d}" for i in range(10)]
    owners_with_key_results(db, emulator, users)
    stop = threading.Event()

    class Stopper:
        """A client that asks the job to stop after 4 posts, as SIGTERM would."""

        def __init__(self, client):
            self.client, self.posts = client, 0

        def __getattr__(self, name):
            return getattr(self.client, name)

        def chat_postMessage(self, **kwargs):
            answer = self.client.chat_postMessage(**kwargs)
            self.posts += 1
            if self.posts == 4:
                stop.set()
            return answer

    real = clients(emulator)
    report = checkin_reminders(db, lambda ws: Stopper(real(ws)), MONDAY_LONDON, stop=stop)
    assert report.stopped and report.sent == 4
    assert sum(dms(emulator).values()) == 4

    checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=1))
    assert dms(emulator) == Counter({u: 1 for u in users})


class Killed(BaseException):
    """The process dying mid-post (not an Exception: nothing catches it)."""


def test_a_crash_between_claim_and_post_leaves_that_one_in_doubt_and_never_resent(db, emulator, caplog):
    users = [f"U0D{i:02d}" for i in range(6)]
    owners_with_key_results(db, emulator, users)

    class CrashOnThird:
        def __init__(self, client):
            self.client, self.calls = client, 0

        def __getattr__(self, name):
            return getattr(self.client, name)

        def chat_postMessage(self, **kwargs):
            self.calls += 1
            if self.calls == 3:
                raise Killed()  # claimed, never posted
            return self.client.chat_postMessage(**kwargs)

    real = clients(emulator)
    with pytest.raises(Killed):
        checkin_reminders(db, lambda ws: CrashOnThird(real(ws)), MONDAY_LONDON)
    assert sum(dms(emulator).values()) == 2
    in_doubt = [d for d in deliveries(db, "checkin") if d.state == DeliveryState.CLAIMED]
    assert len(in_doubt) == 1

    # The restart, 20 minutes later: the rest goes out, the one in doubt is logged, not resent.
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
    owners_with_key_results(db, emulator, users)
    emulator.rate_limit("chat.postMessage", every=5, retry_after=1)
    report = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({u: 1 for u in users})
    assert report.sent == 12 and report.failed == 0
    assert len([c for c in emulator.rejected if c.method == "chat.postMessage"]) >= 2


def test_the_number_of_queries_does_not_grow_with_people(db, emulator):
    def selects_for(users, team, token_team_users):
        owners_with_key_results(db, emulator, users, team=team)
        # First run fills the users.info cache; measure a later, cached run with fresh keys.
        checkin_reminders(db, clients(emulator), at("2026-11-29T08:00:00+00:00"), team_id=team)
        with count_statements(db) as counter:
            checkin_reminders(db, clients(emulator), MONDAY_LONDON, team_id=team)
        return [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]

    few = selects_for([f"U0F{i:02d}" for i in range(2)], TEAM, None)
    emulator.add_token("xoxb-third", "T0THIRD")
    many = selects_for([f"U0M{i:02d}" for i in range(20)], OTHER_TEAM, None)
    assert len(few) == len(many) <= 6


def test_claim_is_exclusive_and_mark_records_the_outcome(db):
    workspace_id = make_workspace(db)
    assert delivery.claim(db, "checkin", workspace_id, ALICE, "2026-W49") is True
    assert delivery.claim(db, "checkin", workspace_id, ALICE, "2026-W49") is False
    assert delivery.claim(db, "checkin", workspace_id, ALICE, "2026-W50") is True
    delivery.mark(db, "checkin", workspace_id, ALICE, "2026-W49", DeliveryState.SENT, {"ts": "1.2"})
    row = next(d for d in deliveries(db) if d.period == "2026-W49")
    assert row.state == DeliveryState.SENT and row.sent_at is not None and row.detail == {"ts": "1.2"}
