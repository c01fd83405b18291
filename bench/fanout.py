"""Check-in reminders to 2,000 people against the emulator limiting chat.postMessage to a set
rate with 429s: time taken against the rate's lower bound (aim: within 10 %), posts delivered,
posts duplicated (must be 0).

    python bench/fanout.py [--people 2000] [--rate 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.harness import drop_database, fresh_database  # noqa: E402
from bot.jobs.engine import Engine  # noqa: E402
from bot.jobs.pacing import Pacer  # noqa: E402
from bot.jobs.posting import build_clock_client  # noqa: E402
from bot.jobs.reminders import checkin_reminders  # noqa: E402
from bot.settings import DeliverySettings  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from tests.factories import make_people  # noqa: E402
from tests.slack import SlackEmulator  # noqa: E402

TEAM, TOKEN = "T0FANOUT", "xoxb-fanout"
# A Monday, 10:05 UTC: everyone below lives in UTC, so everyone is due.
NOW = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="chat.postMessage calls per second allowed")
    args = parser.parse_args()
    url = fresh_database()
    upgrade(url)
    db = Database.from_url(url)
    with SlackEmulator() as emulator:
        emulator.add_token(TOKEN, TEAM, user_id="U0BOTFAN", bot_id="B0FAN")
        make_people(db, emulator, args.people, TEAM, tz="UTC")
        emulator.rate_limit("chat.postMessage", per_second=args.rate)
        # The engine paced to the workspace's rate, as an operator would set NORTHLINE_POSTS_PER_SECOND.
        config = DeliverySettings(posts_per_second=args.rate, posts_in_flight=4)
        pacer = Pacer(config.posts_per_second)
        client = build_clock_client(TOKEN, emulator.base_url, pacer=pacer, pace_key=TEAM)
        started = time.perf_counter()
        with Engine(db, lambda workspace: client, config, pacer=pacer) as engine:
            report = checkin_reminders(db, engine.client_for, NOW, engine=engine)
        elapsed = time.perf_counter() - started
        delivered = Counter(c.args.get("channel") for c in emulator.calls_to("chat.postMessage", ok=True))
        duplicated = sum(count - 1 for count in delivered.values() if count > 1)
        rejected = len([c for c in emulator.rejected if c.method == "chat.postMessage"])
        bound = args.people / args.rate
        print(
            f"fan-out: {args.people} people at {args.rate:g} chat.postMessage/s; {elapsed:.1f} s against a lower bound "
            f"of {bound:.1f} s ({(elapsed / bound - 1) * 100:+.1f} %); delivered {len(delivered)}, "
            f"duplicated {duplicated}, 429s honoured {rejected}; job report: {report}"
        )
    db.dispose()
    drop_database(url)


if __name__ == "__main__":
    main()
