"""A published spreadsheet: one cell of a CSV (Google Sheets' "Publish to the web" as CSV, an
Excel workbook's CSV link, any CSV file served over http(s)).

The connection is the origin that serves the CSV (no token: a published CSV is public, so its
redirects may be followed: `_followed`); the
binding gives its path and a cell: `B7`, or a column (`B`) for its last value, so a sheet that
gains a row each week is read at its newest. The answer must say text/csv (or text/plain) and is
read as UTF-8; numbers as people write them ("1,234", "98.5%", "$1,200") are understood.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

from bot.sources.connections import Connection
from bot.sources.connectors.common import Reach, Reading, call, call_url, status_error
from bot.sources.fetch import Answer
from bot.sources.read import SourceError, as_number

CELL = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})?")  # B7: one cell; B: the column's last value
PROVIDER = "The spreadsheet's server"
MAX_REDIRECTS = 3
ACCEPT = ("text/csv", "text/plain", "application/csv")


def column_index(letters: str) -> int:
    """0 for A, 25 for Z, 26 for AA."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def read(connection: Connection, reading: Reading, reach: Reach) -> float:
    answer = _followed(
        connection, call(connection, reading.path or "/", reach, accept=ACCEPT, redirects=True), reach
    )
    if not answer.ok:
        if answer.status == 404:
            raise SourceError(
                "no CSV is published at that path (HTTP 404): is it still published?", field="path"
            )
        raise status_error(PROVIDER, answer, field="path")
    try:
        rows = list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        raise SourceError("the CSV could not be read as UTF-8 text", field="path") from None
    return cell_value(rows, reading.pointer or "")


def _followed(connection: Connection, answer: Answer, reach: Reach) -> Answer:
    """The answer at the end of at most MAX_REDIRECTS redirects (Google Sheets' published link
    answers with one to googleusercontent.com). A spreadsheet connection has no secret, so
    nothing secret follows; each hop goes through the fetcher again (its address checked, the same
    deadline), https never turns into http, and relative or odd locations are refused."""
    for _ in range(MAX_REDIRECTS):
        if not 300 <= answer.status < 400:
            return answer
        location = (answer.headers.get("location") or "").strip()
        parts = urlsplit(location)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(
                "the spreadsheet's server redirected to an address that is not a full URL", field="path"
            )
        if parts.scheme == "http" and connection.target.startswith("https:"):
            raise SourceError(
                "the spreadsheet's server redirected from https to plain http; Northline refuses that",
                field="path",
            )
        answer = call_url(location, reach, {}, accept=ACCEPT, redirects=True)
    if 300 <= answer.status < 400:
        raise SourceError(
            f"the spreadsheet's server redirected more than {MAX_REDIRECTS} times", field="path"
        )
    return answer


def cell_value(rows: list[list[str]], cell: str) -> float:
    match = CELL.fullmatch(cell.upper())
    if match is None:
        raise SourceError("the cell is not a cell such as B7 or a column such as B", field="cell")
    letters, row = match.group(1), match.group(2)
    column = column_index(letters)
    if row is None:
        filled = [r[column] for r in rows if column < len(r) and r[column].strip()]
        if not filled:
            raise SourceError(f"column {letters} of the CSV is empty", field="cell")
        return as_number(filled[-1].strip(), f"the last value of column {letters}")
    number = int(row)
    if number > len(rows) or column >= len(rows[number - 1]):
        raise SourceError(f"the CSV has no cell {cell} ({len(rows)} rows)", field="cell")
    text = rows[number - 1][column].strip()
    if not text:
        raise SourceError(f"the cell {cell} is empty", field="cell")
    return as_number(text, f"the cell {cell}")
