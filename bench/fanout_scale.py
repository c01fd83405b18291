"""A Monday's check-in reminders for many workspaces at once, as an operator hosting Northline
would run it: OAuth installs (a token per workspace), Slack answering every call late (the
emulator in a process of its own), each workspace allowed a fixed number of chat.postMessage a
second (429 past it, per workspace, as Slack does).

Prints, per number of workspaces, the wall time of the run against its bound (people per
workspace ÷ the rate: every workspace posting at its limit, all at once), for the clock's own
process (the embedded engine) and for 1, 2 and 4 `northline worker` processes on a real broker
(Redis or RabbitMQ); posts delivered, duplicated (must be 0) and refused (429); CPU seconds per
1,000 posts (the clock's and the workers', not the database's nor Slack's); the first and the last
post after the start; SQL statements per post (counted in the clock and in every worker); the
deliveries left in doubt and settled; the load average before and after each run.

    python bench/fanout_scale.py [--workspaces 10,50,200] [--people 50] [--rate 5] [--latency 0.1]
                                 [--workers 1,2,4 | 0] [--no-embedded]
                                 [--broker redis://127.0.0.1:6379/9 | amqp://guest:guest@127.0.0.1:5672//]

Figures are printed, never asserted. Workers need a broker (skipped, with a line saying so,
without it) and are best measured on PostgreSQL (NORTHLINE_BENCH_DATABASE_URL: each run makes a
database of its own beside the one named, and drops it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, event, func, insert, select  # noqa: E402

from bench.harness import (  # noqa: E402
    EmulatorProcess,
    analyze,
    drop_database,
    fresh_database,
    self_signed_certificate,
)
from storage.db import Database, upgrade  # noqa: E402
from storage.models import Delivery, DeliveryUnit, KeyResult, Member, Objective, Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# A Monday, 10:05 UTC: everyone below lives in UTC, so everyone is due.
NOW = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)
CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET = (
    "1111111111.2222222222",
    "bench-client-secret",
    "bench-signing-secret",
)


def team(n: int) -> str:
    return f"T{n:07d}S"


def token(n: int) -> str:
    return f"xoxb-scale-{n}"


# --- Slack's side (runs in the emulator's own process) ----------------------------------------------


def setup_slack(emulator, workspaces: int, people: int, rate: float, latency: float) -> None:
    for n in range(workspaces):
        emulator.add_token(token(n), team(n), user_id=f"U{n:06d}BOT", bot_id=f"B{n:06d}")
        for p in range(people):
            emulator.add_user(f"U{n:06d}P{p:03d}", team(n), name=f"p{n}-{p}", tz="UTC")
    emulator.delay("*", latency)  # every call answered `latency` seconds late
    emulator.rate_limit("chat.postMessage", per_second=rate)  # per workspace: a bucket each


def posted(emulator) -> int:
    return sum(1 for c in emulator.calls if c.method == "chat.postMessage" and c.ok)


def tally(emulator) -> tuple[int, int, int]:
    """(people reached, posts beyond one per person, 429s)."""
    reached = Counter(
        c.args.get("channel") for c in emulator.calls if c.method == "chat.postMessage" and c.ok
    )
    refused = sum(1 for c in emulator.rejected if c.method == "chat.postMessage")
    return len(reached), sum(n - 1 for n in reached.values()), refused


def post_times(emulator) -> tuple[float | None, float | None]:
    """(first, last) time.time() at which Slack answered a post ok (this machine's clock)."""
    times = [c.at for c in emulator.calls if c.method == "chat.postMessage" and c.ok]
    return (min(times), max(times)) if times else (None, None)


def forget(emulator) -> None:
    emulator.clear()


# --- our side -------------------------------------------------------------------------------------


def seed(db: Database, url: str, workspaces: int, people: int) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.installations import BOT_SCOPES, installation_store
    from bot.settings import Settings

    settings = Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        database_url=url,
    )
    store = installation_store(settings, db)
    fresh = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # users.info facts cached fresh
    with db.session() as session:
        session.execute(
            insert(Workspace), [{"team_id": team(n), "timezone": "UTC"} for n in range(workspaces)]
        )
        ids = dict(session.execute(select(Workspace.team_id, Workspace.id)).all())
        users = [(ids[team(n)], f"U{n:06d}P{p:03d}") for n in range(workspaces) for p in range(people)]
        session.execute(
            insert(Member),
            [
                {"workspace_id": w, "user_id": u, "name": u, "tz": "UTC", "refreshed_at": fresh}
                for w, u in users
            ],
        )
        session.execute(
            insert(Objective),
            [
                {
                    "workspace_id": w,
                    "number": i + 1,
                    "title": "Objective",
                    "owner_id": u,
                    "cycle": "2026-Q4",
                    "created_by": u,
                    "description": "",
                }
                for i, (w, u) in enumerate(users)
            ],
        )
        objectives = dict(session.execute(select(Objective.owner_id, Objective.id)).all())
        session.execute(
            insert(KeyResult),
            [
                {
                    "workspace_id": w,
                    "objective_id": objectives[u],
                    "number": i + 1,
                    "title": "Ship it",
                    "start_value": 0.0,
                    "target_value": 10.0,
                    "owner_id": u,
                    "position": 0,
                }
                for i, (w, u) in enumerate(users)
            ],
        )
    for n in range(workspaces):
        store.save(
            Installation(
                app_id="A0NORTHLINE",
                enterprise_id=None,
                team_id=team(n),
                bot_token=token(n),
                bot_id=f"B{n:06d}",
                bot_user_id=f"U{n:06d}BOT",
                bot_scopes=BOT_SCOPES,
                user_id=f"U{n:06d}P000",
                installed_at=time.time(),
            )
        )


class Statements:
    """Counts the SQL statements this process sends through `engine` (workers' own are not seen)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1


# A worker process as `northline worker` runs it, counting the SQL statements of every engine it
# makes and writing the count to the file named by its first argument when it exits.
WORKER = """
import atexit, sys
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.engine import Engine
seen = [0]
event.listen(Engine, "before_cursor_execute", lambda *a: seen.__setitem__(0, seen[0] + 1))
atexit.register(lambda: Path(sys.argv[1]).write_text(str(seen[0])))
from bot.cli import main
main(["worker"])
"""


COUNTED = ("one process", "clock and workers", "the clock only: a worker's count is missing")


def states(db: Database) -> dict[str, int]:
    """The deliveries by state after a run ('claimed': in doubt; every other state is settled)."""
    with db.session() as session:
        rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    return {str(k): v for k, v in rows}


def reset(db: Database, slack: EmulatorProcess) -> None:
    with db.engine.begin() as connection:
        connection.execute(delete(Delivery))
        connection.execute(delete(DeliveryUnit))
    slack.ask(forget)


def environment(
    url: str, slack: EmulatorProcess, rate: float, in_flight: int, **extra: str
) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "SLACK_API_URL": slack.base_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "NORTHLINE_POSTS_PER_SECOND": str(rate),
        "NORTHLINE_POSTS_IN_FLIGHT": str(in_flight),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    return env


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(slack: EmulatorProcess, total: int, timeout: float) -> float:
    started = time.perf_counter()
    while slack.ask(posted) < total and time.perf_counter() - started < timeout:
        time.sleep(0.1)
    return time.perf_counter() - started


def embedded(
    db: Database, url: str, slack: EmulatorProcess, total: int
) -> tuple[float, float, float, int | None]:
    """The clock's own process: one engine, every workspace at once."""
    from bot.bootstrap import delivery_engine
    from bot.jobs.engine import units_for
    from bot.settings import load_settings

    settings = load_settings(database_url=url)
    cpu = time.process_time()
    wall = time.time()
    started = time.perf_counter()
    profile = None
    if os.environ.get("NORTHLINE_BENCH_PROFILE"):  # the top 15 by cumulative time (this thread only)
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    with delivery_engine(settings, db) as engine:
        engine.run(units_for(db, ["checkin-reminders"], NOW))
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
    return time.perf_counter() - started, time.process_time() - cpu, wall, None


def with_workers(
    db: Database, url: str, slack: EmulatorProcess, total: int, count: int, broker: str
) -> tuple[float, float, float, int]:
    """`count` worker processes on the broker (Redis or RabbitMQ); the clock (this process) decides
    what is due and enqueues. Returns the workers' SQL statements too (counted in each worker)."""
    from bot.bootstrap import delivery_engine
    from bot.jobs.distributed import Dispatcher, celery_app
    from bot.jobs.engine import units_for
    from bot.settings import load_settings

    queue = f"northline-bench-{uuid.uuid4().hex[:8]}"
    os.environ.update({"NORTHLINE_BROKER_URL": broker, "NORTHLINE_QUEUE": queue})
    logs = Path(tempfile.mkdtemp(prefix="northline-workers-"))
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(logs / f"worker-{n}.statements")],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"worker-{n}.log").open("w"),  # a pipe nobody reads would stall a chatty worker
        )
        for n in range(count)
    ]
    try:
        time.sleep(6)  # the workers start, connect and get ready (not part of a run)
        settings = load_settings(database_url=url)
        before = sum(cpu_seconds(w.pid) for w in workers)  # before the first unit is enqueued
        cpu = time.process_time()
        wall = time.time()
        started = time.perf_counter()
        with delivery_engine(settings, db) as engine:
            Dispatcher(engine, celery_app(engine.config)).dispatch(units_for(db, ["checkin-reminders"], NOW))
        clock_cpu = time.process_time() - cpu
        print(
            f"    (the clock planned and enqueued in {time.perf_counter() - started:.1f} s, "
            f"{clock_cpu:.1f} s CPU)",
            flush=True,
        )
        wait_for(slack, total, timeout=600)
        elapsed = time.perf_counter() - started
        used = clock_cpu + sum(cpu_seconds(w.pid) for w in workers) - before
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        for name in ("NORTHLINE_BROKER_URL", "NORTHLINE_QUEUE"):
            os.environ.pop(name, None)
        errors = [
            line for log in logs.glob("*.log") for line in log.read_text().splitlines() if " ERROR " in line
        ]
        if errors:
            print(
                f"    ({len(errors)} error lines in the workers' logs, e.g. {errors[0][:200]!r})", flush=True
            )
    counted = [log.read_text() for log in logs.glob("*.statements")]
    worker_statements = sum(int(c) for c in counted) if len(counted) == count else -1
    return elapsed, used, wall, worker_statements


def broker_answers(url: str) -> bool:
    try:
        from kombu import Connection

        with Connection(url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:  # noqa: BLE001 - no broker: the worker figures are skipped
        return False


def load() -> str:
    """The machine's 1-minute load average (other processes share these cores)."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", default="10,50,200")
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="chat.postMessage a second per workspace")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds Slack takes to answer each call")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--broker",
        "--redis",
        default=os.environ.get("NORTHLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        help="the workers' broker: redis://… or amqp://…",
    )
    parser.add_argument("--no-embedded", action="store_true", help="only the runs with workers")
    parser.add_argument(
        "--https", action="store_true", help="Slack served over HTTPS, as it is (a self-signed certificate)"
    )
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",") if w and int(w) > 0]
    have_broker = broker_answers(args.broker)
    bound = args.people / args.rate
    in_flight = max(2, int(args.rate * args.latency * 2) + 1)
    print(
        f"fan-out at scale: {args.people} people a workspace, {args.rate:g} chat.postMessage/s per workspace, "
        f"Slack {args.latency * 1000:.0f} ms late on every call; bound {bound:.1f} s (people ÷ rate)"
    )
    if not have_broker:
        print(f"  workers: skipped, no broker at {args.broker}")
    for workspaces in [int(w) for w in args.workspaces.split(",")]:
        total = workspaces * args.people
        url = fresh_database()
        upgrade(url)
        db = Database.from_url(url)
        seed(db, url, workspaces, args.people)
        analyze(db)  # planner statistics, as autovacuum would have them
        tls = self_signed_certificate(Path(tempfile.mkdtemp(prefix="northline-tls-"))) if args.https else None
        with EmulatorProcess(setup_slack, workspaces, args.people, args.rate, args.latency, tls=tls) as slack:
            os.environ.update(environment(url, slack, args.rate, in_flight))
            modes = [] if args.no_embedded else [("embedded", partial(embedded, db, url, slack, total))]
            if have_broker:
                modes += [
                    (
                        f"{n} worker{'s' if n > 1 else ''}",
                        partial(with_workers, db, url, slack, total, n, args.broker),
                    )
                    for n in worker_counts
                ]
            statements = Statements(db.engine)
            for name, run in modes:
                reset(db, slack)
                statements.count = 0
                load_before = load()
                elapsed, cpu, started, in_workers = run()
                load_after = load()
                executed = statements.count + max(0, in_workers or 0)
                by_state = states(db)
                first, last = slack.ask(post_times)
                reached, duplicated, refused = slack.ask(tally)
                print(
                    f"  {workspaces:>4} workspaces, {name:<10}: {elapsed:6.1f} s ({elapsed / bound:4.2f}x the bound); "
                    f"reached {reached}/{total}, duplicated {duplicated}, 429s {refused}; "
                    f"CPU {cpu / max(1, reached) * 1000:.1f} s per 1,000 posts",
                    flush=True,
                )
                settled = sum(n for state, n in by_state.items() if state != "claimed")
                print(
                    f"  {'':>4}             {'':<10}  first post after "
                    f"{'-' if first is None else f'{first - started:.2f}'} s, last after "
                    f"{'-' if last is None else f'{last - started:.1f}'} s; "
                    f"{executed / max(1, reached):.2f} statements per post "
                    f"({COUNTED[0 if in_workers is None else 1 if in_workers >= 0 else 2]}); "
                    f"in doubt (claimed) {by_state.get('claimed', 0)}, settled {settled} {by_state}; "
                    f"load average {load_before} before, {load_after} after",
                    flush=True,
                )
        db.dispose()
        drop_database(url)


if __name__ == "__main__":
    main()
