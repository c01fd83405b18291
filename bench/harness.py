"""What every benchmark needs: a migrated database, the Slack emulator, the real app over HTTP,
and a signed client. Figures are printed, never asserted."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import create_web  # noqa: E402
from storage.db import Database, make_engine, upgrade  # noqa: E402
from tests.conftest import ALICE, SIGNING_SECRET, TEAM, TOKEN, NorthlineClient, count_statements, serve  # noqa: E402
from tests.slack import SlackEmulator  # noqa: E402


@dataclass
class Bench:
    db: Database
    emulator: SlackEmulator
    slack: NorthlineClient
    url: str


class EmulatorProcess:
    """The emulator in a process of its own, as Slack is: a job measured against it then gives
    none of its own interpreter (GIL) to Slack's side of each call. `ask(fn, *args)` runs
    fn(emulator, *args) there and returns what it returns; fn must be a module-level function."""

    def __init__(self, setup: Callable[..., None], *args: Any, tls: tuple[str, str] | None = None):
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_emulator, args=(child, setup, args, tls), daemon=True)
        self._process.start()
        self.base_url: str = self._conn.recv()

    def ask(self, fn: Callable[..., Any], *args: Any) -> Any:
        self._conn.send((fn, args))
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=10)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _serve_emulator(conn, setup: Callable[..., None], args: tuple, tls: tuple[str, str] | None) -> None:
    with SlackEmulator(tls=tls) as emulator:
        setup(emulator, *args)
        conn.send(emulator.base_url)
        while (request := conn.recv()) is not None:
            fn, fn_args = request
            conn.send(fn(emulator, *fn_args))


def self_signed_certificate(folder: Path) -> tuple[str, str]:
    """(certificate, key) PEM files for 127.0.0.1, made with the `openssl` command, and trusted by
    this process and its children from now on (SSL_CERT_FILE): an emulator served over HTTPS, as
    Slack is, so that a bench pays the TLS a real install pays."""
    if shutil.which("openssl") is None:
        raise SystemExit("--https needs the `openssl` command to make a certificate")
    certificate, key = str(folder / "cert.pem"), str(folder / "key.pem")
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    subprocess.run(
        [*command.split(), "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate],
        check=True,
        capture_output=True,
    )
    os.environ["SSL_CERT_FILE"] = certificate
    return certificate, key


def analyze(db: Database) -> None:
    """Planner statistics for freshly seeded data, as autovacuum (PostgreSQL) or a long-running
    database would have them: without them PostgreSQL plans 100,000 fresh rows blind."""
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def fresh_database(base_url: str | None = None) -> str:
    """An empty database: SQLite in a temp dir, or a new PostgreSQL database beside the one
    NORTHLINE_BENCH_DATABASE_URL names (never the named one itself, so runs never collide)."""
    base_url = base_url or os.environ.get("NORTHLINE_BENCH_DATABASE_URL")
    if not base_url or make_url(base_url).get_backend_name() == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='northline-bench-')}/bench.db"
    url = make_url(base_url)
    name = f"{url.database}_bench_{os.getpid()}_{int(time.time())}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def bench_app(database_url: str | None = None) -> Iterator[Bench]:
    """The real app over HTTP on a fresh database, with the emulator as Slack."""
    url = database_url or fresh_database()
    upgrade(url)
    db = Database.from_url(url)
    with SlackEmulator() as emulator:
        emulator.add_token(TOKEN, TEAM)
        emulator.add_user(ALICE, TEAM, name="alice", tz="Europe/London")
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=emulator.base_url,
            database_url=url,
        )
        app = create_app(settings, db=db)
        with serve(create_web(app, db)) as app_url:
            client = NorthlineClient(app_url, app, emulator)
            yield Bench(db=db, emulator=emulator, slack=client, url=url)
    db.dispose()
    drop_database(url)


def drop_database(url: str) -> None:
    """Remove a PostgreSQL database fresh_database() made (SQLite files live in a temp dir)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or "_bench_" not in (parsed.database or ""):
        return
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


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
