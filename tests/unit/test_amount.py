"""A number with its unit, as every surface shows it: the unit is typed text, so it is text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ui.blocks import amount
from tests.factories import BROADCASTS, free_text


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (1200, "", "1,200"),
        (50, "%", "50%"),
        (-5, "$", "-$5"),
        (24, "h", "24 h"),
        (3, "R&D <hours>", "3 R&amp;D &lt;hours&gt;"),
        (42, "@channel <https://evil|Login>", "42 @\u200bchannel Login (https://evil)"),
        (7, "<!here>", "7 @\u200bhere"),
        (1, "<@U0BOB|bob>", "1 @bob"),
        (2, None, "2"),
    ],
)
def test_a_unit_is_shown_as_text(value, unit, shown):
    assert amount(value, unit) == shown


@given(unit=st.one_of(free_text, st.sampled_from(BROADCASTS).map(lambda b: f"{b} units")))
def test_no_unit_opens_markup_or_pings(unit):
    shown = amount(12.5, unit)
    assert "<" not in shown and ">" not in shown
    assert not re.search(r"(?<![\w@.])@(here|channel|everyone)\b", shown, re.IGNORECASE)
