"""The weekly digest's SQL statements per channel do not grow with channels, objectives, key
results or weeks of check-ins (bench/digest.py times the 200-channel, 416,000 check-in case)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import OTHER_TEAM, TEAM, count_statements
from tests.factories import clients, make_digest_data

# Friday 4 December 2026, 16:05 UTC: the default digest slot in a UTC workspace.
FRIDAY = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)


def test_digest_statements_per_channel_do_not_grow_with_data(db, emulator):
    from bot.jobs.digest import channel_digests

    def per_channel(team, prefix, channels, objectives, key_results, weeks):
        ids = [f"C0{prefix}{n}" for n in range(channels)]
        for channel in ids:
            emulator.add_channel(channel, team, name=channel.lower())
        make_digest_data(db, ids, objectives, key_results, weeks, FRIDAY, team_id=team)
        with count_statements(db) as counter:
            report = channel_digests(db, clients(emulator), FRIDAY, team_id=team)
        assert report.sent == channels, report
        return counter.count / channels

    small = per_channel(TEAM, "SMALL", 2, 2, 2, 4)
    large = per_channel(OTHER_TEAM, "LARGE", 2, 10, 4, 20)
    assert small == large
    charts = [f for f in emulator.files.values() if f.completed]
    assert len(charts) == 4 and all(f.content[:8] == b"\x89PNG\r\n\x1a\n" for f in charts)
    assert emulator.violations == []
