"""The pure parts of the ready connectors: the quarter's window and its placeholders, Linear's
filter words, a CSV's cells."""

import re
from datetime import date

import pytest

from bot.sources.connectors.linear import parse_filter
from bot.sources.connectors.spreadsheet import cell_value, column_index
from bot.sources.read import SourceError
from bot.sources.window import Window, substitute, unknown_placeholder, window_for


@pytest.mark.parametrize(
    ("day", "fiscal", "window"),
    [
        (date(2026, 11, 18), 1, Window(date(2026, 10, 1), date(2027, 1, 1), date(2026, 11, 16))),
        (date(2026, 1, 1), 1, Window(date(2026, 1, 1), date(2026, 4, 1), date(2025, 12, 29))),
        (date(2026, 3, 31), 2, Window(date(2026, 2, 1), date(2026, 5, 1), date(2026, 3, 30))),
    ],
)
def test_the_window_is_the_quarter_and_the_week_of_the_day(day, fiscal, window):
    assert window_for(day, fiscal) == window


def test_known_placeholders_are_filled_and_others_left_or_refused():
    window = Window(date(2026, 10, 1), date(2027, 1, 1), date(2026, 11, 16))
    text = 'resolved >= {cycle_start} AND resolved < {cycle_end} since {week_start} up{job="a"}'
    assert substitute(text, window) == (
        'resolved >= 2026-10-01 AND resolved < 2027-01-01 since 2026-11-16 up{job="a"}'
    )
    assert unknown_placeholder(text) is None
    assert "{today} is not a placeholder" in unknown_placeholder("created >= {today}")
    assert unknown_placeholder('{"a": 1}') is None and unknown_placeholder(None) is None


def test_linears_filter_words_become_its_issue_filter():
    team, issue_filter = parse_filter('team:ENG state:"In Review" label:bug project:"Mobile app" cycle:12')
    assert team == "ENG"
    assert issue_filter == {
        "team": {"key": {"eq": "ENG"}},
        "state": {"name": {"eqIgnoreCase": "In Review"}},
        "labels": {"some": {"name": {"eqIgnoreCase": "bug"}}},
        "project": {"name": {"eqIgnoreCase": "Mobile app"}},
        "cycle": {"number": {"eq": 12}},
    }
    assert parse_filter("team:OPS cycle:previous created-after:{cycle_start}")[1] == {
        "team": {"key": {"eq": "OPS"}},
        "cycle": {"isPrevious": {"eq": True}},
        "createdAt": {"gte": "{cycle_start}"},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("state:Done", "name the team"),
        ("team:ENG team:OPS", "team is given twice"),
        ("team:ENG cycle:soon", "cycle is current, previous, next"),
        ("team:ENG completed-after:yesterday", "takes a date"),
        ('team:ENG project:"Mobile', "a quote is not closed"),
        ("team:ENG Done", "is not key:value"),
    ],
)
def test_a_linear_filter_that_cannot_be_read_says_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_filter(text)


ROWS = [["Week", "Signups"], ["2026-11-02", "120"], ["2026-11-09", "1,234"], ["", ""], ["total", ""]]


def test_cells_and_a_columns_last_value():
    assert (column_index("A"), column_index("Z"), column_index("AA"), column_index("AB")) == (0, 25, 26, 27)
    assert cell_value(ROWS, "B2") == 120
    assert cell_value(ROWS, "b3") == 1234
    assert cell_value(ROWS, "B") == 1234  # the last non-empty value: blank rows below are skipped


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("B9", "no cell B9 (5 rows)"),
        ("C2", "no cell C2"),
        ("B4", "the cell B4 is empty"),
        ("D", "column D"),
        ("A2", "text"),
    ],
)
def test_a_cell_that_holds_no_number_says_why(cell, message):
    with pytest.raises(SourceError, match=re.escape(message)):
        cell_value(ROWS, cell)
