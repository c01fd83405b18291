from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.domain.progress import (
    Confidence,
    PaceStatus,
    disagreement,
    expected_progress,
    key_result_progress,
    milestone_progress,
    objective_progress,
    pace_status,
    percent,
)

# --- key_result_progress ------------------------------------------------------------------


def test_increasing_key_result_halfway():
    assert key_result_progress(0, 100, 50) == 0.5


def test_decreasing_key_result_24h_to_6h():
    assert key_result_progress(24, 6, 15) == 0.5
    assert key_result_progress(24, 6, 6) == 1.0
    assert key_result_progress(24, 6, 24) == 0.0


def test_decreasing_key_result_overachieved():
    assert key_result_progress(24, 6, 0) == pytest.approx(24 / 18)


def test_over_achievement_is_not_capped():
    p = key_result_progress(0, 100, 150)
    assert p == 1.5
    assert percent(p) == 150


def test_progress_never_below_zero():
    assert key_result_progress(10, 20, 5) == 0.0
    assert key_result_progress(24, 6, 30) == 0.0  # decreasing KR that went the wrong way


def test_progress_is_never_negative_zero():
    p = key_result_progress(10, 20, 10)
    assert p == 0.0
    assert str(p) == "0.0"


def test_no_checkin_is_none():
    assert key_result_progress(0, 10, None) is None


def test_target_equal_to_start_is_refused():
    with pytest.raises(ValueError, match="target"):
        key_result_progress(5, 5, 3)
    with pytest.raises(ValueError):
        key_result_progress(5, 5, None)  # even without a check-in: the key result is invalid


def test_decimal_inputs_avoid_float_artefacts():
    # (0.2 - 0.1) / (0.3 - 0.1) is 0.5000000000000001 in binary floats
    assert key_result_progress(0.1, 0.3, 0.2) == 0.5
    assert key_result_progress(Decimal("0.1"), Decimal("0.3"), Decimal("0.2")) == 0.5


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_inputs_are_refused(bad):
    with pytest.raises(ValueError):
        key_result_progress(0, 10, bad)
    with pytest.raises(ValueError):
        key_result_progress(bad, 10, 5)


def test_non_numbers_are_refused():
    with pytest.raises(TypeError):
        key_result_progress(0, 10, "5")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        key_result_progress(0, 10, True)  # type: ignore[arg-type]


def test_milestone_progress():
    assert milestone_progress(True) == 1.0
    assert milestone_progress(False) == 0.0


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(start=finite, target=finite, a=finite, b=finite)
def test_progress_monotonic_for_increasing_key_results(start, target, a, b):
    assume(target > start)
    low, high = sorted((a, b))
    assert key_result_progress(start, target, low) <= key_result_progress(start, target, high)


@given(start=finite, target=finite, a=finite, b=finite)
def test_lower_is_never_worse_for_decreasing_key_results(start, target, a, b):
    assume(target < start)
    low, high = sorted((a, b))
    assert key_result_progress(start, target, low) >= key_result_progress(start, target, high)


@given(start=finite, target=finite, current=finite)
def test_progress_is_never_negative(start, target, current):
    assume(target != start)
    assert key_result_progress(start, target, current) >= 0.0


# --- percent --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, 0),
        (0.125, 13),  # half up, not banker's rounding (which gives 12)
        (0.705, 71),  # 0.705 * 100 is 70.49999999999999 in floats
        (0.115, 12),
        (0.004, 0),
        (0.005, 1),
        (0.994, 99),
        (0.995, 100),
        (1.0, 100),
        (1.5, 150),
        (2 / 3, 67),
        (-0.125, -13),  # a change since last week may be negative
    ],
)
def test_percent_rounds_half_up(p, expected):
    assert percent(p) == expected


def test_percent_returns_int():
    assert isinstance(percent(0.5), int)


def test_percent_refuses_nan():
    with pytest.raises(ValueError):
        percent(float("nan"))


# --- objective_progress -------------------------------------------------------------------


def test_objective_progress_plain_mean():
    assert objective_progress([(0.5, 1), (1.0, 1)]) == 0.75


def test_objective_progress_weights():
    assert objective_progress([(1.0, 3), (0.0, 1)]) == 0.75
    assert objective_progress([(0.0, 3), (1.0, 1)]) == 0.25


def test_objective_progress_clamps_over_achievement():
    # 150 % on one key result cannot hide 0 % on another
    assert objective_progress([(1.5, 1), (0.0, 1)]) == 0.5
    assert objective_progress([(1.5, 1)]) == 1.0


def test_objective_progress_clamps_negative():
    assert objective_progress([(-0.5, 1), (1.0, 1)]) == 0.5


def test_objective_progress_no_checkin_counts_as_zero():
    assert objective_progress([(None, 1), (1.0, 1)]) == 0.5


def test_objective_progress_milestones():
    items = [(milestone_progress(True), 1), (milestone_progress(False), 1)]
    assert objective_progress(items) == 0.5


def test_objective_progress_empty_is_zero():
    assert objective_progress([]) == 0.0


def test_objective_progress_accepts_a_generator_and_fractional_weights():
    assert objective_progress((p, w) for p, w in [(1.0, 0.5), (0.0, 1.5)]) == 0.25


@pytest.mark.parametrize("weight", [0, -1, float("nan"), float("inf")])
def test_objective_progress_refuses_bad_weights(weight):
    with pytest.raises(ValueError):
        objective_progress([(0.5, weight)])


def test_objective_progress_percent_example():
    # 24 h -> 6 h at 15 h is 50 %, a milestone done, weights 1 and 3
    items = [(key_result_progress(24, 6, 15), 1), (milestone_progress(True), 3)]
    assert percent(objective_progress(items)) == 88  # 0.875 rounds half up


# --- expected_progress --------------------------------------------------------------------

START = datetime(2026, 10, 1)
END = datetime(2027, 1, 1)


def test_expected_progress_midway():
    mid = START + (END - START) / 2
    assert expected_progress(mid, START, END) == 0.5


def test_expected_progress_at_edges():
    assert expected_progress(START, START, END) == 0.0
    assert expected_progress(END, START, END) == 1.0


def test_expected_progress_is_clamped():
    assert expected_progress(START - timedelta(days=3), START, END) == 0.0
    assert expected_progress(END + timedelta(days=3), START, END) == 1.0


def test_expected_progress_refuses_empty_cycle():
    with pytest.raises(ValueError):
        expected_progress(START, START, START)


# --- pace_status ----------------------------------------------------------------------------


def test_no_checkin():
    assert pace_status(None, 0.5) is PaceStatus.NO_CHECKIN


@pytest.mark.parametrize(
    ("p", "e", "status"),
    [
        (0.5, 0.5, PaceStatus.ON_TRACK),
        (0.9, 0.5, PaceStatus.ON_TRACK),
        (0.4, 0.5, PaceStatus.ON_TRACK),  # exactly e - 0.10
        (0.39, 0.5, PaceStatus.AT_RISK),  # just under e - 0.10
        (0.25, 0.5, PaceStatus.AT_RISK),  # exactly e - 0.25
        (0.24, 0.5, PaceStatus.OFF_TRACK),  # just under e - 0.25
        (0.0, 0.5, PaceStatus.OFF_TRACK),
        # boundaries where float subtraction is inexact (0.6 - 0.1 = 0.49999999999999994)
        (0.5, 0.6, PaceStatus.ON_TRACK),
        (0.35, 0.6, PaceStatus.AT_RISK),
        (0.6, 0.7, PaceStatus.ON_TRACK),
        (0.45, 0.7, PaceStatus.AT_RISK),
        (0.7, 0.8, PaceStatus.ON_TRACK),
        (0.55, 0.8, PaceStatus.AT_RISK),
        (0.9, 1.0, PaceStatus.ON_TRACK),
        (0.75, 1.0, PaceStatus.AT_RISK),
        (0.7499, 1.0, PaceStatus.OFF_TRACK),
        (0.0, 0.0, PaceStatus.ON_TRACK),
        (0.0, 0.1, PaceStatus.ON_TRACK),
        (0.0, 0.11, PaceStatus.AT_RISK),
        (0.0, 0.25, PaceStatus.AT_RISK),
        (0.0, 0.26, PaceStatus.OFF_TRACK),
    ],
)
def test_pace_thresholds(p, e, status):
    assert pace_status(p, e) is status


def test_pace_uses_clamped_progress():
    # over-achievement is simply on track; negative progress (not floored by caller) is 0
    assert pace_status(1.7, 1.0) is PaceStatus.ON_TRACK
    assert pace_status(-0.5, 0.25) is PaceStatus.AT_RISK


def test_pace_from_real_key_result_at_boundary():
    # decreasing 24 h -> 6 h, at 16.8 h is 40 %; at 60 % of the cycle that is "at risk"
    # (0.4 < 0.6 - 0.10) and at 50 % it is exactly on the on-track line
    p = key_result_progress(24, 6, 16.8)
    assert p == 0.4
    assert pace_status(p, 0.6) is PaceStatus.AT_RISK
    assert pace_status(p, 0.5) is PaceStatus.ON_TRACK


# --- enums ------------------------------------------------------------------------------------


def test_pace_labels_and_emoji():
    assert [s.label for s in PaceStatus] == ["on track", "at risk", "off track", "no check-in yet"]
    assert [s.emoji for s in PaceStatus] == [
        ":large_green_circle:",
        ":large_yellow_circle:",
        ":red_circle:",
        ":white_circle:",
    ]
    assert PaceStatus.ON_TRACK == "on_track"


def test_confidence_labels():
    assert [c.label for c in Confidence] == ["on track", "at risk", "off track"]
    assert Confidence.AT_RISK.emoji == PaceStatus.AT_RISK.emoji


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on-track", Confidence.ON_TRACK),
        ("on_track", Confidence.ON_TRACK),
        ("on track", Confidence.ON_TRACK),
        ("ontrack", Confidence.ON_TRACK),
        ("On-Track", Confidence.ON_TRACK),
        ("  ON TRACK ", Confidence.ON_TRACK),
        ("at-risk", Confidence.AT_RISK),
        ("AT_RISK", Confidence.AT_RISK),
        ("off-track", Confidence.OFF_TRACK),
        ("Off Track", Confidence.OFF_TRACK),
    ],
)
def test_confidence_parse(text, expected):
    assert Confidence.parse(text) is expected


@pytest.mark.parametrize("text", ["", "maybe", "on", "no_checkin", "track-on"])
def test_confidence_parse_refuses(text):
    with pytest.raises(ValueError, match="on-track, at-risk or off-track"):
        Confidence.parse(text)


# --- disagreement -------------------------------------------------------------------------


def test_disagreement_sentence():
    assert disagreement(PaceStatus.ON_TRACK, Confidence.AT_RISK) == "pace on track, confidence at risk"
    assert disagreement(PaceStatus.OFF_TRACK, Confidence.ON_TRACK) == "pace off track, confidence on track"


@pytest.mark.parametrize("status", [PaceStatus.ON_TRACK, PaceStatus.AT_RISK, PaceStatus.OFF_TRACK])
def test_no_disagreement_when_they_agree(status):
    assert disagreement(status, Confidence(status.value)) is None


def test_no_disagreement_when_something_is_missing():
    assert disagreement(PaceStatus.ON_TRACK, None) is None
    assert disagreement(PaceStatus.NO_CHECKIN, Confidence.AT_RISK) is None


def test_progress_stays_finite_for_a_tiny_range():
    p = key_result_progress(0, 1e-300, 1e15)
    assert p == 1e12
    assert percent(p) == 10**14


def test_objective_progress_rounds_half_up_without_float_artefacts():
    from bot.domain.progress import objective_progress, percent

    # 0.7 * 3 / 4 is 0.525 exactly; in floats it is 0.52499999…, which would show as 52 %.
    assert percent(objective_progress([(0.7, 3), (0.0, 1)])) == 53
