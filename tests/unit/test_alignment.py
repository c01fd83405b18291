from bot.domain.alignment import (
    SprintFacts,
    is_aligned,
    off_track_twice_unserved,
    served_key_results,
)
from bot.domain.progress import Confidence, PaceStatus


def sprint(id_, linked=(), active=None, channel="C1", cycle="2026-Q4"):
    return SprintFacts(
        id=id_,
        channel_id=channel,
        cycle_name=cycle,
        key_result_ids=frozenset(linked),
        active_key_result_ids=None if active is None else frozenset(active),
    )


# --- SprintFacts / is_aligned ---------------------------------------------------------------


def test_is_aligned():
    assert is_aligned({1})
    assert is_aligned({1, 2})
    assert not is_aligned(set())
    assert not is_aligned(())


def test_active_defaults_to_linked():
    s = sprint(1, linked={1, 2})
    assert s.active_key_result_ids == frozenset({1, 2})
    assert s.aligned


def test_sprint_linked_only_to_closed_key_results_is_not_aligned():
    s = sprint(1, linked={1, 2}, active=set())
    assert not s.aligned


def test_sprint_with_no_links_is_not_aligned():
    assert not sprint(1).aligned


def test_active_is_narrowed_to_linked():
    s = sprint(1, linked={1}, active={1, 9})
    assert s.active_key_result_ids == frozenset({1})


def test_sprint_facts_accept_plain_sets_and_are_hashable():
    s = SprintFacts(id=1, channel_id="C1", cycle_name="2026-Q4", key_result_ids={1, 2})  # type: ignore[arg-type]
    assert s.key_result_ids == frozenset({1, 2})
    assert hash(s) == hash(SprintFacts(1, "C1", "2026-Q4", frozenset({1, 2})))


def test_served_key_results():
    assert served_key_results([sprint(1, linked={1, 2}), sprint(2, linked={2, 3}, active={3})]) == {
        1,
        2,
        3,
    }
    assert served_key_results([]) == set()


# --- off_track_twice_unserved -----------------------------------------------------------------

OFF = PaceStatus.OFF_TRACK
ON = PaceStatus.ON_TRACK
RISK = PaceStatus.AT_RISK


def test_off_track_twice_in_a_row_and_unserved():
    history = {1: [ON, OFF, OFF], 2: [OFF, OFF], 3: [OFF, ON], 4: [OFF], 5: [], 6: [OFF, RISK, OFF]}
    assert off_track_twice_unserved(history, served_kr_ids=set()) == {1, 2}


def test_served_key_results_are_left_out():
    history = {1: [OFF, OFF], 2: [OFF, OFF]}
    assert off_track_twice_unserved(history, served_kr_ids={2}) == {1}


def test_only_the_last_two_count():
    assert off_track_twice_unserved({1: [OFF, OFF, ON]}, set()) == set()
    assert off_track_twice_unserved({1: [OFF, OFF, RISK, OFF, OFF]}, set()) == {1}


def test_confidence_history_works_too():
    history = {1: [Confidence.OFF_TRACK, Confidence.OFF_TRACK], 2: [Confidence.AT_RISK] * 2}
    assert off_track_twice_unserved(history, ()) == {1}


def test_mixed_history():
    assert off_track_twice_unserved({1: (Confidence.OFF_TRACK, PaceStatus.OFF_TRACK)}, ()) == {1}


def test_no_checkin_is_not_off_track():
    assert off_track_twice_unserved({1: [PaceStatus.NO_CHECKIN] * 2}, ()) == set()
