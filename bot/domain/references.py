"""Short references people type: KRA-3, KPI-7, OBJ-12, KR-45, SPR-4."""

import re
from enum import StrEnum

from bot.domain.slack_text import user_text

MAX_NUMBER = 10**9


class RefKind(StrEnum):
    KRA = "KRA"
    KPI = "KPI"
    OBJ = "OBJ"
    KR = "KR"
    SPR = "SPR"


def _kind(kind: RefKind | str) -> RefKind:
    return RefKind(str(kind).upper())


def format_ref(kind: RefKind | str, number: int) -> str:
    """format_ref(RefKind.KRA, 3) -> "KRA-3"."""
    return f"{_kind(kind).value}-{int(number)}"


# Optional "#", the prefix, an optional "-", ASCII digits. "KR" never matches "KRA-3"
# because the digits must follow the prefix directly.
_PATTERNS = {kind: re.compile(rf"#?{kind.value}-?([0-9]+)", re.IGNORECASE | re.ASCII) for kind in RefKind}


def parse_ref(text: str, kind: RefKind | str) -> int:
    """parse_ref("kra-3", RefKind.KRA) -> 3. Accepts "KRA-3", "kra-3", "KRA3", "#KRA-3"."""
    kind = _kind(kind)
    cleaned = (text or "").strip()
    match = _PATTERNS[kind].fullmatch(cleaned)
    digits = match.group(1).lstrip("0") if match else ""
    # Length check first: int() of thousands of digits is slow, and past 4300 it raises.
    number = int(digits) if 0 < len(digits) <= 10 else 0
    if not 1 <= number <= MAX_NUMBER:
        if cleaned:
            raise ValueError(
                f"“{user_text(cleaned, 40)}” is not a valid {kind} reference; a valid one looks like {kind}-3"
            )
        raise ValueError(f"Enter a reference; it looks like {kind}-3")
    return number


def parse_any_ref(text: str) -> tuple[RefKind, int]:
    """Which kind of reference `text` is, and its number: "okr-12" is refused, "OBJ-12" is not."""
    # Longest prefixes first so that "KRA-3" is not read as a malformed "KR".
    for kind in sorted(RefKind, key=lambda k: -len(k.value)):
        try:
            return kind, parse_ref(text, kind)
        except ValueError:
            continue
    cleaned = (text or "").strip()[:40]
    raise ValueError(
        f"“{user_text(cleaned, 40)}” is not a reference. References look like KRA-3, OBJ-12 or KR-45"
    )
