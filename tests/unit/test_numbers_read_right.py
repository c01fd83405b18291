"""Numbers said the way a person would: decreasing key results, trends, and dates in the reader's zone."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from storage.models import KeyResultKind


def key_result(start, target, current, unit="h"):
    return SimpleNamespace(
        kind=KeyResultKind.METRIC, start_value=start, target_value=target, current_value=current, unit=unit
    )


@pytest.mark.parametrize(
    ("start", "target", "current", "said"),
    [
        (24, 6, 22, "22 h, aiming down to 6 h, from 24 h"),
        (40, 60, 45, "45 h, aiming up to 60 h, from 40 h"),
        (24, 6, None, "–, aiming down to 6 h, from 24 h"),
    ],
)
def test_a_key_results_value_reads_the_way_it_aims(start, target, current, said):
    from bot.ui.posts import kr_value

    assert kr_value(key_result(start, target, current)) == said


@pytest.mark.parametrize(
    ("start", "target", "values", "verdict"),
    [
        (34, 20, [34, 32, 28], "better"),  # falling numbers, falling is good
        (34, 20, [28, 32], "worse"),
        (10, 30, [10, 12], "better"),
        (10, 30, [12, 12], "no change"),
    ],
)
def test_a_trend_says_good_or_bad_not_up_or_down(start, target, values, verdict):
    from bot.ui.okr import _trend

    history = [SimpleNamespace(value=v, created_at=datetime(2026, 11, 30)) for v in reversed(values)]
    trend = _trend(history, key_result(start, target, values[-1], unit="%"))
    assert trend.endswith(verdict)
    assert "↗" not in trend and "↘" not in trend
