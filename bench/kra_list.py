"""`/kra list all` through the full HTTP path on 2,000 KRAs and 6,000 KPIs.

Prints the median and p95 time from the signed POST to the ephemeral answer arriving at the
response_url, and the SQL statements per request (tests/e2e/test_kra_perf.py asserts that count
does not grow with the data).

    python bench/kra_list.py [--kras 2000] [--runs 50]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import analyze, bench_app, summary, time_requests  # noqa: E402
from tests.conftest import ALICE  # noqa: E402
from tests.factories import make_kras  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kras", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with bench_app() as bench:
        make_kras(bench.db, args.kras, kpis_per_kra=3)
        analyze(bench.db)

        def list_all() -> None:
            bench.slack.command("/kra", "list all", user_id=ALICE)
            bench.slack.wait_for_response_url(timeout=30)

        timings, statements = time_requests(bench, list_all, args.runs)
        print(summary("/kra list all", timings, statements, f"{args.kras} KRAs, {args.kras * 3} KPIs"))


if __name__ == "__main__":
    main()
