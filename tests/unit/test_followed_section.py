"""The reminder's section of followed objectives, and the digest's "updated" mark: pure builders."""

from __future__ import annotations

from types import SimpleNamespace

from bot.ids import Block
from bot.ui.blocks import section
from bot.ui.digest import digest_thread, updated_mark
from bot.ui.reminders import Movement, followed_section, keep_followed, with_followed


def movement(number: int, title: str = "Grow", progress: float = 0.5, change: float | None = 0.1) -> Movement:
    return Movement(number, title, progress, change)


def test_each_followed_objective_shows_its_progress_and_its_week():
    [block] = followed_section([movement(3, "Ship <b>it</b> @here", 0.42, -0.05), movement(4, change=None)])
    assert block["block_id"] == Block.REMINDER_FOLLOWED
    assert block["text"]["text"].split("\n") == [
        "*Objectives you follow*",
        "• `OBJ-3` Ship &lt;b&gt;it&lt;/b&gt; @\u200bhere: ▓▓▓▓░░░░░░ 42% · −5 pts since last week",
        "• `OBJ-4` Grow: ▓▓▓▓▓░░░░░ 50% · new this week",
    ]


def test_at_most_ten_are_listed_and_the_rest_counted():
    [block] = followed_section([movement(n) for n in range(1, 13)])
    lines = block["text"]["text"].split("\n")
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "…and 2 more: `/okr show OBJ-n` has each."


def test_nothing_followed_adds_nothing():
    message = {"text": "hi", "blocks": [section("a")]}
    assert followed_section([]) == []
    assert with_followed(lambda: message, []) == message


def test_the_section_goes_before_the_full_forms_button_when_there_is_room():
    button_row = {"type": "actions", "elements": []}
    message = {"text": "hi", "blocks": [section("a"), button_row]}
    made = with_followed(lambda: message, [movement(1)])
    assert [b.get("block_id") for b in made["blocks"]] == [None, Block.REMINDER_FOLLOWED, None]
    assert made["blocks"][-1] is button_row
    full = {"text": "hi", "blocks": [section(str(n)) for n in range(50)]}
    assert with_followed(lambda: full, [movement(1)]) == full  # 50 blocks: no room


def test_a_redraw_keeps_the_section_the_message_showed():
    shown = [section("old"), *followed_section([movement(7)])]
    redrawn = keep_followed({"text": "new", "blocks": [section("new")]}, shown)
    assert [b.get("block_id") for b in redrawn["blocks"]] == [None, Block.REMINDER_FOLLOWED]
    assert keep_followed({"text": "new", "blocks": [section("new")]}, None)["blocks"] == [section("new")]


def test_an_updated_digest_says_when_in_each_thread_part():
    data = SimpleNamespace(
        objectives=[], latest_notes={}, missing=[], disagreements=[], sprint_ref=None, updated="17:42"
    )
    assert updated_mark(data) == "updated 17:42"
    [reply] = digest_thread(data)
    assert reply["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "updated 17:42"}],
    }
    data.updated = None
    assert updated_mark(data) == ""
    assert "updated" not in str(digest_thread(data))
