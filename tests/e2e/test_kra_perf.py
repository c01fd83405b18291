"""The SQL a KRA page needs does not grow with the data (bench/kra_list.py prints the times)."""

from __future__ import annotations

from tests.conftest import ALICE, count_statements
from tests.factories import make_kras


def _statements_for_list_all(slack, db) -> int:
    slack.command("/kra", "list all", user_id=ALICE)  # warm-up: the first request fills caches
    slack.wait_for_response_url()
    with count_statements(db) as counter:
        slack.command("/kra", "list all", user_id=ALICE)
        answer = slack.wait_for_response_url()
    assert len(answer["blocks"]) <= 50
    return counter.count


def test_kra_list_all_needs_the_same_statements_at_20_and_2000_kras(slack, db):
    make_kras(db, 20)
    small = _statements_for_list_all(slack, db)
    make_kras(db, 1980, first=21)
    large = _statements_for_list_all(slack, db)
    assert small == large
    assert small <= 6
