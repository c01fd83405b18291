"""Load: gunicorn (2 workers) on PostgreSQL serving signed `/kra` slash commands from 20
workspaces (reads, writes and help alike), then the same on a bare Bolt app that only acks,
served the same way in the same run. Two figures for each:

- acks: commands arrive at a fixed rate (default 40 a second, as Slack would deliver them,
  whatever the app does), after a warm-up at the same rate; p50/p95/p99/max from the moment each
  request was due to its HTTP answer, and the ratio to bare Bolt. Both apps run side by side and
  the measured seconds alternate between them in six windows: a shared machine's hiccups (its
  speed changed 2.6× within an hour here) then fall on both, not on whichever ran at the time;
- capacity: 50 clients each sending the next command as soon as the last is answered; requests/s
  (latency there only mirrors throughput), and the web workers' memory (RSS, PSS and USS) after
  the run.

    NORTHLINE_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python bench/load.py [--rate 40] [--seconds 60] [--warmup 10] [--clients 50] [--workspaces 20]
            [--slack-late 2] [--https]

NORTHLINE_LOAD_COMMANDS="help" sends only `/kra help` (acks with the least work after them).
`--also NAME=SPEC[@DIR]` serves one more app beside them (a candidate, or an older checkout in DIR,
which then runs with its own gunicorn.conf.py), measured the same way in the same run;
`--env NAME:VAR=VALUE` sets a variable for that app alone (e.g. NORTHLINE_LISTENER_THREADS).
`--https` serves the emulator over HTTPS (a self-signed certificate), as Slack is served, so every
answer and Web API call pays the TLS a real install pays. `--slack-late S` has Slack answer every Web API call and response_url post after a delay drawn
uniformly from 0 to S seconds (the emulator's `late`), so the work after each ack holds its
listener thread as long as a slow Slack would: acks then show whether the listener pool is large
enough, and memory is measured with those threads busy.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk.oauth.installation_store import Installation  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import (  # noqa: E402
    EmulatorProcess,
    drop_database,
    fresh_database,
    self_signed_certificate,
)
from bot.installations import BOT_SCOPES, installation_store  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from tests.factories import make_kras  # noqa: E402
from tests.slack import SlackEmulator  # noqa: E402

SECRET = "bench-signing-secret-0123456789"
# What the clients type: reads, writes and help, in equal measure (NORTHLINE_LOAD_COMMANDS=help for acks only).
OPEN_LOOP_SENDERS = 64
RESPONSE_URLS_PER_WORKSPACE = 2000  # reused in turn past that: Slack allows five posts to one
ACK_WINDOWS = 6  # the measured seconds alternate between the two apps in this many windows
VERIFIER = SignatureVerifier(SECRET)
COMMANDS = os.environ.get("NORTHLINE_LOAD_COMMANDS", "list|list all|kpi KPI-7 42|help").split("|")
CLIENT_ID, CLIENT_SECRET = "1111111111.2222222222", "bench-client-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    app_spec: str, port: int, env: dict[str, str | None], cwd: Path = ROOT, config: str = "gunicorn.conf.py"
) -> subprocess.Popen:
    """gunicorn serving `app_spec` with `env` added to this environment (None: the variable unset)."""
    environment = {**os.environ, **env, "PORT": str(port), "PYTHONPATH": str(cwd)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(cwd / config),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            app_spec,
        ],
        cwd=cwd,
        env={name: value for name, value in environment.items() if value is not None},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def workers_memory_mb(process: subprocess.Popen) -> dict[str, list[float]]:
    """Each of gunicorn's workers (its children), in MB: resident (RSS), proportional (PSS: shared
    pages split between the processes mapping them) and unique (USS: pages no other process maps)."""
    found: dict[str, list[float]] = {"rss": [], "pss": [], "uss": []}
    for child in Path("/proc").iterdir():
        try:
            stat = (child / "stat").read_text().split()
        except (OSError, ValueError):
            continue
        if child.name.isdigit() and int(stat[3]) == process.pid:
            fields = _kilobytes(child / "smaps_rollup")
            found["rss"].append(fields.get("Rss", 0) / 1024)
            found["pss"].append(fields.get("Pss", 0) / 1024)
            found["uss"].append((fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024)
    return {kind: sorted(sizes) for kind, sizes in found.items()}


def _kilobytes(path: Path) -> dict[str, int]:
    fields = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[name] = int(rest.split()[0])
    return fields


def set_up_slack(emulator: SlackEmulator, teams: list[str], late: float = 0.0) -> None:
    emulator.late = late  # every call handled after uniform(0, late) seconds
    for team in teams:
        emulator.add_token(f"xoxb-load-{team.lower()}", team, user_id=f"UB{team[1:]}", bot_id=f"B{team[1:]}")
        emulator.add_user(f"U{team[1:]}A", team, name="loader")


def new_response_urls(emulator: SlackEmulator, teams: list[str], each: int) -> dict[str, list[str]]:
    return {
        team: [
            emulator.new_response_url(team, channel_id="C0LOAD", user_id=f"U{team[1:]}A") for _ in range(each)
        ]
        for team in teams
    }


def signed_command(
    urls: dict[str, Iterator[str]], rng: random.Random, teams: list[str], seed: int
) -> tuple[str, dict]:
    team = rng.choice(teams)
    user = f"U{team[1:]}A"
    fields = {
        "token": "x",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": "C0LOAD",
        "channel_name": "load",
        "user_id": user,
        "user_name": "load",
        "command": "/kra",
        "text": rng.choice(COMMANDS),
        "api_app_id": "A0NORTHLINE",
        "is_enterprise_install": "false",
        "response_url": next(urls[team]),
        "trigger_id": f"{time.time()}.{seed}.{rng.random()}",
    }
    body = urllib.parse.urlencode(fields)
    timestamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": VERIFIER.generate_signature(timestamp=timestamp, body=body),
    }


class Sender:
    """One keep-alive connection to the app; send() returns whether the answer was a 200."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def send(self, body: str, headers: dict) -> bool:
        try:
            self.connection.request("POST", "/slack/events", body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
            return response.status == 200
        except OSError:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            return False


class Tally:
    """Latencies and errors, recorded from many client threads."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self._lock = threading.Lock()

    def record(self, seconds: float, ok: bool) -> None:
        with self._lock:
            self.latencies.append(seconds)
            self.errors += 0 if ok else 1

    def summary(self, duration: float) -> dict:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

        return {
            "requests": len(ordered),
            "rps": len(ordered) / duration,
            "p50": statistics.median(ordered) * 1000 if ordered else 0.0,
            "p95": pct(0.95),
            "p99": pct(0.99),
            "max": ordered[-1] * 1000 if ordered else 0.0,
            "errors": self.errors,
        }


def open_loop(
    port: int,
    urls: dict[str, Iterator[str]],
    teams: list[str],
    rate: float,
    seconds: float,
    tally: Tally | None,
) -> None:
    """Requests arrive at a fixed `rate` whatever the app does, as Slack delivers them. Each
    latency (recorded in `tally`; none for a warm-up) runs from the moment the request was due, so
    a backlog counts (no coordinated omission)."""
    due_times: queue.Queue = queue.Queue()
    started = time.perf_counter()

    def sender(seed: int) -> None:
        rng, connection = random.Random(seed), Sender(port)
        while (due := due_times.get()) is not None:
            time.sleep(max(0.0, due - time.perf_counter()))
            ok = connection.send(*signed_command(urls, rng, teams, seed))
            if tally is not None:
                tally.record(time.perf_counter() - due, ok)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(OPEN_LOOP_SENDERS)]
    for thread in threads:
        thread.start()
    for n in range(int(rate * seconds)):
        due_times.put(started + n / rate)
    for _ in threads:
        due_times.put(None)
    for thread in threads:
        thread.join()


def closed_loop(
    port: int, urls: dict[str, Iterator[str]], teams: list[str], clients: int, seconds: float
) -> dict:
    """`clients` people each sending the next command as soon as the last is answered: the most
    the app can take (its capacity), where latency only mirrors throughput."""
    tally = Tally()
    stop_at = time.time() + seconds

    def one_client(seed: int) -> None:
        rng, connection = random.Random(seed), Sender(port)
        while time.time() < stop_at:
            request = signed_command(urls, rng, teams, seed)
            begun = time.perf_counter()
            ok = connection.send(*request)
            tally.record(time.perf_counter() - begun, ok)

    threads = [threading.Thread(target=one_client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally.summary(seconds)


def describe(name: str, figures: dict) -> str:
    return (
        f"{name}: {figures['requests']} requests, {figures['rps']:.1f} req/s, p50 {figures['p50']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms, max {figures['max']:.0f} ms, errors {figures['errors']}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rate", type=float, default=40, help="requests per second, arriving on a fixed schedule"
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="seconds of the same load before measuring")
    parser.add_argument("--clients", type=int, default=50, help="back-to-back clients for the capacity run")
    parser.add_argument("--capacity-seconds", type=float, default=30)
    parser.add_argument("--workspaces", type=int, default=20)
    parser.add_argument(
        "--slack-late",
        type=float,
        default=0.0,
        metavar="S",
        help="Slack answers each call after uniform(0, S) seconds (default 0: at once)",
    )
    parser.add_argument(
        "--https", action="store_true", help="Slack served over HTTPS, as it is (a self-signed certificate)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME:VAR=VALUE",
        help="an environment variable for the app NAME alone",
    )
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=SPEC[@DIR]",
        help="another app to serve side by side (gunicorn's app spec, from DIR if given), "
        "e.g. a candidate framework or an older checkout",
    )
    return parser.parse_args()


def install(settings: Settings, db: Database, teams: list[str]) -> None:
    """Install the app in each workspace, each with 20 KRAs to read."""
    store = installation_store(settings, db)
    for team in teams:
        token = f"xoxb-load-{team.lower()}"
        store.save(
            Installation(
                app_id="A0NORTHLINE",
                team_id=team,
                bot_token=token,
                bot_id=f"B{team[1:]}",
                bot_user_id=f"UB{team[1:]}",
                bot_scopes=BOT_SCOPES,
                user_id=f"U{team[1:]}A",
            )
        )
        make_kras(db, 20, team_id=team)


def app_env(slack_url: str, database_url: str, teams: list[str]) -> dict[str, str]:
    """The environment both gunicorns run with."""
    return {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "NORTHLINE_BENCH_SECRET": SECRET,
        "NORTHLINE_BENCH_BARE_TOKEN": f"xoxb-load-{teams[0].lower()}",
    }


def measure(
    args: argparse.Namespace, env: dict[str, str], urls: dict[str, Iterator[str]], teams: list[str]
) -> tuple[dict, dict]:
    """Serve northline, bare Bolt and any --also app side by side; their ack latencies, then their
    capacity."""
    apps = {"northline": ("bot.wsgi:create_wsgi()", ROOT), "bare bolt": ("bench.bare_app:create()", ROOT)}
    # gunicorn.conf.py reads its settings through bot/settings.py (pydantic and more): bare Bolt
    # has the same settings in a file that imports nothing of ours.
    configs = {"bare bolt": "bench/bare_gunicorn.conf.py"}
    for extra in args.also:
        name, _, spec = extra.partition("=")
        spec, _, where = spec.partition("@")
        apps[name] = (spec, Path(where) if where else ROOT)
    own_env: dict[str, dict[str, str | None]] = {name: {} for name in apps}
    # Bolt's App turns on its own OAuth (a file installation store) when it finds an OAuth client
    # in the environment: bare Bolt then refused every command and posted that to its response_url.
    # It serves the one workspace its token belongs to.
    own_env["bare bolt"] = {"SLACK_CLIENT_ID": None, "SLACK_CLIENT_SECRET": None}
    for extra in args.env:
        name, _, assignment = extra.partition(":")
        variable, _, value = assignment.partition("=")
        if name not in apps or not variable:
            raise SystemExit(f"--env {extra}: expected NAME:VAR=VALUE with NAME one of {', '.join(apps)}")
        own_env[name][variable] = value
    ports = {name: free_port() for name in apps}
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, (spec, cwd) in apps.items():
            config = configs.get(name, "gunicorn.conf.py")
            processes[name] = start_gunicorn(spec, ports[name], {**env, **own_env[name]}, cwd, config)
        for name in apps:
            open_loop(ports[name], urls, teams, args.rate, args.warmup, None)
        tallies = {name: Tally() for name in apps}
        for window in range(ACK_WINDOWS):
            for name in list(apps)[:: 1 if window % 2 == 0 else -1]:
                open_loop(ports[name], urls, teams, args.rate, args.seconds / ACK_WINDOWS, tallies[name])
        acks = {name: tallies[name].summary(args.seconds) for name in apps}
        capacity = {}
        for name in apps:
            capacity[name] = closed_loop(ports[name], urls, teams, args.clients, args.capacity_seconds)
            capacity[name]["memory_mb"] = workers_memory_mb(processes[name])
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    return acks, capacity


def setup_line(args: argparse.Namespace, database_url: str) -> str:
    late = f"; Slack answers each call after uniform(0, {args.slack_late:g}) s" if args.slack_late else ""
    late += "; Slack over HTTPS" if args.https else ""
    own = "".join(f"; {extra}" for extra in args.env)
    return (
        f"load: {args.workspaces} workspaces, gunicorn 2 workers, {make_url(database_url).get_backend_name()}; "
        f"commands: {' | '.join(COMMANDS)}{late}{own}"
    )


def report(args: argparse.Namespace, database_url: str, acks: dict, capacity: dict, load: tuple) -> None:
    print(
        "load average (1, 5, 15 min) before the run {:.2f} {:.2f} {:.2f}, after it {:.2f} {:.2f} {:.2f}".format(
            *load[0], *load[1]
        )
    )
    print(setup_line(args, database_url))
    print(
        f"acks at {args.rate:g} requests/s for {args.seconds:g} s each, in {ACK_WINDOWS} windows alternating "
        f"between the apps, after {args.warmup:g} s of warm-up (latency from when each request was due):"
    )
    for name, figures in acks.items():
        print("  " + describe(name, figures))
    bare = acks["bare bolt"]
    if bare["p99"]:
        for name, ours in acks.items():
            if name != "bare bolt":
                print(
                    f"  ratio {name}/bare: p50 {ours['p50'] / bare['p50']:.2f}x, p99 {ours['p99'] / bare['p99']:.2f}x"
                )
    print(f"capacity: {args.clients} clients sending back to back for {args.capacity_seconds:g} s:")
    for name, figures in capacity.items():
        memory = figures["memory_mb"]
        each = {kind: " + ".join(f"{mb:.0f}" for mb in sizes) for kind, sizes in memory.items()}
        print(
            "  " + describe(name, figures) + f", web workers' RSS after the run {each['rss']} MB "
            f"({sum(memory['rss']):.0f} MB in all; PSS {each['pss']}, USS {each['uss']})"
        )
    bare = capacity["bare bolt"]
    if bare["rps"]:
        for name, figures in capacity.items():
            if name != "bare bolt":
                print(f"  throughput {name}/bare: {figures['rps'] / bare['rps']:.2f}x")


def main() -> None:
    args = parse_args()
    base = os.environ.get("NORTHLINE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    database_url = fresh_database(base)  # a new database beside `base`, never `base` itself
    upgrade(database_url)
    db = Database.from_url(database_url)
    teams = [f"T0LOAD{n:02d}" for n in range(args.workspaces)]
    # Slack answers from a process of its own, as it does from its own servers: in the load
    # generator's process, its handling of the app's response_url posts would hold up the
    # timing of the requests sent to northline, and never to bare Bolt (which posts none).
    tls = self_signed_certificate(Path(tempfile.mkdtemp(prefix="northline-tls-"))) if args.https else None
    with EmulatorProcess(set_up_slack, teams, args.slack_late, tls=tls) as slack:
        # Response URLs made up front (each request needs a fresh one), so that sending a request
        # never waits on the emulator's process.
        made = slack.ask(new_response_urls, teams, RESPONSE_URLS_PER_WORKSPACE)
        urls = {team: itertools.cycle(made[team]) for team in teams}
        settings = Settings(
            slack_client_id=CLIENT_ID,
            slack_client_secret=CLIENT_SECRET,
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
            database_url=database_url,
        )
        install(settings, db, teams)
        load_before = os.getloadavg()  # the machine may be shared: say how busy it was
        acks, capacity = measure(args, app_env(slack.base_url, database_url, teams), urls, teams)
        report(args, database_url, acks, capacity, (load_before, os.getloadavg()))
    db.dispose()
    drop_database(database_url)


if __name__ == "__main__":
    main()
