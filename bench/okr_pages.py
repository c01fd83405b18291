"""`/okr list all`, `/okr checkin` (the modal opening) and App Home publish through the full
HTTP path on 2,000 objectives, 8,000 key results and 100,000 check-ins: median and p95 time, and
SQL statements per request (tests/e2e/test_okr.py and tests/e2e/test_home.py assert the counts do not
grow with the data).

    python bench/okr_pages.py [--objectives 2000] [--checkins 100000] [--runs 40]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import analyze, bench_app, summary, time_requests  # noqa: E402
from tests.conftest import ALICE  # noqa: E402
from tests.factories import make_okrs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objectives", type=int, default=2000)
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    size = f"{args.objectives} objectives, {args.objectives * 4} key results, {args.checkins} check-ins"
    with bench_app() as bench:
        make_okrs(bench.db, args.objectives, checkins=args.checkins)
        analyze(bench.db)
        slack, emulator = bench.slack, bench.emulator

        def list_all() -> None:
            slack.command("/okr", "list all", user_id=ALICE)
            slack.wait_for_response_url(timeout=30)

        def checkin_modal() -> None:
            before = len(emulator.calls_to("views.open"))
            slack.command("/okr", "checkin", user_id=ALICE)
            emulator.wait_for("views.open", count=before + 1, timeout=30)

        def home() -> None:
            before = len(emulator.calls_to("views.publish"))
            slack.event({"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home"})
            emulator.wait_for("views.publish", count=before + 1, timeout=30)

        for name, request in (
            ("/okr list all", list_all),
            ("/okr checkin (modal)", checkin_modal),
            ("App Home", home),
        ):
            timings, statements = time_requests(bench, request, args.runs)
            print(summary(name, timings, statements, size))


if __name__ == "__main__":
    main()
