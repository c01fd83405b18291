import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.numbers import format_number, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42.0),
        ("-3.5", -3.5),
        ("\u22123", -3.0),  # unicode minus, as phones type it
        ("\u2013" + "3", -3.0),  # en dash, as word processors "fix" it
        (" 12 ", 12.0),
        ("50%", 50.0),
        ("50 %", 50.0),
        ("$1,200", 1200.0),
        ("€3.5", 3.5),
        ("3.5€", 3.5),
        ("£10", 10.0),
        ("-$5", -5.0),
        ("$-5", -5.0),
        ("1,200,000.50", 1200000.5),
        ("1,200", 1200.0),
        ("1 200", 1200.0),
        ("1\u2009200", 1200.0),  # thin space
        ("1\u202f200", 1200.0),  # narrow no-break space
        ("1\u00a0200\u00a0000", 1200000.0),  # no-break space
        ("+5", 5.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("007", 7.0),
        ("1e3", 1000.0),
        ("1E-2", 0.01),
        ("1000000000000000", 1e15),  # the limit itself is fine
        ("-1000000000000000", -1e15),
    ],
)
def test_accepts(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["-0", "-0.0", "−0", "-$0"])
def test_negative_zero_is_plain_zero(text):
    value = parse_number(text)
    assert value == 0.0
    assert math.copysign(1.0, value) == 1.0


@pytest.mark.parametrize("text", ["", "   ", "\u00a0"])
def test_empty(text):
    with pytest.raises(ValueError, match="Enter a number"):
        parse_number(text)


def test_none_is_empty():
    with pytest.raises(ValueError, match="Enter a number"):
        parse_number(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "12abc",
        "1_000",
        "--5",
        "+-5",
        "$$5",
        "5%%",
        "%",
        "$",
        "-",
        "12 34",
        "1 ,200",
        "0x10",
        "1/2",
        "five",
        "1.2.3",
        "e5",
    ],
)
def test_not_a_number(text):
    with pytest.raises(ValueError, match="is not a number, e.g. 42 or 3.5"):
        parse_number(text)


def test_not_a_number_quotes_what_was_typed():
    with pytest.raises(ValueError, match="^'abc' is not a number, e.g. 42 or 3.5$"):
        parse_number("abc")


def test_long_input_is_quoted_short():
    with pytest.raises(ValueError) as error:
        parse_number("x" * 500)
    assert len(str(error.value)) < 80


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-inf", "+Infinity", "infinity", "∞"])
def test_non_finite(text):
    with pytest.raises(ValueError, match="must be a finite number"):
        parse_number(text)


@pytest.mark.parametrize(
    "text", ["1e309", "1e16", "1000000000000001", "-2e15", "1e999999999999", "$9,999,999,999,999,999"]
)
def test_too_large(text):
    with pytest.raises(ValueError, match="is too large"):
        parse_number(text)


@pytest.mark.parametrize("text", ["1,5", "12,50", "0,25", "-1,5"])
def test_decimal_comma_is_ambiguous(text):
    with pytest.raises(ValueError, match=r"use a dot for decimals, e\.g\. 1\.5"):
        parse_number(text)


@pytest.mark.parametrize("text", ["1,50,0", "1,50,000", "1.200,50", "1,2345", ",5", "1,"])
def test_misplaced_commas(text):
    with pytest.raises(ValueError, match="use a dot for decimals"):
        parse_number(text)


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_parses_what_python_prints(x):
    assert parse_number(repr(x)) == x


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parses_what_format_number_prints(n):
    assert parse_number(format_number(n)) == n


# --- format_number ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "unit", "expected"),
    [
        (1200, "", "1,200"),
        (1200.0, "", "1,200"),
        (1200000.5, "", "1,200,000.5"),
        (3.14159, "", "3.14"),
        (2.675, "", "2.68"),  # half up on the decimal written, not the binary float
        (0.125, "", "0.13"),
        (0.1, "", "0.1"),
        (7, "", "7"),
        (0, "", "0"),
        (-0.0, "", "0"),
        (-0.001, "", "0"),
        (-1200.5, "", "-1,200.5"),
        (50, "%", "50%"),
        (12.5, "%", "12.5%"),
        (1200, "$", "$1,200"),
        (-5, "$", "-$5"),
        (3.5, "€", "€3.5"),
        (24, "h", "24 h"),
        (24, " h ", "24 h"),
        (3, "NPS points", "3 NPS points"),
        (1e15, "", "1,000,000,000,000,000"),
    ],
)
def test_format_number(x, unit, expected):
    assert format_number(x, unit) == expected


def test_format_number_default_unit():
    assert format_number(1.5) == "1.5"
