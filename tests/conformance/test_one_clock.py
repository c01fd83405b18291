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


LOCAL_CLOCK = re.compile(r"^\s*def (\w*now\w*|current_time)\(\s*\)")
IMPORTED_CLOCK = re.compile(r"\bimport\b.*\b(utc_now|stored_now)\b.*\bas\b")


def test_no_module_keeps_a_clock_of_its_own():
    """No `_now()` / `current_time()` wrapper beside the clock, and no clock imported under
    another name: one name for each reading of "now", so a reader finds every caller by grep."""
    helpers = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("bot", "storage")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != CLOCK and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LOCAL_CLOCK.search(line) or IMPORTED_CLOCK.search(line)
    ]
    assert helpers == []
