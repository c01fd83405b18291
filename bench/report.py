"""Run every benchmark under bench/ and write bench/REPORT.md: each figure as printed, the data
sizes, the machine, and the side-by-side ratios against bare Bolt.

    python bench/report.py [--quick]        # --quick: smaller runs, for a smoke test

SQLite runs always; PostgreSQL runs when NORTHLINE_BENCH_DATABASE_URL (or the local default
postgresql+psycopg://postgres@127.0.0.1:5432/test) answers.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# (script, arguments for a full run, arguments for --quick, databases it runs on)
BENCHMARKS = [
    ("kra_list.py", [], ["--kras", "200", "--runs", "10"], ("sqlite", "postgresql")),
    ("okr_pages.py", [], ["--objectives", "100", "--runs", "10"], ("sqlite", "postgresql")),
    ("digest.py", [], ["--channels", "10", "--weeks", "8"], ("sqlite", "postgresql")),
    ("fanout.py", [], ["--people", "100", "--rate", "200"], ("sqlite",)),
    ("fanout_scale.py", [], ["--workspaces", "5", "--people", "10", "--workers", "1"], ("postgresql",)),
    (
        "load.py",
        [],
        [
            "--seconds",
            "10",
            "--warmup",
            "3",
            "--capacity-seconds",
            "5",
            "--clients",
            "10",
            "--workspaces",
            "5",
        ],
        ("postgresql",),
    ),
]


def postgres_url() -> str | None:
    url = os.environ.get("NORTHLINE_BENCH_DATABASE_URL", PG_DEFAULT)
    try:
        from sqlalchemy import text

        from storage.db import make_engine

        engine = make_engine(url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return url if version else None
    except Exception:  # noqa: BLE001 - no PostgreSQL here: report SQLite only
        return None


def machine(pg: str | None) -> list[str]:
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    pg_version = "not available"
    if pg:
        from sqlalchemy import text

        from storage.db import make_engine

        engine = make_engine(pg)
        with engine.connect() as connection:
            pg_version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return [
        f"- cores: {os.cpu_count()}",
        f"- memory: {memory}",
        f"- Python: {platform.python_version()} ({platform.machine()})",
        f"- SQLite: {sqlite3.sqlite_version}",
        f"- PostgreSQL: {pg_version}",
    ]


def python_speed() -> str:
    """A fixed pure-Python workload, timed: shared machines change speed from hour to hour, and
    every figure here is CPU-bound, so the report says how fast this machine was while it ran."""
    started = time.perf_counter()
    total = 0
    for n in range(5_000_000):
        total += n
    return f"{time.perf_counter() - started:.2f} s for 5,000,000 additions in a Python loop"


def run(script: str, args: list[str], database_url: str | None) -> tuple[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NORTHLINE_BENCH_DATABASE_URL", None)
    if database_url:
        env["NORTHLINE_BENCH_DATABASE_URL"] = database_url
    started = time.time()
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = completed.stdout.strip()
    if completed.returncode != 0:
        output = f"FAILED (exit {completed.returncode}): {completed.stderr.strip()[-800:]}"
    return output, time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=str(BENCH / "REPORT.md"))
    args = parser.parse_args()
    pg = postgres_url()
    speed_before = python_speed()
    lines = [
        "# Northline performance report",
        "",
        f"Written by `python bench/report.py{' --quick' if args.quick else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Figures are as each benchmark printed them; none is "
        "asserted by a test (the SQL statement counts are, in tests/).",
        "",
        "## Machine",
        *machine(pg),
        f"- Python speed before the run: {speed_before}",
        "",
        "## Figures",
    ]
    for script, full, quick, databases in BENCHMARKS:
        if not (BENCH / script).exists():
            lines += ["", f"### {script}", "", "not written yet"]
            continue
        for database in databases:
            url = pg if database == "postgresql" else None
            if database == "postgresql" and not pg:
                lines += ["", f"### {script} on {database}", "", "skipped: no PostgreSQL reachable"]
                continue
            output, seconds = run(script, quick if args.quick else full, url)
            lines += ["", f"### {script} on {database} ({seconds:.0f} s)", "", "```", output, "```"]
            print(f"{script} on {database}: done in {seconds:.0f} s", flush=True)
    lines[lines.index("## Figures") - 1 : lines.index("## Figures") - 1] = [
        f"- Python speed after the run: {python_speed()}"
    ]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
