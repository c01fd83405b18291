"""The weekly channel digest for 200 channels × 10 objectives × 4 key results × 52 weeks of
check-ins (one per key result per week: 416,000) against the emulator: total time, time per
channel, SQL statements per channel (tests/e2e/test_digest_scale.py asserts that count does not grow
with the data), and what was posted. Aim: under 10 s in total on a 2-core machine.

The emulator answers from a process of its own, as Slack answers from its own servers: in the
job's process its HTTP handling would queue for the job's interpreter lock on every call.

    python bench/digest.py [--channels 200] [--objectives 10] [--key-results 4] [--weeks 52] [--profile]

NORTHLINE_BENCH_DATABASE_URL=postgresql+psycopg://… runs it on a fresh PostgreSQL database.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Nothing of the app or the tests is imported at module level: the chart process is spawned, and
# a spawned child re-imports the main module first. `northline clock`, whose main module imports
# nothing, would never pay the seconds this bench's imports would cost that process.

# Friday 4 December 2026, 16:05 UTC: the default digest slot (Friday 16:00, workspace time = UTC).
NOW = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)


def set_up_slack(emulator, channels: list[str]) -> None:
    from tests.conftest import ALICE, BOB, CAROL, TEAM, TOKEN

    emulator.add_token(TOKEN, TEAM)
    for user in (ALICE, BOB, CAROL):
        emulator.add_user(user, TEAM, name=user.lower(), tz="UTC")
    for channel in channels:
        emulator.add_channel(channel, TEAM, name=channel.lower())


def what_was_posted(emulator) -> tuple[int, int, int, int]:
    """Parents, threads, replies and completed chart uploads."""
    posts = emulator.calls_to("chat.postMessage", ok=True)
    parents = sum(1 for c in posts if not c.args.get("thread_ts"))
    threads = len({c.args["thread_ts"] for c in posts if c.args.get("thread_ts")})
    charts = sum(1 for f in emulator.files.values() if f.completed)
    return parents, threads, len(posts) - parents, charts


def process_cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the chart process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    from sqlalchemy.engine import make_url

    from bench.harness import EmulatorProcess, analyze, drop_database, fresh_database
    from bot.jobs.digest import channel_digests
    from bot.jobs.posting import build_clock_client
    from storage.db import Database, upgrade
    from tests.conftest import TOKEN, count_statements
    from tests.factories import make_digest_data

    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--objectives", type=int, default=10)
    parser.add_argument("--key-results", type=int, default=4)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--profile", action="store_true", help="print the job's top functions (cProfile)")
    args = parser.parse_args()
    url = fresh_database()
    upgrade(url)
    db = Database.from_url(url)
    channels = [f"C0DIG{n:05d}" for n in range(args.channels)]
    checkins = args.channels * args.objectives * args.key_results * args.weeks
    # Slack answers from a process of its own, as it does from its own servers.
    with EmulatorProcess(set_up_slack, channels) as slack:
        seeding = time.perf_counter()
        make_digest_data(db, channels, args.objectives, args.key_results, args.weeks, NOW)
        analyze(db)
        seeded = time.perf_counter() - seeding
        client = build_clock_client(TOKEN, slack.base_url)
        profiler = cProfile.Profile() if args.profile else None
        with count_statements(db) as counter:
            started, cpu_started = time.perf_counter(), process_cpu()
            if profiler:
                profiler.enable()
            report = channel_digests(db, lambda workspace: client, NOW)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            cpu = tuple(after - before for after, before in zip(process_cpu(), cpu_started, strict=True))
        parents, threads, replies, charts = slack.ask(what_was_posted)
        per_channel = counter.count / max(args.channels, 1)
        backend = make_url(url).get_backend_name()
        print(
            f"digest ({backend}): {args.channels} channels × {args.objectives} objectives × {args.key_results} key "
            f"results × {args.weeks} weeks ({checkins:,} check-ins, seeded in {seeded:.1f} s); total {elapsed:.1f} s "
            f"({elapsed / max(args.channels, 1) * 1000:.0f} ms/channel); SQL statements per channel {per_channel:g}; "
            f"posts {parents} parents + {threads} threads ({replies} replies) + {charts} charts; job report: {report}; "
            f"CPU {cpu[0]:.1f} s in the job's process, {cpu[1]:.1f} s in the chart process"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    db.dispose()
    drop_database(url)


if __name__ == "__main__":
    main()
