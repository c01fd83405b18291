"""The digest's thread: one reply when key results and what needs attention fit one message,
two when they do not; never more than Slack's 50 blocks a message."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from bot.domain.progress import PaceStatus
from bot.ui.blocks import MESSAGE_BLOCKS
from bot.ui.digest import digest_thread
from tests.slack.emulator import MESSAGE_BLOCKS_TEXT_MAX, blocks_text_length


def digest(objectives: int, key_results: int, note: str) -> SimpleNamespace:
    items, notes, number = [], {}, 0
    for o in range(objectives):
        statuses = []
        for _ in range(key_results):
            number += 1
            kr = SimpleNamespace(
                id=number, number=number, title="Raise the weekly active teams " * 4, owner_id="U0ALICE"
            )
            statuses.append(
                SimpleNamespace(key_result=kr, progress=0.4, pace=PaceStatus.ON_TRACK, confidence=None)
            )
            notes[number] = SimpleNamespace(note=note)
        objective = SimpleNamespace(number=o + 1, title="Delight customers")
        items.append(SimpleNamespace(status=SimpleNamespace(objective=objective, key_results=statuses)))
    return SimpleNamespace(
        objectives=items,
        latest_notes=notes,
        disagreements=[],
        missing=[],
        week_start=date(2026, 11, 30),
        sprint_ref=None,
    )


def test_a_usual_thread_is_one_reply_with_the_key_results_and_what_needs_attention():
    (reply,) = digest_thread(digest(10, 4, "steady progress"))
    text = str(reply["blocks"])
    assert "*Key results*" in text and "Every key result has a check-in this week" in text
    assert {"type": "divider"} in reply["blocks"] and len(reply["blocks"]) <= MESSAGE_BLOCKS


def test_a_thread_too_long_for_one_message_is_split_within_slacks_limits():
    replies = digest_thread(digest(40, 12, "a long note about what moved this week " * 5))
    assert len(replies) >= 2
    assert "*Key results*" in str(replies[0]["blocks"]) and "Every key result" in str(replies[-1]["blocks"])
    assert all(len(reply["blocks"]) <= MESSAGE_BLOCKS for reply in replies)
    # Slack refuses more than about 12,000 characters of text in a message's blocks.
    assert all(blocks_text_length(reply["blocks"]) <= MESSAGE_BLOCKS_TEXT_MAX for reply in replies)
    # So much is cut with a pointer to the rest, never silently.
    assert "more lines: `/okr show OBJ-n` has the rest" in str(replies)


def test_a_busy_channels_thread_is_split_by_size_and_keeps_every_note():
    """8 objectives x 4 key results with a 190-character note each: about 14,500 characters,
    which Slack refuses as one message (msg_blocks_too_long)."""
    note = ("n" * 189) + "!"
    replies = digest_thread(digest(8, 4, note))
    assert len(replies) == 2
    assert all(blocks_text_length(reply["blocks"]) <= MESSAGE_BLOCKS_TEXT_MAX for reply in replies)
    assert str([reply["blocks"] for reply in replies]).count(note) == 32
    assert all(reply["text"] for reply in replies)


def test_the_reminder_dm_of_someone_with_many_key_results_stays_within_slacks_text_limit():
    from datetime import date
    from zoneinfo import ZoneInfo

    from bot.ui.reminders import checkin_reminder
    from storage.models import KeyResultKind

    key_results = [
        SimpleNamespace(
            id=100 + n,
            number=n,
            title=("Reduce & simplify <onboarding> " * 5)[:150],
            kind=KeyResultKind.METRIC,
            unit="%",
            start_value=0.0,
            target_value=100.0,
            current_value=40.0,
            last_checkin_at=None,
            last_confidence="at_risk",
            objective=SimpleNamespace(number=1, title="Delight customers " * 5),
        )
        for n in range(1, 47)
    ]
    message = checkin_reminder(key_results, week_start=date(2026, 11, 30), tz=ZoneInfo("Europe/London"))
    assert len(message["blocks"]) <= MESSAGE_BLOCKS
    assert blocks_text_length(message["blocks"]) <= MESSAGE_BLOCKS_TEXT_MAX
    assert "…and 31 more not shown here" in str(message["blocks"])
    assert len([b for b in message["blocks"] if str(b.get("block_id")).endswith("_row")]) == 15
    # What people typed stays text: no markup from a title.
    assert "<onboarding>" not in str(message["blocks"]) and "&lt;onboarding&gt;" in str(message["blocks"])
