"""Load: gunicorn (2 workers) on PostgreSQL, 50 concurrent clients sending signed slash commands
for 60 seconds across 20 workspaces; then the same load on a bare Bolt app that only acks,
served the same way in the same run. Prints requests/s, p50/p95/p99 to the HTTP answer, errors,
the ratio, and the web workers' memory (RSS) after the run.

    NORTHLINE_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python bench/load.py [--seconds 60] [--clients 50] [--workspaces 20]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk.oauth.installation_store import Installation  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import drop_database, fresh_database  # noqa: E402
from bot.installations import BOT_SCOPES, installation_store  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from tests.perf_data import seed_kras  # noqa: E402
from tests.slack import SlackEmulator  # noqa: E402

SECRET = "bench-signing-secret-0123456789"
# What the clients type: reads, writes and help, in equal measure (NORTHLINE_LOAD_COMMANDS=help for acks only).
COMMANDS = os.environ.get("NORTHLINE_LOAD_COMMANDS", "list|list all|kpi KPI-7 42|help").split("|")
CLIENT_ID, CLIENT_SECRET = "1111111111.2222222222", "bench-client-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app_spec: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--workers", "2",
         "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT, env={**os.environ, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not start for {app_spec}")


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of gunicorn's workers (its children), in MB."""
    total = 0
    for child in Path("/proc").iterdir():
        try:
            stat = (child / "stat").read_text().split()
        except (OSError, ValueError):
            continue
        if child.name.isdigit() and int(stat[3]) == process.pid:
            for line in (child / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def run_load(url: str, emulator: SlackEmulator, teams: list[str], seconds: float, clients: int) -> dict:
    verifier = SignatureVerifier(SECRET)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def one_client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(url).port, timeout=10)
        while time.time() < stop_at:
            team = rng.choice(teams)
            user = f"U{team[1:]}A"
            text = rng.choice(COMMANDS)
            fields = {
                "token": "x", "team_id": team, "team_domain": team.lower(), "channel_id": "C0LOAD",
                "channel_name": "load", "user_id": user, "user_name": "load", "command": "/kra", "text": text,
                "api_app_id": "A0NORTHLINE", "is_enterprise_install": "false",
                "response_url": emulator.new_response_url(team, channel_id="C0LOAD", user_id=user),
                "trigger_id": f"{time.time()}.{seed}",
            }
            body = urllib.parse.urlencode(fields)
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body),
            }
            started = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(url).port, timeout=10)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1

    threads = [threading.Thread(target=one_client, args=(n,)) for n in range(clients)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.time() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "p50": statistics.median(ordered) * 1000 if ordered else 0,
        "p95": pct(0.95) if ordered else 0,
        "p99": pct(0.99) if ordered else 0,
        "errors": errors,
    }


def describe(name: str, figures: dict) -> str:
    return (
        f"{name}: {figures['requests']} requests, {figures['rps']:.1f} req/s, p50 {figures['p50']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms, errors {figures['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workspaces", type=int, default=20)
    args = parser.parse_args()
    base = os.environ.get("NORTHLINE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    database_url = fresh_database(base)  # a new database beside `base`, never `base` itself
    upgrade(database_url)
    db = Database.from_url(database_url)
    teams = [f"T0LOAD{n:02d}" for n in range(args.workspaces)]
    with SlackEmulator() as emulator:
        settings = Settings(
            slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, slack_signing_secret=SECRET,
            slack_api_url=emulator.base_url, database_url=database_url,
        )
        store = installation_store(settings, db)
        for team in teams:
            token = f"xoxb-load-{team.lower()}"
            emulator.add_token(token, team, user_id=f"UB{team[1:]}", bot_id=f"B{team[1:]}")
            emulator.add_user(f"U{team[1:]}A", team, name="loader")
            store.save(Installation(app_id="A0NORTHLINE", team_id=team, bot_token=token, bot_id=f"B{team[1:]}",
                                    bot_user_id=f"UB{team[1:]}", bot_scopes=BOT_SCOPES, user_id=f"U{team[1:]}A"))
            seed_kras(db, 20, team_id=team)
        env = {
            "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emulator.base_url, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
            "NORTHLINE_BENCH_SECRET": SECRET, "NORTHLINE_BENCH_BARE_TOKEN": f"xoxb-load-{teams[0].lower()}",
        }
        results = {}
        for name, spec in (("northline", "bot.wsgi:create_wsgi()"), ("bare bolt", "bench.bare_app:create()")):
            port = free_port()
            process = start_gunicorn(spec, port, env)
            try:
                results[name] = run_load(f"http://127.0.0.1:{port}", emulator, teams, args.seconds, args.clients)
                results[name]["rss_mb"] = rss_mb(process)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        print(f"load: {args.clients} clients, {args.seconds:g} s, {args.workspaces} workspaces, gunicorn 2 workers, "
              f"{make_url(database_url).get_backend_name()}")
        for name, figures in results.items():
            print(describe(name, figures) + f", web workers RSS {figures['rss_mb']:.0f} MB")
        ours, bare = results["northline"], results["bare bolt"]
        if bare["p99"]:
            print(f"ratio northline/bare: p50 {ours['p50'] / bare['p50']:.2f}x, p99 {ours['p99'] / bare['p99']:.2f}x, "
                  f"throughput {ours['rps'] / bare['rps']:.2f}x")
    db.dispose()
    drop_database(database_url)


if __name__ == "__main__":
    main()
