"""Control characters a client may not send (bot/domain/control_chars.py)."""

from __future__ import annotations

import pytest

from bot.domain.control_chars import first_control_character

# --- control characters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "multiline", "expected"),
    [
        ("plain words, émoji 🎯 and ünïcode", False, None),
        ("a\x00b", False, "U+0000"),
        ("a\x00b", True, "U+0000"),
        ("tab\there", False, "U+0009"),
        ("tab\there\nnewline", True, None),
        ("cr\r\n", True, "U+000D"),
        ("esc\x1b[31m", True, "U+001B"),
        ("del\x7f", True, "U+007F"),
        ("next line\x85", True, "U+0085"),
        ("csi\x9b", True, "U+009B"),
        ("\u00a0no-break space is text", False, None),
        ("rlo\u202e", True, "U+202E"),
        ("lre\u202a", True, "U+202A"),
        ("fsi\u2068", True, "U+2068"),
        ("pdi\u2069", True, "U+2069"),
        ("zero\u200bwidth space is text", False, None),
    ],
)
def test_control_characters_are_found(text, multiline, expected):
    assert first_control_character(text, multiline=multiline) == expected
