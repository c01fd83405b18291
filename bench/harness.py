"""What every benchmark needs: a migrated database, the Slack emulator, the real app over HTTP,
and a signed client. Figures are printed, never asserted."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import NorthlineWSGI  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from tests.conftest import ALICE, SIGNING_SECRET, TEAM, TOKEN, NorthlineClient, count_statements, serve  # noqa: E402
from tests.slack import SlackEmulator  # noqa: E402


@dataclass
class Bench:
    db: Database
    emulator: SlackEmulator
    slack: NorthlineClient
    url: str


@contextmanager
def bench_app(database_url: str | None = None) -> Iterator[Bench]:
    """A fresh database (SQLite in a temp dir unless NORTHLINE_BENCH_DATABASE_URL is set)."""
    folder = tempfile.mkdtemp(prefix="northline-bench-")
    url = database_url or os.environ.get("NORTHLINE_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    upgrade(url)
    db = Database.from_url(url)
    with SlackEmulator() as emulator:
        emulator.add_token(TOKEN, TEAM)
        emulator.add_user(ALICE, TEAM, name="alice", tz="Europe/London")
        settings = Settings(
            slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=emulator.base_url, database_url=url
        )
        with serve(NorthlineWSGI(create_app(settings, db=db), db)) as app_url:
            client = NorthlineClient(f"{app_url}/slack/events", SIGNING_SECRET, emulator)
            yield Bench(db=db, emulator=emulator, slack=client, url=url)
    db.dispose()


def time_requests(bench: Bench, request: Callable[[], None], runs: int) -> tuple[list[float], float]:
    """Wall-clock seconds per request, and SQL statements per request."""
    request()  # warm caches (auth.test, the workspace row)
    timings: list[float] = []
    with count_statements(bench.db) as counter:
        for _ in range(runs):
            started = time.perf_counter()
            request()
            timings.append(time.perf_counter() - started)
    return timings, counter.count / runs


def summary(name: str, timings: list[float], statements: float, size: str) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return (
        f"{name}: {size}; n={len(timings)}; median {statistics.median(timings) * 1000:.1f} ms; "
        f"p95 {p95 * 1000:.1f} ms; SQL statements per request {statements:g}"
    )
