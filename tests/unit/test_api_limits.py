"""The pure rules behind the API tokens' guard rails: the sliding window and token lifetimes.
Expected values are worked out by hand in each comment."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.domain.lifetimes import Lifetime, looks_like_lifetime, parse_lifetime
from bot.domain.sliding_window import Counts, admits, estimate, retry_after, window_start

# --- sliding window ---------------------------------------------------------------------------------


def test_the_window_starts_on_the_minute():
    assert window_start(datetime(2026, 11, 18, 12, 0, 59, 999)) == datetime(2026, 11, 18, 12, 0)
    assert window_start(datetime(2026, 11, 18, 23, 59, 0)) == datetime(2026, 11, 18, 23, 59)


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "expected"),
    [
        (0, 5, 30, 5.0),
        (10, 0, 0, 10.0),  # the whole previous minute is still inside the last 60 s
        (10, 2, 45, 4.5),  # 10 × 15/60 + 2
        (10, 2, 60, 2.0),
    ],
)
def test_the_estimate_weighs_the_previous_minute_by_what_is_left_of_it(previous, current, elapsed, expected):
    assert estimate(Counts(previous, current), elapsed, 60) == pytest.approx(expected)


def test_admits_up_to_the_limit_included():
    assert admits(Counts(0, 3), 3, 0, 60) and not admits(Counts(0, 4), 3, 0, 60)
    assert not admits(Counts(3, 1), 3, 0, 60)  # 3 + 1: a burst at :59 counts at :00
    assert admits(Counts(3, 1), 3, 20, 60)  # 3 × 40/60 + 1 = 3


@pytest.mark.parametrize(
    ("previous", "current", "limit", "elapsed", "expected"),
    [
        (0, 3, 3, 0, 80),  # next minute: 3 × (1 − t/60) ≤ 2 at t = 20 → 60 + 20
        (3, 0, 3, 0, 20),  # this minute: 3 × (1 − t/60) ≤ 2 at t = 20
        (3, 0, 3, 5, 15),  # the same, 5 s later
        (6, 1, 3, 0, 50),  # this minute: 6 × (1 − t/60) + 1 ≤ 2 at t = 50
        (0, 4, 4, 30, 45),  # next minute: 4 × (1 − t/60) ≤ 3 at t = 15 → 30 + 15
        (0, 1, 1, 59.5, 61),  # next minute: 1 × (1 − t/60) ≤ 0 at t = 60 → 0.5 + 60, rounded up
    ],
)
def test_retry_after_is_when_one_more_would_fit(previous, current, limit, elapsed, expected):
    assert retry_after(Counts(previous, current), limit, elapsed, 60) == expected


# --- lifetimes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", Lifetime(90, "d")),
        ("12W", Lifetime(12, "w")),
        ("1y", Lifetime(1, "y")),
        ("3y", Lifetime(3, "y")),
        ("1098d", Lifetime(1098, "d")),  # 3 × 366
        ("156w", Lifetime(156, "w")),
    ],
)
def test_a_lifetime_is_a_number_and_a_unit(text, expected):
    assert parse_lifetime(text) == expected


@pytest.mark.parametrize(
    "text", ["", "d", "0d", "090d", "90", "90 d", "3m", "1.5y", "-1d", "4y", "1099d", "157w", "99999d"]
)
def test_anything_else_is_no_lifetime(text):
    assert parse_lifetime(text) is None


def test_what_looks_like_a_lifetime_starts_with_a_digit():
    assert looks_like_lifetime("90") and looks_like_lifetime("0d")
    assert not looks_like_lifetime("write") and not looks_like_lifetime("")


@pytest.mark.parametrize(
    ("lifetime", "made", "expires"),
    [
        (Lifetime(90, "d"), datetime(2027, 1, 1, 9, 30), datetime(2027, 4, 1, 9, 30)),
        (Lifetime(2, "w"), datetime(2027, 2, 20, 0, 0), datetime(2027, 3, 6, 0, 0)),
        (Lifetime(1, "y"), datetime(2026, 12, 4, 16, 0), datetime(2027, 12, 4, 16, 0)),
        (Lifetime(1, "y"), datetime(2028, 2, 29, 8, 0), datetime(2029, 2, 28, 8, 0)),
        (Lifetime(2, "y"), datetime(2028, 2, 29, 8, 0), datetime(2030, 2, 28, 8, 0)),
    ],
)
def test_a_lifetime_ends_on_the_same_time_of_day(lifetime, made, expires):
    assert lifetime.expires(made) == expires
