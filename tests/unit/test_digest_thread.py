"""The digest's thread: one reply when key results and what needs attention fit one message,
two when they do not; never more than Slack's 50 blocks a message."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from bot.domain.progress import PaceStatus
from bot.ui.blocks import MESSAGE_BLOCKS
from bot.ui.scheduled import digest_thread


def digest(objectives: int, key_results: int, note: str) -> SimpleNamespace:
    items, notes, number = [], {}, 0
    for o in range(objectives):
        statuses = []
        for _ in range(key_results):
            number += 1
            kr = SimpleNamespace(id=number, number=number, title="Raise the weekly active teams " * 4, owner_id="U0ALICE")
            statuses.append(SimpleNamespace(key_result=kr, progress=0.4, pace=PaceStatus.ON_TRACK, confidence=None))
            notes[number] = SimpleNamespace(note=note)
        objective = SimpleNamespace(number=o + 1, title="Delight customers")
        items.append(SimpleNamespace(status=SimpleNamespace(objective=objective, key_results=statuses)))
    return SimpleNamespace(
        objectives=items, latest_notes=notes, disagreements=[], missing=[], week_start=date(2026, 11, 30), sprint_ref=None
    )


def test_a_usual_thread_is_one_reply_with_the_key_results_and_what_needs_attention():
    (reply,) = digest_thread(digest(10, 4, "steady progress"))
    text = str(reply["blocks"])
    assert "*Key results*" in text and "Every key result has a check-in this week" in text
    assert {"type": "divider"} in reply["blocks"] and len(reply["blocks"]) <= MESSAGE_BLOCKS


def test_a_thread_too_long_for_one_message_is_two_replies():
    replies = digest_thread(digest(40, 12, "a long note about what moved this week " * 5))
    assert len(replies) == 2
    assert "*Key results*" in str(replies[0]["blocks"]) and "Every key result" in str(replies[1]["blocks"])
    assert all(len(reply["blocks"]) <= MESSAGE_BLOCKS for reply in replies)
