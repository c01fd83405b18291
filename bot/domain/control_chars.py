"""Characters that have no place in text a client sends: they hide or reorder what people read
(bidirectional overrides), end strings early in other systems (NUL) or drive terminals (C0, C1,
DEL). A multi-line field may keep tab and line feed."""

from __future__ import annotations

import re

_ALWAYS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_SINGLE_LINE = re.compile(f"[\t\n{_ALWAYS}]")
_MULTI_LINE = re.compile(f"[{_ALWAYS}]")


def first_control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first forbidden character in `text` as `U+0000`, or None when there is none."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    return f"U+{ord(found.group(0)):04X}" if found else None
