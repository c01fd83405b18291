"""Reading a Viva Goals export: its workbook (.xlsx) or its CSV form, into plain rows. No database,
no Slack: bytes and text in, `Sheets` out, or ImportRejected naming the row.

The columns
-----------

Microsoft documents Viva Goals' Excel import in "Import OKRs and Initiatives/Projects into Viva Goals
with Excel" (https://learn.microsoft.com/en-us/viva/goals/import-okrs-projects): one row per OKR or
project on the sheet "OKRs and Projects", each with its **OKR Reference**, a child naming its parent's
reference in **Parent OKR**, and rows matched on **Title**, **Owner**, **Type** (Organization, a team's
name, Individual) and **Time period**. "Create OKRs" (https://learn.microsoft.com/en-us/viva/goals/creating-okrs)
adds what a metric has: a starting point, a target, and the progress checked in. Microsoft's pages
name those fields but do not print the template's header row (it ships inside the template's
"Basic Fields and Advanced Fields" sheet), so the headers below are the documented names where the
pages give them (OKR Reference, Parent OKR, Title, Owner, Type, Time period) and our reading of the
template for the rest, with common variants accepted; headers are matched ignoring case, spaces and
underscores, and other columns are ignored:

    OKR Reference   the row's identity; re-importing matches objectives by it     (required)
    Title           ≤ 150 characters                                                (required)
    OKR Type        Objective, Key Result, or Project (projects are not imported; a blank type is
                    a key result when the row has a Target Value and its parent is an objective)
    Parent OKR      the OKR Reference of the parent: an objective's parent objective, or the
                    objective a key result belongs to
    Owner           the owner's email; of several owners, the first (matched to a Slack user:
                    bot/importers/viva/people.py)
    Type            Organization / team / Individual: read, not needed by Northline
    Time Period     "Q1 2025", "2025-Q1", "FY2025-Q1": the Northline cycle    (required on objectives)
    Description, Start Value, Target Value, Current Value, Unit

Check-in history, where the export has it: a sheet "Check-ins" (or, for the CSV form, a second CSV
given with --checkins) with OKR Reference, Check-in Date, Value, Note and Checked in by (an email).

What the rows mean (kinds, parents, the 0 → 100 % key results, check-ins) is plan.py's.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.numbers import format_number
from bot.forms.okr_file import ImportRejected, Problem

# A workbook is a zip: its parts are checked against the sizes its directory declares before openpyxl
# opens it (zipfile never inflates a part past its declared size: a lie ends in BadZipFile). 5,000
# rows of an export are a few MB of XML; a zip bomb is gigabytes from kilobytes.
MAX_WORKBOOK_BYTES = 50_000_000  # uncompressed, all parts together
MAX_WORKBOOK_RATIO = 100  # uncompressed : compressed, for any part over RATIO_FROM bytes
RATIO_FROM = 1_000_000
MAX_WORKBOOK_PARTS = 1000
MAX_ROWS = 5000  # Viva's own import stops at 1,000 a file; an export of a whole org can be larger
OKR_SHEET = "OKRs and Projects"
CHECKIN_SHEET = "Check-ins"
# canonical column → the headers accepted for it (compared without case, spaces or underscores)
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("OKR Reference", "Reference", "OKR ID"),
    "title": ("Title", "OKR Title", "Name"),
    "kind": ("OKR Type", "Item Type", "Kind"),
    "parent": ("Parent OKR", "Parent OKR Reference", "Parent"),
    "owner": ("Owner", "Owner Email", "Owners"),
    "level": ("Type",),
    "period": ("Time Period", "Period"),
    "description": ("Description",),
    "start": ("Start Value", "Start", "Starting Value"),
    "target": ("Target Value", "Target"),
    "current": ("Current Value", "Current", "Progress Value"),
    "unit": ("Unit", "Metric Unit"),
}
CHECKIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("OKR Reference", "Reference", "OKR ID"),
    "date": ("Check-in Date", "Date", "Checked in on"),
    "value": ("Value", "Check-in Value"),
    "note": ("Note", "Comment", "Notes"),
    "author": ("Checked in by", "Author", "Check-in Owner"),
}
REQUIRED = ("reference", "title", "owner")


@dataclass
class Row:
    """One row of a sheet: its number and its cells under their canonical names (COLUMNS' keys)."""

    number: int  # as the spreadsheet shows it: the header is row 1
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Sheets:
    """What an export holds: the OKR rows and the check-in rows (none when it has no history)."""

    okrs: list[Row]
    checkins: list[Row]


def squash(header: Any) -> str:
    """A header (or an OKR Type) as it is compared: no case, spaces, underscores or dashes."""
    return re.sub(r"[\s_\-]+", "", str(header or "")).casefold()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value).replace(",", "") if value == value else ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _rows(table: Iterable[Iterable[Any]], columns: dict[str, tuple[str, ...]], what: str) -> list[Row]:
    table = iter(table)
    header = next(table, None)
    if header is None:
        return []
    wanted = {squash(alias): name for name, aliases in columns.items() for alias in aliases}
    positions: dict[int, str] = {}
    for index, title in enumerate(header):
        name = wanted.get(squash(title))
        if name and name not in positions.values():
            positions[index] = name
    missing = [columns[name][0] for name in REQUIRED if name in columns and name not in positions.values()]
    if what == "okrs" and missing:
        raise ImportRejected([Problem(1, f"the header row has no {', no '.join(missing)} column")])
    rows = []
    for number, raw in enumerate(table, start=2):
        cells = list(raw)
        values = {name: _cell(cells[i]) if i < len(cells) else "" for i, name in positions.items()}
        if any(values.values()):
            rows.append(Row(number, values))
        if len(rows) > MAX_ROWS:
            raise ImportRejected(
                [Problem(number, f"the {what} sheet has more than {MAX_ROWS:,} rows; split it")]
            )
    return rows


def _check_archive(data: bytes) -> None:
    """Refuse a workbook that would inflate past MAX_WORKBOOK_BYTES, or any large part packed more
    than MAX_WORKBOOK_RATIO times, before anything reads its contents."""

    def refused(message: str) -> ImportRejected:
        return ImportRejected([Problem(None, f"not imported: {message}")])

    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportRejected([Problem(None, f"not an Excel workbook (.xlsx): {error}")]) from None
    if len(parts) > MAX_WORKBOOK_PARTS:
        raise refused(f"the workbook has {len(parts):,} parts; an export has a few dozen")
    total = sum(part.file_size for part in parts)
    if total > MAX_WORKBOOK_BYTES:
        raise refused(f"the workbook unpacks to {total:,} bytes, more than {MAX_WORKBOOK_BYTES:,}")
    for part in parts:
        if part.file_size > RATIO_FROM and part.file_size > MAX_WORKBOOK_RATIO * max(part.compress_size, 1):
            raise refused(
                f"its part {part.filename[:80]} is packed {part.file_size // max(part.compress_size, 1):,} "
                f"times (more than {MAX_WORKBOOK_RATIO}); that is a zip bomb, not an export"
            )


def read_workbook(data: bytes) -> Sheets:
    """The OKR sheet ("OKRs and Projects", else the first) and the "Check-ins" sheet if any."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError) as error:
        raise ImportRejected(
            [Problem(None, f"not an Excel workbook (.xlsx) openpyxl can read: {error}")]
        ) from None
    except Exception as error:  # noqa: BLE001 - a zip that isn't a workbook raises many kinds
        raise ImportRejected(
            [Problem(None, f"not an Excel workbook (.xlsx): {type(error).__name__}")]
        ) from None
    try:
        names = {name.casefold(): name for name in book.sheetnames}
        okr_sheet = book[names.get(OKR_SHEET.casefold(), book.sheetnames[0])]
        okrs = _rows(okr_sheet.iter_rows(values_only=True), COLUMNS, "okrs")
        checkins: list[Row] = []
        if CHECKIN_SHEET.casefold() in names:
            checkins = _rows(
                book[names[CHECKIN_SHEET.casefold()]].iter_rows(values_only=True),
                CHECKIN_COLUMNS,
                "check-ins",
            )
    finally:
        book.close()
    return Sheets(okrs, checkins)


def read_csv(text: str, checkins_text: str | None = None) -> Sheets:
    """The CSV form: one CSV of OKRs, and optionally one of check-ins."""
    okrs = _rows(csv.reader(io.StringIO(text)), COLUMNS, "okrs")
    checkins = (
        _rows(csv.reader(io.StringIO(checkins_text)), CHECKIN_COLUMNS, "check-ins") if checkins_text else []
    )
    return Sheets(okrs, checkins)
