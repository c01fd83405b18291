"""Delivery on Celery workers (bot/jobs/distributed.py) over a real Redis broker: the clock
enqueues what is due, `northline worker` processes deliver it, and nothing is sent twice when
workers are killed, the broker restarts, or two clocks enqueue the same units.

Needs Redis (NORTHLINE_TEST_REDIS_URL, default redis://127.0.0.1:6379/9); skipped without it.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bot.jobs.distributed import Dispatcher, UnitRunner, celery_app, register_tasks
from bot.jobs.engine import Engine, Unit, units_for
from bot.jobs.pacing import Pacer
from bot.settings import DeliverySettings
from storage.models import Delivery, DeliveryState, DeliveryUnit
from tests.conftest import SIGNING_SECRET, TEAM, TOKEN
from tests.factories import MONDAY_LONDON, dms, make_people, single_token_env, team_clients

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("NORTHLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
AMQP_URL = os.environ.get("NORTHLINE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: no broker here
        return False


requires_redis = pytest.mark.skipif(
    not _redis_reachable(REDIS_URL), reason=f"no Redis at {REDIS_URL} (set NORTHLINE_TEST_REDIS_URL)"
)


def _amqp_reachable(url: str) -> bool:
    try:
        from kombu import Connection

        with Connection(url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:  # noqa: BLE001 - any failure means: no RabbitMQ here
        return False


BROKERS = [
    pytest.param(REDIS_URL, id="redis", marks=requires_redis),
    pytest.param(
        AMQP_URL,
        id="rabbitmq",
        marks=pytest.mark.skipif(
            not _amqp_reachable(AMQP_URL), reason=f"no RabbitMQ at {AMQP_URL} (set NORTHLINE_TEST_AMQP_URL)"
        ),
    ),
]


def delivery_settings(broker_url: str = REDIS_URL, **values) -> DeliverySettings:
    return DeliverySettings(
        broker_url=broker_url, queue=f"northline-test-{uuid.uuid4().hex[:10]}", unit_timeout=10, **values
    )


def worker_env(config: DeliverySettings, emulator, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "NORTHLINE_BROKER_URL": config.broker_url or "",
        "NORTHLINE_QUEUE": config.queue,
        "NORTHLINE_UNIT_TIMEOUT": str(config.unit_timeout),
        "NORTHLINE_POSTS_PER_SECOND": str(config.posts_per_second),
        "NORTHLINE_POSTS_IN_FLIGHT": str(config.posts_in_flight),
        **extra,
    }
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        env.pop(name, None)
    return env


class Workers:
    """`northline worker` processes, started and killed as a test needs."""

    def __init__(self, env: dict[str, str], tmp_path: Path):
        self.env = env
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main(['worker', '--concurrency', '4'])"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def alive(self) -> list[subprocess.Popen]:
        return [p for p in self.processes if p.poll() is None]

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp_path.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.alive():
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def dispatcher(db, emulator, config: DeliverySettings) -> Dispatcher:
    pacer = Pacer(config.posts_per_second)
    engine = Engine(db, team_clients(emulator, pacer), config, pacer=pacer)
    return Dispatcher(engine, celery_app(config))


def states(db) -> Counter:
    with db.session() as session:
        return Counter(session.scalars(select(Delivery.state).where(Delivery.kind == "checkin")).all())


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def purge_queue(config: DeliverySettings, *, delete: bool = False) -> None:
    """Empty the test's queue (declared first: RabbitMQ refuses to purge an unknown queue); at the
    end, delete it, so no test leaves a queue on a shared broker."""
    from kombu import Queue

    app = celery_app(config)
    with app.connection_for_write() as connection:
        queue = Queue(config.queue, routing_key=config.queue).bind(connection.default_channel)
        queue.declare()
        queue.purge()
        if delete:
            queue.delete()


# --- the clock's side, on its own ----------------------------------------------------------------


def test_the_clock_enqueues_only_units_with_posts_due_split_into_batches(db, emulator):
    make_people(db, emulator, 45)
    config = DeliverySettings(batch_size=20)
    engine = Engine(db, team_clients(emulator), config)
    sent = []
    fake = type(
        "App", (), {"send_task": lambda self, name, args, **kw: sent.append((name, args[0], kw["task_id"]))}
    )()
    units = units_for(db, ["checkin-reminders", "digest", "nudges"], MONDAY_LONDON)
    assert Dispatcher(engine, fake).dispatch(units) == 3  # 45 due reminders in 3 batches; nothing else
    assert {(m["kind"], m["batch"], m["batches"]) for _, m, _ in sent} == {
        ("checkin-reminders", b, 3) for b in range(3)
    }
    assert emulator.calls_to("chat.postMessage") == []  # the clock sends nothing itself
    engine.close()


def test_the_clock_enqueues_a_due_unit_before_it_has_planned_them_all(db, emulator):
    # With a thousand workspaces, planning every unit first kept the workers idle for 20 s.
    make_people(db, emulator, 3)
    engine = Engine(db, team_clients(emulator), DeliverySettings())
    sent = threading.Event()
    seen_while_planning = []

    def plan(unit, **options):
        if unit.kind == "nudges":  # the last unit waits for the first one's enqueue
            seen_while_planning.append(sent.wait(timeout=5))
        return Engine.plan(engine, unit, **options)

    engine.plan = plan
    fake = type("App", (), {"send_task": lambda self, *args, **kw: sent.set()})()
    units = units_for(db, ["checkin-reminders", "digest", "nudges"], MONDAY_LONDON)
    assert Dispatcher(engine, fake).dispatch(units) == 1
    assert seen_while_planning == [True]
    engine.close()


def test_a_broker_that_cannot_be_reached_is_logged_and_nothing_is_marked(db, emulator, caplog):
    make_people(db, emulator, 3)
    config = DeliverySettings(broker_url="redis://127.0.0.1:1/0", queue="northline-test-unreachable")
    caplog.set_level(logging.ERROR, logger="northline.jobs.distributed")
    started = time.monotonic()
    enqueued = dispatcher(db, emulator, config).dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert enqueued == 0
    assert time.monotonic() - started < 30  # the tick is not held for long
    assert any("broker is unreachable" in r.getMessage() for r in caplog.records)
    assert states(db) == Counter()  # nothing claimed: the next tick plans it all again


def test_a_workspace_is_held_by_one_runner_at_a_time(db, emulator):
    make_people(db, emulator, 2)
    config = DeliverySettings()
    engine = Engine(db, team_clients(emulator), config)
    # Both runners read one fixed clock, in storage's whole seconds: the lease's expiry written
    # by release() is then exactly the moment the next take() compares it with.
    now = MONDAY_LONDON.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    first = UnitRunner(engine, holder="one", clock=lambda: now)
    second = UnitRunner(engine, holder="two", clock=lambda: now)
    from storage.repositories import leases

    assert leases.take(db, TEAM, "one", now, now + timedelta(seconds=30))
    assert second.run(Unit("checkin-reminders", TEAM, MONDAY_LONDON)) is None  # busy: retried later
    leases.release(db, TEAM, "one", now)
    report = second.run(Unit("checkin-reminders", TEAM, MONDAY_LONDON))
    assert report is not None and report.sent == 2
    # The same unit handed out again (its ack lost, or a second clock): not run twice.
    again = first.run(Unit("checkin-reminders", TEAM, MONDAY_LONDON))
    assert again is not None and again.sent == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryUnit)) == 1
    engine.close()


def test_an_expired_lease_can_be_taken_over(db):
    from storage.repositories import leases

    now = datetime(2026, 11, 30, 10, 0)
    assert leases.take(db, "T1", "dead", now, now + timedelta(seconds=10))
    assert not leases.take(db, "T1", "alive", now + timedelta(seconds=5), now + timedelta(seconds=15))
    assert leases.take(db, "T1", "alive", now + timedelta(seconds=11), now + timedelta(seconds=21))
    assert not leases.renew(db, "T1", "dead", now + timedelta(seconds=30))


def test_a_unit_starts_and_ends_in_one_transaction_each(db):
    """start_unit: the look for a finish, the lease and the unit's record together; end_unit: the
    finish and the lease given back together."""
    from storage.repositories import leases
    from storage.repositories.leases import UnitStart

    now = datetime(2026, 11, 30, 10, 0)
    later = now + timedelta(seconds=30)
    begins = []

    def began(_connection) -> None:
        begins.append(1)

    event.listen(db.engine, "begin", began)
    try:
        assert leases.start_unit(db, "u1", "T1", "one", now, later) == UnitStart.RUN
        assert leases.start_unit(db, "u1", "T1", "two", now, later) == UnitStart.BUSY
        assert leases.start_unit(db, "u2", "T1", "two", now, later) == UnitStart.BUSY  # the workspace is held
        leases.end_unit(db, "u1", "T1", "one", now, done=True)
        assert len(begins) == 4
    finally:
        event.remove(db.engine, "begin", began)
    assert leases.start_unit(db, "u1", "T1", "two", now, later) == UnitStart.FINISHED  # not run twice
    assert leases.take(db, "T1", "three", now, later)  # a finished unit left the workspace free
    leases.release(db, "T1", "three", now)
    # A unit whose run failed (not done) is given back unfinished: it may run again.
    assert leases.start_unit(db, "u3", "T1", "two", now, later) == UnitStart.RUN
    leases.end_unit(db, "u3", "T1", "two", now, done=False)
    assert leases.start_unit(db, "u3", "T1", "four", now, later) == UnitStart.RUN


# --- real workers on a real Redis ------------------------------------------------------------------


@pytest.mark.parametrize("broker", BROKERS)
def test_workers_killed_at_random_points_send_nothing_twice_and_reach_everyone_once(
    db, emulator, database_url, tmp_path, broker
):
    people = make_people(db, emulator, 1000)
    emulator.delay("chat.postMessage", 0.05)  # Slack answers 50 ms after posting: kills land mid-post
    config = delivery_settings(broker, batch_size=100, posts_per_second=100, posts_in_flight=4)
    purge_queue(config)
    workers = Workers(worker_env(config, emulator, database_url), tmp_path)
    try:
        for _ in range(2):
            workers.start()
        clock = dispatcher(db, emulator, config)
        assert (
            clock.dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON)) == 10
        )  # 1,000 in 10 batches
        rng = random.Random(13)
        kills = 0
        for threshold in sorted(rng.sample(range(100, 800), 3)):
            wait_until(lambda t=threshold: sum(dms(emulator).values()) >= t, 120, f"{threshold} posts")
            victim = rng.choice(workers.alive())
            workers.kill(victim)  # SIGKILL: no warning, mid-unit, its claims in flight left in doubt
            kills += 1
            workers.start()
        # The killed workers' units come back once their visibility timeout passes; the next
        # ticks (the clock, a minute apart) plan whatever is still due.
        for minute in (1, 2):
            clock.dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON + timedelta(minutes=minute)))
        wait_until(
            lambda: (
                sum(states(db).values()) == 1000
            ),  # once every key is claimed, a late unit can send nothing
            180,
            "every person reached or in doubt",
        )
        assert max(dms(emulator).values()) == 1, "someone was sent a reminder twice"
        in_doubt = states(db)[DeliveryState.CLAIMED]
        # 15 minutes on (the claims made older), the next tick settles them: read back, then
        # marked sent if Slack had them, sent if it had not.
        age_claims(db, minutes=20)
        clock.dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON + timedelta(minutes=20)))
        wait_until(lambda: states(db)[DeliveryState.CLAIMED] == 0, 180, "every doubt settled")
    finally:
        workers.stop()
        purge_queue(config, delete=True)
    counts = dms(emulator)
    assert counts == Counter({person: 1 for person in people}), "not everybody reminded exactly once"
    assert states(db) == Counter({DeliveryState.SENT: len(people)})
    print(f"killed {kills} workers; {in_doubt} in doubt, all settled")


def age_claims(db, *, minutes: int) -> None:
    with db.session() as session:
        for row in session.scalars(select(Delivery).where(Delivery.state == DeliveryState.CLAIMED)):
            row.claimed_at = row.claimed_at - timedelta(minutes=minutes)


@pytest.mark.parametrize("broker", BROKERS)
def test_two_clocks_enqueueing_the_same_minute_run_each_unit_once(
    db, emulator, database_url, tmp_path, broker
):
    people = make_people(db, emulator, 60)
    config = delivery_settings(broker, batch_size=20, posts_per_second=100)
    purge_queue(config)
    units = units_for(db, ["checkin-reminders"], MONDAY_LONDON)
    # The leader enqueues, dies; the standby takes over within the same minute and enqueues again.
    assert dispatcher(db, emulator, config).dispatch(units) == 3
    assert dispatcher(db, emulator, config).dispatch(units) == 3
    workers = Workers(worker_env(config, emulator, database_url), tmp_path)
    try:
        workers.start()
        wait_until(lambda: states(db)[DeliveryState.SENT] == 60, 60, "60 reminders")
        wait_until(
            lambda: workers.logs().count("already ran; not again") == 3, 30, "the copies to be set aside"
        )
    finally:
        workers.stop()
        purge_queue(config, delete=True)
    assert dms(emulator) == Counter({u: 1 for u in people})
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryUnit)) == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(port: int, tmp_path: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _redis_reachable(f"redis://127.0.0.1:{port}/0"), 10, "redis-server to start")
    return process


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server program to restart a broker"
)
def test_the_broker_restarted_mid_run_loses_nothing_and_sends_nothing_twice(
    db, emulator, database_url, tmp_path
):
    people = make_people(db, emulator, 300)
    port = _free_port()
    broker = _start_redis(port, tmp_path)
    config = DeliverySettings(
        broker_url=f"redis://127.0.0.1:{port}/0",
        queue="northline-test-restart",
        unit_timeout=10,
        batch_size=30,
        posts_per_second=20,
    )
    workers = Workers(worker_env(config, emulator, database_url), tmp_path)
    try:
        workers.start()
        clock = dispatcher(db, emulator, config)
        assert clock.dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON)) == 10
        wait_until(lambda: sum(dms(emulator).values()) >= 60, 60, "60 posts")
        broker.kill()  # the broker goes away with every unit still queued (it keeps nothing on disk)
        broker.wait()
        assert clock.dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON + timedelta(minutes=1))) == 0
        broker = _start_redis(port, tmp_path)
        # The next tick plans what is still due and enqueues it on the restarted broker.
        wait_until(
            lambda: (
                clock.dispatch(units_for(db, ["checkin-reminders"], MONDAY_LONDON + timedelta(minutes=2))) > 0
            ),
            30,
            "the clock to reach the restarted broker",
        )
        wait_until(lambda: sum(states(db).values()) == 300, 120, "everyone reached")
    finally:
        workers.stop()
        broker.kill()
        broker.wait()
    counts = dms(emulator)
    assert max(counts.values()) == 1
    recorded = states(db)
    assert recorded[DeliveryState.SENT] + recorded[DeliveryState.CLAIMED] == len(people)
    assert recorded[DeliveryState.CLAIMED] <= config.posts_in_flight * 4


def test_the_worker_command_needs_a_broker(monkeypatch, capsys, emulator, database_url):
    from bot.cli import main

    single_token_env(monkeypatch, emulator, database_url)
    monkeypatch.delenv("NORTHLINE_BROKER_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["worker"])
    assert exit_info.value.code == 2
    assert "NORTHLINE_BROKER_URL is not set" in capsys.readouterr().err


def test_register_tasks_builds_the_runner_once_per_process(db, emulator):
    config = delivery_settings()
    app = celery_app(config)
    built = []

    def factory():
        built.append(1)
        return UnitRunner(Engine(db, team_clients(emulator), config))

    register_tasks(app, factory)
    task = app.tasks["northline.deliver_unit"]
    assert task.acks_late and app.conf.task_reject_on_worker_lost and app.conf.worker_prefetch_multiplier == 1
    make_people(db, emulator, 2)
    first = task.apply(args=[Unit("checkin-reminders", TEAM, MONDAY_LONDON).to_message()]).get()
    assert first["sent"] == 2
    task.apply(
        args=[Unit("checkin-reminders", TEAM, MONDAY_LONDON + timedelta(minutes=1)).to_message()]
    ).get()
    assert built == [1]
