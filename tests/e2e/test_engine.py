"""The delivery engine (bot/jobs/engine.py) and its pacer (bot/jobs/pacing.py): workspaces in
parallel, each paced to its own rate, a 429 or a revoked token slowing or stopping only its own
workspace, and a unit that overruns holding back nothing else."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from bot.jobs.engine import Engine, Unit, units_for
from bot.jobs.pacing import Pacer
from bot.jobs.posting import build_clock_client
from bot.jobs.reminders import checkin_reminders
from bot.settings import DeliverySettings
from storage.models import DeliveryState
from tests.conftest import TEAM, TOKEN
from tests.factories import MONDAY_LONDON, deliveries, dms, make_owners_with_key_results, team_clients

# --- the pacer, on a clock of its own --------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_pacer_lets_a_seconds_burst_through_then_holds_the_rate():
    clock = FakeClock()
    pacer = Pacer(5, clock=clock)
    waits = [pacer.reserve("T1", "chat.postMessage") for _ in range(10)]
    assert waits[:5] == pytest.approx([0] * 5, abs=1e-9)
    assert waits[5:] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])


def test_the_pacer_keeps_workspaces_and_methods_apart():
    clock = FakeClock()
    pacer = Pacer(1, clock=clock)
    assert pacer.reserve("T1", "chat.postMessage") == 0
    assert pacer.reserve("T1", "chat.postMessage") == pytest.approx(1.0)
    assert pacer.reserve("T2", "chat.postMessage") == 0  # another workspace: its own bucket
    # users.info is Tier 4 (100 a minute, a minute's worth in a burst): not held by the posts.
    assert [pacer.reserve("T1", "users.info") for _ in range(100)] == [0] * 100
    assert pacer.reserve("T1", "users.info") == pytest.approx(0.6)


def test_a_429_pauses_that_workspace_and_method_only():
    clock = FakeClock()
    pacer = Pacer(50, clock=clock)
    pacer.back_off("T1", "chat.postMessage", 3.0)
    assert pacer.reserve("T1", "chat.postMessage") == pytest.approx(3.0)
    # After a 429, no burst: the calls queued behind it go at the sustained rate, in order.
    assert pacer.reserve("T1", "chat.postMessage") == pytest.approx(3.02)
    assert pacer.reserve("T2", "chat.postMessage") == 0
    assert pacer.reserve("T1", "users.info") == 0
    assert pacer.limited == 1


def test_the_pacer_wait_ends_when_told_to_stop():
    pacer = Pacer(0.1)
    stop = threading.Event()
    assert pacer.wait("T1", "chat.postMessage", stop)  # the first goes at once
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert not pacer.wait("T1", "chat.postMessage", stop)  # would have waited 10 s
    assert time.monotonic() - started < 5


# --- the engine against the emulator ----------------------------------------------------------------

TEAMS = [f"T0W{i}" for i in range(5)]


def workspaces_with_owners(db, emulator, teams, people: int) -> dict[str, list[str]]:
    owners = {}
    for n, team in enumerate(teams):
        emulator.add_token(f"xoxb-{team.lower()}", team, user_id=f"U0BOT{n}", bot_id=f"B0BOT{n}")
        owners[team] = [f"U{team[1:]}P{i:02d}" for i in range(people)]
        make_owners_with_key_results(db, emulator, owners[team], team=team)
    return owners


def engine_for(db, emulator, **config) -> Engine:
    settings = DeliverySettings(**{"posts_per_second": 50, **config})
    pacer = Pacer(settings.posts_per_second)
    return Engine(db, team_clients(emulator, pacer), settings, pacer=pacer)


def post_times(emulator, team: str) -> list[float]:
    return sorted(c.at for c in emulator.calls_to("chat.postMessage", ok=True) if c.team_id == team)


def test_workspaces_are_delivered_at_the_same_time_not_in_turn(db, emulator):
    owners = workspaces_with_owners(db, emulator, TEAMS, people=3)
    emulator.delay("chat.postMessage", 1.0)  # Slack answering each post a second late
    with engine_for(db, emulator, posts_in_flight=1) as engine:
        [report] = engine.run(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert report.sent == 15 and report.errors == []
    assert dms(emulator) == Counter({u: 1 for people in owners.values() for u in people})
    # In turn, the first post of the last workspace would arrive 12 s after the first of the first.
    # Together, every workspace's first post arrives before any answer comes back.
    firsts = sorted(post_times(emulator, team)[0] for team in TEAMS)
    assert firsts[-1] - firsts[0] < 0.9


_planning = {"now": 0, "most": 0}
_planning_lock = threading.Lock()


def counting_plan(context):
    """The reminders' planner, counting how many plans run at once."""
    from bot.jobs import reminders

    with _planning_lock:
        _planning["now"] += 1
        _planning["most"] = max(_planning["most"], _planning["now"])
    try:
        time.sleep(0.05)  # long enough for the others to pile up, were they let in
        return reminders.plan(context)
    finally:
        with _planning_lock:
            _planning["now"] -= 1


def test_a_process_plans_a_few_units_at_once_and_sends_them_all_together(db, emulator, monkeypatch):
    """Planning is CPU work: more plans at once than twice the cores only contend for the GIL
    (bench/REPORT.md). Sending, which waits on Slack, is not held to it."""
    import bot.jobs.engine as engine_module

    owners = workspaces_with_owners(db, emulator, TEAMS, people=2)
    monkeypatch.setattr(engine_module, "planning_slots", lambda: 2)
    monkeypatch.setitem(_planning, "most", 0)
    emulator.delay("chat.postMessage", 1.0)
    settings = DeliverySettings(posts_per_second=50, posts_in_flight=1)
    pacer = Pacer(settings.posts_per_second)
    kinds = {"checkin-reminders": "tests.e2e.test_engine:counting_plan"}
    with Engine(db, team_clients(emulator, pacer), settings, pacer=pacer, kinds=kinds) as engine:
        [report] = engine.run(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert report.sent == 10
    assert dms(emulator) == Counter({u: 1 for people in owners.values() for u in people})
    assert _planning["most"] == 2  # five workspaces, two plans at a time
    # Every workspace's first post still went out before any answer came back.
    firsts = sorted(post_times(emulator, team)[0] for team in TEAMS)
    assert firsts[-1] - firsts[0] < 0.9


def test_posts_in_one_workspace_go_at_its_rate(db, emulator):
    [team] = TEAMS[:1]
    workspaces_with_owners(db, emulator, [team], people=15)
    with engine_for(db, emulator, posts_per_second=5) as engine:
        [report] = engine.run(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert report.sent == 15
    times = post_times(emulator, team)
    # A second's burst (5), then one every 0.2 s: the last of 15 no sooner than 2 s after the first.
    assert times[-1] - times[0] >= 1.9
    assert emulator.rejected == []  # paced below Slack's limit, never refused


def test_a_429_slows_that_workspace_only(db, emulator):
    slow, fast = TEAMS[:2]
    owners = workspaces_with_owners(db, emulator, [slow, fast], people=8)
    emulator.rate_limit("chat.postMessage", per_second=2, burst=2, team=slow)
    settings = DeliverySettings(posts_per_second=50)
    pacer = Pacer(settings.posts_per_second)
    with Engine(db, team_clients(emulator, pacer), settings, pacer=pacer) as engine:
        [report] = engine.run(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert report.sent == 16 and report.failed == 0
    assert dms(emulator) == Counter({u: 1 for people in owners.values() for u in people})
    assert pacer.limited >= 1  # the slow workspace's 429s reached its bucket
    assert all(c.team_id == slow for c in emulator.rejected)
    # The fast workspace was done before the slow one had half of its posts out.
    assert post_times(emulator, fast)[-1] < post_times(emulator, slow)[3]


def test_a_revoked_token_mid_run_skips_that_workspace_and_delivers_the_others(db, emulator):
    gone, *others = TEAMS[:3]
    owners = workspaces_with_owners(db, emulator, [gone, *others], people=6)
    posted = Counter()

    def revoke_after_two(call):
        if call.team_id == gone:
            posted[gone] += 1
            if posted[gone] == 2:
                emulator.revoke_token(f"xoxb-{gone.lower()}")
        return False

    emulator.delay("chat.postMessage", 0, where=revoke_after_two)
    with engine_for(db, emulator, posts_in_flight=1) as engine:
        [report] = engine.run(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert report.errors == [f"{gone}: token_revoked"]
    for team in others:
        assert sum(dms(emulator)[u] for u in owners[team]) == 6
    sent_in_gone = sum(dms(emulator)[u] for u in owners[gone])
    assert sent_in_gone <= 2
    # Nothing after the refusal was attempted, and the refused post's claim was released.
    refused = [c for c in emulator.calls_to("chat.postMessage") if c.team_id == gone and not c.ok]
    assert len(refused) == 1
    states = Counter(d.state for d in deliveries(db, "checkin") if d.target in owners[gone])
    assert states == Counter({DeliveryState.SENT: sent_in_gone})


def test_a_unit_that_overruns_holds_back_neither_other_kinds_nor_the_next_tick(db, emulator):
    from tests.conftest import CHANNEL
    from tests.factories import FRIDAY_LONDON, make_channel_with_objectives

    make_channel_with_objectives(db, emulator)
    make_owners_with_key_results(db, emulator, ["U0LATE1"])
    # Slack takes 3 s to answer the digest's parent message.
    emulator.delay(
        "chat.postMessage",
        3.0,
        where=lambda c: c.args.get("channel") == CHANNEL and not c.args.get("thread_ts"),
    )
    with engine_for(db, emulator) as engine:
        [digest] = engine.submit([Unit("digest", TEAM, FRIDAY_LONDON)])
        # The next tick: the same digest is still running, so it is not started twice.
        assert engine.submit([Unit("digest", TEAM, FRIDAY_LONDON + timedelta(minutes=1))]) == []
        # Another kind of the same workspace is not held back by it.
        [reminders] = engine.submit([Unit("checkin-reminders", TEAM, MONDAY_LONDON)])
        # U0LATE1's, and Alice's: checked in, but her key results are off track twice and no
        # sprint serves them, which her weekly reminder says (bot/jobs/weekly.py).
        assert reminders.result(timeout=10).sent == 2
        assert not digest.done()
        assert digest.result(timeout=20).sent == 1
        # Once it is done, the next tick may plan it again (and finds it sent).
        [later] = engine.submit([Unit("digest", TEAM, FRIDAY_LONDON + timedelta(minutes=2))])
        assert later.result(timeout=10).sent == 0


def test_run_kind_waits_and_reports_like_before(db, emulator):
    owners = workspaces_with_owners(db, emulator, TEAMS[:2], people=4)
    client_for = team_clients(emulator)
    report = checkin_reminders(db, client_for, MONDAY_LONDON)
    assert report.kind == "checkin" and report.sent == 8
    assert dms(emulator) == Counter({u: 1 for people in owners.values() for u in people})
    again = checkin_reminders(db, client_for, MONDAY_LONDON + timedelta(minutes=1))
    assert again.sent == 0 and again.already == 0  # claimed keys are set aside before any claim


def test_units_split_into_batches_that_together_hold_every_post_once(db, emulator):
    from bot.jobs.delivery import Key

    unit = Unit("checkin-reminders", "T1", MONDAY_LONDON)
    batches = unit.split(4)
    keys = [Key("checkin", 1, f"U{i:05d}", "2026-W49") for i in range(1000)]
    holders = Counter(sum(b.holds(k) for b in batches) for k in keys)
    assert holders == Counter({1: 1000})
    sizes = [sum(b.holds(k) for k in keys) for b in batches]
    assert min(sizes) > 200  # roughly even
    assert Unit.from_message(batches[2].to_message()) == batches[2]
    assert batches[2].id == "checkin-reminders/T1/2026-11-30T10:05/-/3of4"


def test_a_digest_whose_thread_slack_refuses_is_reported_failed_not_sent(db, emulator):
    from bot.jobs.digest import channel_digests
    from tests.conftest import CHANNEL
    from tests.factories import FRIDAY_LONDON, clients, make_channel_with_objectives

    make_channel_with_objectives(db, emulator)
    emulator.fail("chat.postMessage", "msg_blocks_too_long", where=lambda c: bool(c.args.get("thread_ts")))
    report = channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert report.sent == 0 and report.failed == 1, report
    [row] = deliveries(db, "digest")
    assert row.state == DeliveryState.FAILED and "msg_blocks_too_long" in row.detail["error"]
    # Not sent again: the parent is out; a second run says it was dealt with.
    emulator.clear_faults()
    again = channel_digests(db, clients(emulator), FRIDAY_LONDON + timedelta(minutes=1))
    assert again.sent == 0
    assert (
        len(
            [
                c
                for c in emulator.calls_to("chat.postMessage", ok=True)
                if c.args.get("channel") == CHANNEL and not c.args.get("thread_ts")
            ]
        )
        == 1
    )


def test_a_rerun_says_what_an_earlier_run_sent(db, emulator):
    from tests.factories import clients

    make_owners_with_key_results(db, emulator, ["U0EARLY1", "U0EARLY2"])
    first = checkin_reminders(db, clients(emulator), MONDAY_LONDON)
    assert str(first) == "checkin: 2 sent, 0 already done"
    again = checkin_reminders(db, clients(emulator), MONDAY_LONDON + timedelta(minutes=1))
    assert again.sent == 0 and again.earlier == 2
    assert str(again) == "checkin: 0 sent, 2 sent by an earlier run"


def test_digest_now_says_when_part_of_its_thread_was_refused(db, emulator):
    from bot.jobs.digest import DigestNow, post_digest_now
    from tests.conftest import CHANNEL
    from tests.factories import make_channel_with_objectives

    workspace_id = make_channel_with_objectives(db, emulator)
    emulator.fail("chat.postMessage", "msg_blocks_too_long", where=lambda c: bool(c.args.get("thread_ts")))
    client = build_clock_client(TOKEN, emulator.base_url)
    result = post_digest_now(db, client, workspace_id, CHANNEL, requested_by="U0ALICE")
    assert result.outcome == DigestNow.POSTED_IN_PART and result.error == "msg_blocks_too_long"
    assert result.refused_replies >= 1
