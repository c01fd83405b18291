"""`northline jobs run` and `northline clock`: the same at-most-once keys from the command line, a
clock that picks schedules up without a restart, and SIGTERM mid-fan-out."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.scheduler import JOB_KINDS, Leadership, build_scheduler, run_clock
from storage.models import Schedule, ScheduleKind
from tests.conftest import ALICE, BOB, SIGNING_SECRET, TEAM, TOKEN
from tests.factories import clients, dms, make_owners_with_key_results, make_workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(monkeypatch, emulator, database_url):
    values = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return values


def northline(*args: str) -> int:
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def test_jobs_run_at_a_chosen_time_uses_the_same_keys(db, emulator, cli_env, capsys):
    make_owners_with_key_results(db, emulator, [ALICE, BOB])
    assert northline("jobs", "run", "checkin-reminders", "--at", "2026-11-30T10:05:00+00:00") == 0
    assert "1 sent" in capsys.readouterr().out
    assert dms(emulator) == Counter({ALICE: 1})
    # Again, and with the same moment written in New York's offset: nothing twice.
    assert northline("jobs", "run", "checkin-reminders", "--at", "2026-11-30T05:05:00-05:00") == 0
    assert northline("jobs", "run", "checkin-reminders", "--at", "2026-11-30T15:05:00Z", "--team", TEAM) == 0
    assert dms(emulator) == Counter({ALICE: 1, BOB: 1})


# Each kind typed on the command line, and the name its report goes by (written out here, not
# read from the job modules, so a kind wired to the wrong planner shows).
REPORTED_AS = {
    "checkin-reminders": "checkin",
    "digest": "digest",
    "sprint-prompts": "sprint_prompt",
    "nudges": "nudges",
    "cycle-prompts": "cycle-prompts",
}


def test_every_kind_is_named_on_the_command_line():
    assert set(JOB_KINDS) == set(REPORTED_AS)


@pytest.mark.parametrize("kind", list(REPORTED_AS))
def test_every_kind_runs_from_the_command_line(db, emulator, cli_env, capsys, kind):
    make_workspace(db)
    assert northline("jobs", "run", kind, "--at", "2026-12-04T16:05:00+00:00") == 0
    # A workspace with nobody in it: the kind ran, planned nothing and says so, and posted nothing.
    assert capsys.readouterr().out == f"{REPORTED_AS[kind]}: 0 sent, 0 already done\n"
    assert emulator.calls_to("chat.postMessage") == []


def test_jobs_run_refuses_a_bad_time_and_kind(cli_env, capsys):
    with pytest.raises(SystemExit) as bad_time:
        from bot.cli import main

        main(["jobs", "run", "digest", "--at", "next friday"])
    assert "ISO-8601" in str(bad_time.value.code)
    assert northline("jobs", "run", "frobnicate") == 2  # argparse: invalid choice


def assert_the_lock_is_free(db) -> None:
    """A stopped clock let go of the leadership (PostgreSQL), even with a tick in flight at the stop."""
    successor = Leadership(db)
    try:
        assert successor.is_leader()
    finally:
        successor.release()


class Reports:
    """The reports of the clock's units as they finish, to wait on ticks instead of on time."""

    def __init__(self, monkeypatch) -> None:
        from bot import scheduler as clock

        self.reports: list = []
        self._changed = threading.Condition()
        log_report = clock._log_report

        def record(report) -> None:
            log_report(report)
            with self._changed:
                self.reports.append(report)
                self._changed.notify_all()

        monkeypatch.setattr(clock, "_log_report", record)

    def wait_until(self, kind: str, enough, timeout: float = 15.0) -> list:
        """The `kind` reports so far, once `enough(them)` holds (an AssertionError after `timeout`)."""

        def of_kind() -> list:
            return [r for r in self.reports if r.kind == kind]

        with self._changed:
            if not self._changed.wait_for(lambda: enough(of_kind()), timeout):
                raise AssertionError(f"{kind} reports after {timeout} s: {[str(r) for r in of_kind()]}")
            return of_kind()


def test_the_clock_ticks_picks_up_schedule_changes_and_stops_when_told(
    db, emulator, database_url, monkeypatch, now
):
    reports = Reports(monkeypatch)
    workspace_id = make_owners_with_key_results(db, emulator, [ALICE])
    # Due in the current minute, in Alice's London time, every day a working day.
    with db.session() as session:
        from storage.models import Workspace

        session.get(Workspace, workspace_id).work_days = "1,2,3,4,5,6,7"
        london = now.astimezone(ZoneInfo("Europe/London"))
        session.add(
            Schedule(
                workspace_id=workspace_id,
                kind=ScheduleKind.CHECKIN,
                weekday=london.isoweekday(),
                time_of_day=f"{london:%H:%M}",
                set_by=ALICE,
            )
        )
    stop = threading.Event()
    thread = threading.Thread(
        target=run_clock,
        args=(db, clients(emulator, stop), database_url, stop),
        kwargs={"tick_seconds": 1, "install_signals": False},
        daemon=True,
    )
    thread.start()
    emulator.wait_for("chat.postMessage", timeout=15, where=lambda c: c.args.get("channel") == ALICE)
    # Two more ticks' reminders run to the end after the one that sent: each finds it sent.
    sending = reports.wait_until("checkin", lambda rs: any(r.sent for r in rs))
    sent_at = next(i for i, r in enumerate(sending) if r.sent)
    later = reports.wait_until("checkin", lambda rs: len(rs) >= sent_at + 3)[sent_at + 1 :]
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert_the_lock_is_free(db)
    assert [r.sent for r in later] == [0] * len(later)
    assert dms(emulator) == Counter({ALICE: 1})
    with db.engine.connect() as connection:
        jobs = connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
    assert jobs == ["northline-tick"]


class SchedulerStarts(logging.Handler):
    """Counts APScheduler's "Scheduler started" (logged once its jobs are stored), to wait on."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.started = threading.Semaphore(0)

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "Scheduler started":
            self.started.release()


@pytest.fixture
def scheduler_starts():
    handler, logger = SchedulerStarts(), logging.getLogger("apscheduler.scheduler")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_restarting_the_clock_replaces_its_job_instead_of_adding_one(
    db, emulator, database_url, scheduler_starts
):
    for _ in range(2):
        stop = threading.Event()
        thread = threading.Thread(
            target=run_clock,
            args=(db, clients(emulator, stop), database_url, stop),
            kwargs={"install_signals": False},
            daemon=True,
        )
        thread.start()
        assert scheduler_starts.started.acquire(timeout=10), "the clock did not start within 10 s"
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert_the_lock_is_free(db)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all() == [
            "northline-tick"
        ]


STOP_SECONDS = 10  # the clock's promise: stopped this long after SIGTERM, on an idle machine
POSTS_IN_FLIGHT = 4
HUNG = 12  # a wait this many times a budget, however loaded the machine, means a hang


def slowdown() -> float:
    """How many times slower than idle a CPU-bound process runs here now: the 1-minute load
    average per usable core, at least 1. Two cores at load 6 give the clock a third of one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1.0, os.getloadavg()[0] / (cores or 1))


def wait_for_posts_while_running(emulator, process: subprocess.Popen, count: int) -> None:
    """Wait until `count` posts were answered, for as long as the process runs (a loaded machine
    starts Python slowly): fail at once if it exits, and after HUNG times 30 s."""
    deadline = time.monotonic() + 30 * HUNG
    while process.poll() is None and time.monotonic() < deadline:
        try:
            emulator.wait_for("chat.postMessage", count=count, timeout=0.5)
            return
        except AssertionError:
            continue
    output = b"" if process.poll() is None else process.stdout.read()
    raise AssertionError(f"{count} posts never came (exit {process.poll()}): {output.decode()}")


def test_sigterm_mid_fan_out_stops_within_ten_seconds_and_a_rerun_sends_the_rest(
    db, emulator, database_url, now
):
    users = [f"U0S{i:02d}" for i in range(30)]
    workspace_id = make_owners_with_key_results(db, emulator, users, tz="UTC")
    with db.session() as session:
        from storage.models import Workspace

        session.get(Workspace, workspace_id).work_days = "1,2,3,4,5,6,7"
        session.add(
            Schedule(
                workspace_id=workspace_id,
                kind=ScheduleKind.CHECKIN,
                weekday=now.isoweekday(),
                time_of_day=f"{now:%H:%M}",
                set_by=users[0],
            )
        )
    emulator.delay("chat.postMessage", 0.4)  # a slow Slack: the fan-out takes ~12 s
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "NORTHLINE_POSTS_IN_FLIGHT": str(POSTS_IN_FLIGHT),
    }
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main(['clock'])"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_posts_while_running(emulator, process, count=3)
        process.send_signal(signal.SIGTERM)
        started, load = time.monotonic(), slowdown()
        answered = sum(dms(emulator).values())
        output, _ = process.communicate(timeout=STOP_SECONDS * HUNG)
        stopped_in = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output.decode()
    budget = STOP_SECONDS * max(load, slowdown())
    assert stopped_in < budget, f"stopped in {stopped_in:.1f} s, over {budget:.1f} s"
    sent_before = dms(emulator)
    # It stopped between posts: only those already in flight at SIGTERM were answered after it.
    assert 3 <= answered <= sum(sent_before.values()) <= answered + POSTS_IN_FLIGHT < 30
    assert max(sent_before.values()) == 1

    # The restart: `northline jobs run` (or the next clock) sends the rest, nothing twice.
    emulator.clear_faults()
    from bot.jobs.reminders import checkin_reminders

    checkin_reminders(db, clients(emulator), now + timedelta(seconds=30))
    assert dms(emulator) == Counter({u: 1 for u in users})


def test_autogenerate_ignores_the_apscheduler_table(database_url):
    from alembic import command

    from storage.db import Database, alembic_config

    scheduler = build_scheduler(database_url)
    scheduler._jobstores["default"].start(scheduler, "default")  # creates apscheduler_jobs
    db = Database.from_url(database_url)
    with db.engine.connect() as connection:
        assert "apscheduler_jobs" in connection.dialect.get_table_names(connection)
    db.dispose()
    # With the clock's table beside ours, autogenerate finds nothing at all to change: a diff of
    # any kind (that table's, or a model out of step with the migrations) fails here.
    command.check(alembic_config(database_url))


def test_a_job_that_raises_does_not_stop_the_others(db, emulator, monkeypatch):
    from bot import scheduler as clock

    make_owners_with_key_results(db, emulator, [ALICE])
    broken = {
        "digest": "bot.jobs.does_not_exist:nothing",
        **{k: v for k, v in JOB_KINDS.items() if k != "digest"},
    }
    monkeypatch.setattr(clock, "JOB_KINDS", broken)
    reports = clock.run_all(db, clients(emulator), datetime(2026, 11, 30, 10, 5, tzinfo=UTC))
    assert any(r.kind == "checkin" and r.sent == 1 for r in reports)
