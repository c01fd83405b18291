"""The product reads the time through bot/domain/clock.py only (or is given `now`), so moving that
one clock moves all of it: the shifted-date runs in CI and every test's `now` depend on it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCK = ROOT / "bot" / "domain" / "clock.py"
WALL_CLOCK = re.compile(r"\b(datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\(\))")


def test_nothing_but_the_domain_clock_reads_the_wall_clock():
    reads = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("bot", "storage")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != CLOCK and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert reads == []
