"""The REST API against Slack at 2,000 objectives: p50/p95 of a check-in posted through the API and
of a progress read (a page of 200 objectives with key results, and all 2,000 page by page), next
to the same check-in through Slack (`/okr checkin KR-n 42`, until its answer arrives); then
requests/s with 20 clients posting check-ins and reading back to back. SQL statements per request.

The app is served as the other benchmarks serve it (a threaded WSGI server in this process), so
requests/s is a floor for gunicorn's 2 workers × 8 threads.

    NORTHLINE_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python bench/api.py [--objectives 2000] [--checkins 20000] [--runs 60] [--clients 20] [--seconds 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse
from wsgiref.simple_server import make_server

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import analyze, drop_database, fresh_database, summary  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.services import tokens  # noqa: E402
from bot.services.tokens import Limits  # noqa: E402
from bot.services.workspaces import workspace_for  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import create_web  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import ApiToken, Member, TokenPermission  # noqa: E402
from tests.conftest import (  # noqa: E402  # noqa: E402
    ALICE,
    SIGNING_SECRET,
    TEAM,
    TOKEN,
    NorthlineClient,
    _QuietHandler,
    _ThreadingWSGIServer,
    count_statements,
)
from tests.factories import make_okrs  # noqa: E402
from tests.slack import SlackEmulator  # noqa: E402


class _Server(_ThreadingWSGIServer):
    request_queue_size = 128  # 20 clients connecting at once; wsgiref's 5 would reset some


@contextmanager
def serve(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class Client:
    """One keep-alive HTTP connection, as a CI job or a script would hold one."""

    def __init__(self, base: str, token: str):
        parsed = urlparse(base)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, body: dict | None = None) -> int:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        response.read()
        return response.status


def _make_token(db: Database) -> str:
    secret = tokens.new_token_text()
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        # A token acts for its maker while they are an active admin (the member cache says so).
        maker = session.scalar(
            select(Member).where(Member.workspace_id == workspace.id, Member.user_id == ALICE)
        )
        if maker is None:
            session.add(Member(workspace_id=workspace.id, user_id=ALICE, name="alice", is_admin=True))
        else:
            maker.is_admin, maker.is_deleted = True, False
        session.add(
            ApiToken(
                workspace_id=workspace.id,
                name="bench",
                prefix=secret[:10],
                token_hash=tokens.hash_token(secret),
                permission=TokenPermission.WRITE,
                created_by=ALICE,
            )
        )
    return secret


def _timed(db: Database, runs: int, request) -> tuple[list[float], float]:
    request(0)  # warm up
    timings = []
    with count_statements(db) as counter:
        for i in range(runs):
            started = time.perf_counter()
            request(i + 1)
            timings.append(time.perf_counter() - started)
    return timings, counter.count / runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objectives", type=int, default=2000)
    parser.add_argument("--checkins", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    url = fresh_database()
    upgrade(url)
    db = Database.from_url(url)
    key_results = args.objectives * 4
    size = f"{args.objectives} objectives, {key_results} key results, {args.checkins} check-ins, {db.engine.dialect.name}"
    try:
        make_okrs(db, args.objectives, checkins=args.checkins)
        analyze(db)
        secret = _make_token(db)
        with SlackEmulator() as emulator:
            emulator.add_token(TOKEN, TEAM)
            emulator.add_user(ALICE, TEAM, name="alice", tz="Europe/London", is_admin=True)
            settings = Settings(
                slack_bot_token=TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_url=emulator.base_url,
                database_url=url,
            )
            bolt = create_app(settings, db=db)
            app = create_web(
                bolt, db, limits=Limits(per_token=10**9, per_workspace=10**9, auth_failures=10**9)
            )
            with serve(app) as base:
                slack = NorthlineClient(base, bolt, emulator)
                api = Client(base, secret)
                # KR-1, 4, 7, … are ALICE's (perf_data owns them round-robin), so Slack lets her check in.
                alices = [n for n in range(1, key_results + 1) if n % 3 == 1]

                def api_checkin(i: int) -> None:
                    assert (
                        api.request(
                            "POST",
                            f"/api/v1/key-results/KR-{alices[i % len(alices)]}/check-ins",
                            {"value": 40 + i % 50, "note": "bench"},
                        )
                        == 201
                    )

                def slack_checkin(i: int) -> None:
                    slack.command(
                        "/okr",
                        f"checkin KR-{alices[(i + 500) % len(alices)]} {40 + i % 50} bench",
                        user_id=ALICE,
                    )
                    slack.wait_for_response_url(timeout=30)

                def read_page(_i: int) -> None:
                    assert api.request("GET", "/api/v1/objectives?limit=200") == 200

                def read_all(_i: int) -> None:
                    path: str | None = "/api/v1/objectives?limit=200"
                    while path:
                        api.connection.request("GET", path, headers=api.headers)
                        response = api.connection.getresponse()
                        path = json.loads(response.read())["page"]["next"]

                for name, request, runs in (
                    ("check-in through the API", api_checkin, args.runs),
                    (
                        "check-in through Slack (/okr checkin KR-n 42, to its answer)",
                        slack_checkin,
                        args.runs,
                    ),
                    ("progress read, one page of 200 objectives", read_page, args.runs),
                    (
                        f"progress read, all {args.objectives} objectives in pages of 200",
                        read_all,
                        max(5, args.runs // 6),
                    ),
                ):
                    timings, statements = _timed(db, runs, request)
                    print(summary(name, timings, statements, size))
                slack.settle()
                print(_throughput(base, secret, alices, args.objectives, args.clients, args.seconds))
    finally:
        db.dispose()
        drop_database(url)


def _throughput(
    base: str, secret: str, alices: list[int], objectives: int, clients: int, seconds: float
) -> str:
    """`clients` threads, each alternating a check-in and a one-objective read, back to back."""
    counts = [0] * clients
    errors = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def run(index: int) -> None:
        client = Client(base, secret)
        i = index
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if i % 2:
                status = client.request("GET", f"/api/v1/objectives/OBJ-{1 + i % objectives}")
            else:
                status = client.request(
                    "POST", f"/api/v1/key-results/KR-{alices[i % len(alices)]}/check-ins", {"value": i % 90}
                )
            latencies[index].append(time.perf_counter() - started)
            counts[index] += 1
            errors[index] += int(status >= 400)
            i += clients

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = sorted(x for lane in latencies for x in lane)
    p95 = every[max(0, int(round(0.95 * len(every))) - 1)] if every else 0.0
    return (
        f"{clients} clients, check-ins and reads back to back for {seconds:g} s: {sum(counts)} requests, "
        f"{sum(counts) / elapsed:.1f} requests/s, p50 {statistics.median(every) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, errors {sum(errors)}"
    )


if __name__ == "__main__":
    main()
