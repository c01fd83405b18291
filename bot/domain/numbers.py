"""Numbers as people type them in Slack, and numbers as we show them back.

parse_number is strict on purpose: a value that could mean two things ("1,5") is refused with
a message that says how to type it, rather than stored wrong.
"""

import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_ABS = 10**15
_MAX_LEN = 64  # nobody types a 64-character number; don't spend effort on pasted essays

_CURRENCY = "$€£¥₹"
_PREFIX_UNITS = set(_CURRENCY)
# Unicode minus and dashes that phones and word processors put in place of "-".
_MINUS = {"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"}
_SPACES = "\u00a0\u2007\u2009\u202f"  # no-break, figure, thin, narrow no-break

_PLAIN = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?", re.I | re.A)
_COMMA_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.A)
_SPACE_GROUPED = re.compile(r"\d{1,3}(?: \d{3})+(?:\.\d+)?", re.A)
_DECIMAL_COMMA = re.compile(r"\d+,\d+", re.A)  # "1,5", "12,50": one comma, not a thousands group
_NON_FINITE = {"nan", "snan", "inf", "infinity", "∞"}


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 30 else text[:29] + "…"


def _not_a_number(text: str) -> ValueError:
    return ValueError(f"'{_shown(text)}' is not a number, e.g. 42 or 3.5")


def _normalised(raw: str) -> str:
    """Unicode dashes become "-" and exotic spaces become " ", outer whitespace stripped."""
    s = raw.strip()
    for dash, minus in _MINUS.items():
        s = s.replace(dash, minus)
    for space in _SPACES:
        s = s.replace(space, " ")
    return s.strip()


def _take_sign(s: str) -> tuple[str, str]:
    """Split a leading "+" or "-" off s: ("-", "5") for "-5", ("", s) when there is none."""
    # Careful: "" in "+-" is True, so test the first character only when there is one.
    if s and s[0] in "+-":
        return s[0], s[1:].strip()
    return "", s


def _sign_and_number(s: str) -> tuple[str, str]:
    """Strip sign, currency and percent, which may come in either order around the digits:
    "-$5", "$-5", "5 €"."""
    sign, s = _take_sign(s)
    if s and s[0] in _CURRENCY:
        s = s[1:].strip()
        if not sign:
            sign, s = _take_sign(s)
    if s and (s[-1] == "%" or s[-1] in _CURRENCY):
        s = s[:-1].strip()
    return sign, s


def _digits(s: str, raw: str) -> str:
    """The plain decimal literal s writes, thousands separators removed; raises on anything else."""
    if _PLAIN.fullmatch(s):
        return s
    if _COMMA_GROUPED.fullmatch(s):
        return s.replace(",", "")
    if _SPACE_GROUPED.fullmatch(s):
        return s.replace(" ", "")
    if _DECIMAL_COMMA.fullmatch(s):
        raise ValueError(
            f"'{_shown(raw)}' is ambiguous: use a dot for decimals, e.g. 1.5 "
            "(commas only group thousands, e.g. 1,200)"
        )
    if "," in s and re.fullmatch(r"[\d,.]+", s):
        raise ValueError(
            f"'{_shown(raw)}' is not a number: put commas only between groups of three "
            "digits (e.g. 1,200,000) and use a dot for decimals, e.g. 1.5"
        )
    raise _not_a_number(raw)


def parse_number(text: str) -> float:
    """Parse "42", "-3.5", "−3", "50%", "$1,200", "1 200", "1,200,000.50", "+5", "1e3".

    "50%" is 50, not 0.5: a key result measured in percent stores percent points.
    Raises ValueError with a message a person can act on.
    """
    if text is None or not str(text).strip():
        raise ValueError("Enter a number, e.g. 42 or 3.5")
    raw = str(text)
    if len(raw) > _MAX_LEN:
        raise _not_a_number(raw)
    sign, s = _sign_and_number(_normalised(raw))
    if s.lower() in _NON_FINITE:
        raise ValueError(f"'{_shown(raw)}' must be a finite number")
    digits = _digits(s, raw)

    try:
        value = Decimal(sign + digits)
    except InvalidOperation:  # pragma: no cover - the patterns above only admit valid literals
        raise _not_a_number(raw) from None
    if value.copy_abs() > MAX_ABS:  # copy_abs: no context, so no Overflow on 1e999999
        raise ValueError(f"'{_shown(raw)}' is too large: keep it within ±{MAX_ABS:,}")
    return float(value) + 0.0  # "+ 0.0" turns -0.0 into 0.0


def typed_unit(text: str | None) -> str:
    """The unit typed with a number: "%" for "30%", "$" for "$1,200" or "1 200 €", else ""."""
    s = (text or "").strip().lstrip("+-\u2212").strip()
    if s.endswith("%"):
        return "%"
    for symbol in _CURRENCY:
        if s.startswith(symbol) or s.endswith(symbol):
            return symbol
    return ""


@functools.lru_cache(maxsize=4096)  # pure, and a page formats the same few values again and again
def format_number(x: float, unit: str = "") -> str:
    """Up to two decimals, trailing zeros dropped, thousands separated: 1200 -> "1,200".

    "%" is glued on ("50%"), currency symbols go in front ("$1,200", "-$5"), any other unit
    follows after a space ("24 h").
    """
    unit = (unit or "").strip()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    d = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    negative = d < 0
    body = f"{abs(d):,.2f}".rstrip("0").rstrip(".")
    if body == "0":
        negative = False  # -0.001 shows as 0, not -0
    sign = "-" if negative else ""
    if not unit:
        return sign + body
    if unit in _PREFIX_UNITS:
        return f"{sign}{unit}{body}"
    if unit == "%":
        return f"{sign}{body}%"
    return f"{sign}{body} {unit}"
