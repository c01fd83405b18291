"""An objective's week-by-week progress (the digest chart's line and its change since last week)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain.history import KeyResultHistory, ObjectiveHistory, progress_at
from bot.domain.progress import value_progress

START = datetime(2026, 10, 1)


def numeric(values, *, weight=1.0, start=0.0, target=100.0, before=None):
    """Check-ins a week apart from the cycle's first day plus a day; `before`: (time, value) of a
    check-in earlier than the loaded window."""
    times = [START + timedelta(days=1 + 7 * n) for n in range(len(values))]
    last_at, current = (times[-1], values[-1]) if values else (before or (None, None))
    return KeyResultHistory(False, start, target, weight, times, list(values), last_at, current)


def test_each_week_shows_the_last_check_in_up_to_then_weighted_across_key_results():
    line = ObjectiveHistory(
        [numeric([10.0, 30.0, 50.0], weight=3.0), numeric([0.0, 100.0, 100.0], weight=1.0)],
        START,
        START + timedelta(days=91),
        START + timedelta(days=16),
        0.625,
    )
    assert line.weekly() == [
        (date(2026, 10, 1), 0.0),  # nothing checked in yet
        (date(2026, 10, 8), 0.075),  # (3 × 0.10 + 1 × 0.0) / 4
        (date(2026, 10, 15), 0.475),  # (3 × 0.30 + 1 × 1.0) / 4
        (date(2026, 10, 17), 0.625),  # now: the objective's progress as assessed
    ]


def test_a_key_result_checked_in_before_the_window_counts_with_its_current_value():
    history = numeric([], before=(START - timedelta(days=30), 40.0))
    assert progress_at([history], START) == 0.4
    assert progress_at([history], START - timedelta(days=31)) == 0.0  # before that check-in: none yet


def test_no_key_results_has_no_progress_and_milestones_are_all_or_nothing():
    assert progress_at([], START) is None
    assert value_progress(True, 0.0, 1.0, 1.0) == 1.0 and value_progress(True, 0.0, 1.0, 0.0) == 0.0
    assert value_progress(False, 5.0, 5.0, 3.0) is None  # a row from before validation: shown, not a crash
    assert value_progress(False, 0.0, 10.0, None) is None
