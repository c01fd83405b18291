"""Key-result quality notes (bot/domain/kr_quality.py): what each rule says, and its rewrite."""

from __future__ import annotations

import pytest

from bot.domain.kr_quality import Note, as_text, count_note, key_result_notes


def test_a_task_counted_as_a_number_gets_an_outcome_rewrite():
    notes = key_result_notes("Launch the partner portal", milestone=False, start=0, target=100, unit="")
    assert notes == [
        Note(
            "“Launch the partner portal” reads like a task counted as a number. Name the result it "
            "should bring, with today's value and the target.",
            "Weekly users of the partner portal from 0 to 100",
        )
    ]
    assert as_text(notes[0]).endswith("Try: “Weekly users of the partner portal from 0 to 100”.")


def test_other_task_verbs_keep_their_object_and_numbers():
    [note] = key_result_notes("Set up billing alerts", milestone=False, start=2, target=10, unit="%")
    assert note.rewrite == "Billing alerts: the result it brings from 2% to 10%"


@pytest.mark.parametrize(
    "title",
    ["Activation rate from 40% to 60%", "Weekly active teams", "Test coverage", "Release readiness score"],
)
def test_outcomes_get_no_note(title):
    assert key_result_notes(title, milestone=False, start=40, target=60, unit="%") == []


def test_a_milestone_may_be_a_task_but_not_a_hidden_number():
    assert key_result_notes("Launch the partner portal", milestone=True, start=None, target=None) == []
    [note] = key_result_notes("Reach 500 paying customers", milestone=True, start=None, target=None)
    assert "has a number in it, but is a milestone" in note.text and note.rewrite == ""


def test_zero_to_one_without_a_unit_reads_like_done_or_not():
    [note] = key_result_notes("Pricing page live", milestone=False, start=0, target=1, unit="")
    assert note.text == (
        "“Pricing page live” goes from 0 to 1 with no unit: that reads like done / not done. "
        "Tick “Milestone”, or give the number it moves."
    )
    assert key_result_notes("Pricing page live", milestone=False, start=0, target=1, unit="pages") == []


def test_a_date_of_its_own_is_left_to_the_cycle():
    [note] = key_result_notes(
        "NPS from 30 to 45 by March", milestone=False, start=30, target=45, unit="", cycle="2027-Q1"
    )
    assert (
        note.text
        == "“NPS from 30 to 45 by March” has a date of its own. Its cycle (2027-Q1) already sets the deadline."
    )
    assert note.rewrite == "NPS from 30 to 45"


def test_two_to_five_key_results():
    assert count_note(0) is None
    assert count_note(1).startswith("One key result: most objectives read best with 2–5")
    assert count_note(2) is None and count_note(5) is None
    assert count_note(6) == "6 key results: 2–5 keep an objective's focus."


def test_empty_titles_say_nothing():
    assert key_result_notes("   ", milestone=False, start=0, target=1) == []
