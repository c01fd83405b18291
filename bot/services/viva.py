"""`northline import --from viva FILE`: objectives, key results and check-ins out of a Viva Goals
workbook (.xlsx) or its CSV form.

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
    Owner           the owner's email; of several owners, the first (matched to a Slack user: see below)
    Type            Organization / team / Individual: read, not needed by Northline
    Time Period     "Q1 2025", "2025-Q1", "FY2025-Q1": the Northline cycle    (required on objectives)
    Description, Start Value, Target Value, Current Value, Unit

A key result "measured as a goal towards 100% completion" (no Target Value) becomes 0 → 100 %.

Check-in history, where the export has it: a sheet "Check-ins" (or, for the CSV form, a second CSV
given with --checkins) with OKR Reference, Check-in Date, Value, Note and Checked in by (an email).
A key result's Current Value with no check-in rows becomes one check-in, dated at the import.

Owners are Slack user ids in Northline: an email is looked up in the owners mapping file first,
then, when the bot may read emails (the optional `users:read.email` scope), with users.lookupByEmail.

Everything goes through the YAML importer's rules (bot/forms/okr_file.py) and writer
(bot/services/importer.py): the same checks, objectives keyed `viva:<OKR Reference>`, so importing
the same export again changes nothing. A row that can't be mapped (an owner nobody knows, a time period that isn't a quarter, a key result
whose objective is missing) is reported with its row number; by default nothing is written then.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.cycles import parse_cycle
from bot.domain.numbers import format_number, parse_number
from bot.forms.okr_file import Document, ImportRejected, Problem
from bot.services import importer
from bot.services.importer import ImportResult
from storage.models import CheckIn, KeyResult, Objective, Status, Workspace, _now

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
KEY_PREFIX = "viva:"

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
COLUMN_NAMES = {"title": "Title", "description": "Description", "owner": "Owner", "cycle": "Time Period",
                "parent": "Parent OKR", "start": "Start Value", "target": "Target Value", "unit": "Unit",
                "key_results": "key results", "key": "OKR Reference"}  # fmt: skip
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


@dataclass
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Sheets:
    okrs: list[Row]
    checkins: list[Row]


@dataclass
class Unmapped:
    row: int
    reason: str
    sheet: str = ""  # "" for the OKR sheet

    def __str__(self) -> str:
        return f"{self.sheet + ' ' if self.sheet else ''}row {self.row}: {self.reason}"


@dataclass
class VivaPlan:
    """What the export becomes: a document for the importer, the rows left out, the check-ins."""

    document: Document
    unmapped: list[Unmapped]
    ignored: list[Unmapped]  # projects: understood, not imported
    checkins: list[_CheckInRow]


@dataclass
class _CheckInRow:
    row: int
    objective_key: str
    position: int  # the key result's place among its objective's
    value: float
    at: datetime | None  # None: the export's current value, checked in at import time
    note: str
    author_email: str | None
    dedupe: str


@dataclass
class VivaResult:
    result: ImportResult
    checkins_created: int = 0
    unmapped: list[Unmapped] = field(default_factory=list)
    ignored: list[Unmapped] = field(default_factory=list)

    def summary(self) -> str:
        lines = [self.result.summary(), f"  check-ins: created {self.checkins_created}"]
        if self.ignored:
            lines.append(f"  ignored {len(self.ignored)} row(s) Northline has no place for:")
            lines += [f"    {item}" for item in self.ignored[:30]]
        if self.unmapped:
            lines.append(f"  {len(self.unmapped)} row(s) could not be mapped and were left out:")
            lines += [f"    {item}" for item in self.unmapped[:100]]
            if len(self.unmapped) > 100:
                lines.append(f"    …and {len(self.unmapped) - 100} more")
        return "\n".join(lines)


# --- reading ----------------------------------------------------------------------------------------


def _squash(header: Any) -> str:
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
    wanted = {_squash(alias): name for name, aliases in columns.items() for alias in aliases}
    positions: dict[int, str] = {}
    for index, title in enumerate(header):
        name = wanted.get(_squash(title))
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


def owner_emails(sheets: Sheets) -> set[str]:
    """Every email the export names, to look up before any transaction opens."""
    emails = {_first_email(row.get("owner")) for row in sheets.okrs}
    emails |= {_first_email(row.get("author")) for row in sheets.checkins}
    return {email for email in emails if email}


def _first_email(text: str) -> str | None:
    found = _EMAIL.search(text or "")
    return found.group(0).casefold() if found else None


def read_owner_map(text: str) -> dict[str, str]:
    """The mapping file: a CSV whose rows are `email,slack_user_id` (a header row is skipped)."""
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or (number == 1 and not _EMAIL.fullmatch(cells[0] if cells else "")):
            continue
        if (
            len(cells) < 2
            or not _EMAIL.fullmatch(cells[0])
            or not re.fullmatch(r"[UW][A-Z0-9]{2,31}", cells[1])
        ):
            problems.append(Problem(number, "expected email,U0123ABCD (an email and a Slack user id)"))
            continue
        mapping[cells[0].casefold()] = cells[1]
    if problems:
        raise ImportRejected(problems)
    return mapping


# --- mapping rows onto the importer's document ----------------------------------------------------------


def _kind(row: Row, rows_by_ref: dict[str, Row]) -> str:
    text = _squash(row.get("kind"))
    if text in ("objective", "obj", "o"):
        return "objective"
    if text in ("keyresult", "kr"):
        return "key_result"
    if text in ("project", "initiative", "initiativeproject", "projects"):
        return "project"
    if text:
        return "unknown"
    parent = rows_by_ref.get(row.get("parent").casefold())
    if row.get("target") and parent is not None and _kind(parent, rows_by_ref) == "objective":
        return "key_result"
    return "objective"


def plan(
    sheets: Sheets, owners: dict[str, str], *, fiscal_year_start_month: int = 1, now: datetime | None = None
) -> VivaPlan:
    """Turn the rows into the importer's document (its lines: the rows), or say why a row can't be."""
    now = now or _now()
    unmapped: list[Unmapped] = []
    ignored: list[Unmapped] = []
    rows_by_ref = _rows_by_reference(sheets.okrs, unmapped)
    objectives, rows_of, kr_rows = _objectives(
        rows_by_ref, owners, fiscal_year_start_month, unmapped, ignored
    )
    _attach_parents(objectives, rows_of, rows_by_ref, unmapped)
    kr_places, krs_of, broken = _place_key_results(kr_rows, objectives, owners, unmapped)
    _leave_out_broken(broken, objectives, rows_of, unmapped)
    _leave_out_orphans(objectives, rows_of, unmapped)
    kept = {entry["key"] for entry in objectives.values()}
    for ref, rows in krs_of.items():
        if ref not in objectives:
            unmapped += [Unmapped(row.number, "left out with its objective") for row in rows]
    kr_places = {ref: place for ref, place in kr_places.items() if place[0] in kept}
    document = _document(objectives, rows_of, krs_of)
    checkins = _checkins(sheets, rows_by_ref, kr_places, unmapped, now)
    return VivaPlan(document, sorted(unmapped, key=lambda u: (u.sheet, u.row)), ignored, checkins)


def _rows_by_reference(rows: list[Row], unmapped: list[Unmapped]) -> dict[str, Row]:
    """The OKR rows by their reference, casefolded; a row without one, or repeating one, is unmapped."""
    rows_by_ref: dict[str, Row] = {}
    for row in rows:
        ref = row.get("reference").casefold()
        if not ref:
            unmapped.append(Unmapped(row.number, "no OKR Reference"))
        elif ref in rows_by_ref:
            unmapped.append(
                Unmapped(
                    row.number,
                    f"OKR Reference {row.get('reference')} is also on row {rows_by_ref[ref].number}",
                )
            )
        else:
            rows_by_ref[ref] = row
    return rows_by_ref


def _owner_of(row: Row, owners: dict[str, str], unmapped: list[Unmapped]) -> str | None:
    """The Slack user who owns the row, by the first email in its Owner; else None, and why."""
    email = _first_email(row.get("owner"))
    if email is None:
        unmapped.append(Unmapped(row.number, f"the owner “{row.get('owner')[:60]}” is not an email"))
        return None
    user = owners.get(email)
    if user is None:
        unmapped.append(
            Unmapped(row.number, f"no Slack user found for {email}: add it to the owners file (--owners)")
        )
    return user


def _objectives(
    rows_by_ref: dict[str, Row],
    owners: dict[str, str],
    fiscal_year_start_month: int,
    unmapped: list[Unmapped],
    ignored: list[Unmapped],
) -> tuple[dict[str, dict], dict[str, Row], list[Row]]:
    """Sort the rows by kind: (the objectives' entries by reference, their rows, the key results'
    rows). Projects are ignored; rows of an unknown kind, or objectives without owner or cycle,
    are unmapped."""
    objectives: dict[str, dict] = {}  # reference → the objective's entry
    rows_of: dict[str, Row] = {}
    kr_rows: list[Row] = []
    for ref, row in rows_by_ref.items():
        kind = _kind(row, rows_by_ref)
        if kind == "project":
            ignored.append(
                Unmapped(
                    row.number,
                    f"{row.get('reference')} is a project; Northline imports objectives and key results",
                )
            )
        elif kind == "unknown":
            unmapped.append(
                Unmapped(
                    row.number, f"OKR Type “{row.get('kind')[:40]}” is not Objective, Key Result or Project"
                )
            )
        elif kind == "key_result":
            kr_rows.append(row)
        elif entry := _objective_entry(row, owners, fiscal_year_start_month, unmapped):
            objectives[ref] = entry
            rows_of[ref] = row
    return objectives, rows_of, kr_rows


def _objective_entry(
    row: Row, owners: dict[str, str], fiscal_year_start_month: int, unmapped: list[Unmapped]
) -> dict | None:
    """The importer's entry for an objective's row, or None when its owner or cycle is unknown."""
    owner = _owner_of(row, owners, unmapped)
    cycle = _cycle(row, fiscal_year_start_month, unmapped)
    if not (owner and cycle):
        return None
    return {
        "key": f"{KEY_PREFIX}{row.get('reference')}"[: importer.KEY_MAX],
        "title": row.get("title"),
        "description": row.get("description") or None,
        "owner": owner,
        "cycle": cycle,
        "key_results": [],
    }


def _attach_parents(
    objectives: dict[str, dict],
    rows_of: dict[str, Row],
    rows_by_ref: dict[str, Row],
    unmapped: list[Unmapped],
) -> None:
    """Parents: an objective under an objective of the export. An objective whose Parent OKR
    could not be imported is left out."""
    for ref, entry in list(objectives.items()):
        parent = rows_of[ref].get("parent").casefold()
        if not parent:
            continue
        target = _parent_objective(parent, rows_by_ref, objectives)
        if target is None:
            unmapped.append(
                Unmapped(
                    rows_of[ref].number,
                    f"its Parent OKR {rows_of[ref].get('parent')} is not an objective that could be imported",
                )
            )
            del objectives[ref]
        else:
            entry["parent"] = objectives[target]["key"]


def _place_key_results(
    kr_rows: list[Row], objectives: dict[str, dict], owners: dict[str, str], unmapped: list[Unmapped]
) -> tuple[dict[str, tuple[str, int]], dict[str, list[Row]], dict[str, int]]:
    """Each key result under its objective. (Where each went: reference → (objective key,
    position); the key results' rows by objective reference; objectives with a key result that
    can't be mapped → that key result's row.)"""
    kr_places: dict[str, tuple[str, int]] = {}  # key result reference → (objective key, position)
    krs_of: dict[str, list[Row]] = {}
    broken: dict[str, int] = {}  # objective reference → the row of a key result that can't be mapped
    for row in kr_rows:
        parent = row.get("parent").casefold()
        if parent not in objectives:
            reason = (
                "has no Parent OKR"
                if not parent
                else f"belongs to {row.get('parent')}, which could not be imported"
            )
            unmapped.append(Unmapped(row.number, f"the key result {reason}"))
            continue
        owner = _owner_of(row, owners, unmapped)
        if owner is None:
            broken.setdefault(parent, row.number)
            continue
        entry = objectives[parent]
        kr_places[row.get("reference").casefold()] = (entry["key"], len(entry["key_results"]))
        entry["key_results"].append(_key_result_entry(row, owner))
        krs_of.setdefault(parent, []).append(row)
    return kr_places, krs_of, broken


def _key_result_entry(row: Row, owner: str) -> dict[str, Any]:
    """The importer's entry for a key result's row."""
    start, target, unit = row.get("start"), row.get("target"), row.get("unit")
    if not target:  # "measured as a goal towards 100% completion"
        start, target, unit = start or "0", "100", unit or "%"
    kr: dict[str, Any] = {
        "title": row.get("title"),
        "start": start or "0",
        "target": target,
        "owner": owner,
    }
    if unit:
        kr["unit"] = unit
    return kr


def _leave_out_broken(
    broken: dict[str, int], objectives: dict[str, dict], rows_of: dict[str, Row], unmapped: list[Unmapped]
) -> None:
    """An objective missing one of its key results is left out whole: imported without it, a
    re-import would archive that key result in Northline."""
    for ref, row_number in broken.items():
        unmapped.append(
            Unmapped(
                rows_of[ref].number,
                f"left out with its key results: the key result on row {row_number} could not be mapped",
            )
        )
        del objectives[ref]


def _leave_out_orphans(
    objectives: dict[str, dict], rows_of: dict[str, Row], unmapped: list[Unmapped]
) -> None:
    """A child whose parent was left out is left out too (until nothing changes)."""
    changed = True
    while changed:
        changed = False
        keys = {entry["key"] for entry in objectives.values()}
        for ref, entry in list(objectives.items()):
            if entry.get("parent") and entry["parent"] not in keys:
                unmapped.append(Unmapped(rows_of[ref].number, "its parent objective could not be imported"))
                del objectives[ref]
                changed = True


def _document(objectives: dict[str, dict], rows_of: dict[str, Row], krs_of: dict[str, list[Row]]) -> Document:
    """The importer's document, each objective and key result tied to its row for error messages."""
    lines_of_kr = {ref: [row.number for row in rows] for ref, rows in krs_of.items()}
    data: dict[str, Any] = {"objectives": []}
    lines: dict[tuple, int] = {(): 1, ("objectives",): 1}
    for index, (ref, entry) in enumerate(objectives.items()):
        data["objectives"].append({k: v for k, v in entry.items() if v is not None})
        lines[("objectives", index)] = rows_of[ref].number
        for position, number in enumerate(lines_of_kr.get(ref, [])):
            lines[("objectives", index, "key_results", position)] = number
    return Document(data, lines)


def _parent_objective(parent: str, rows_by_ref: dict[str, Row], objectives: dict[str, dict]) -> str | None:
    """The objective `parent` names; an objective aligned under a key result goes under that key
    result's objective (Northline aligns objectives to objectives)."""
    if parent in objectives:
        return parent
    row = rows_by_ref.get(parent)
    if row is not None and row.get("parent").casefold() in objectives:
        return row.get("parent").casefold()
    return None


def _cycle(row: Row, fiscal_year_start_month: int, unmapped: list[Unmapped]) -> str | None:
    period = row.get("period")
    if not period:
        unmapped.append(Unmapped(row.number, "no Time Period"))
        return None
    try:
        return parse_cycle(period, fiscal_year_start_month).name
    except ValueError:
        unmapped.append(Unmapped(row.number, f"Time Period “{period[:40]}” is not a quarter such as Q1 2025"))
        return None


def _checkins(
    sheets: Sheets,
    rows_by_ref: dict[str, Row],
    kr_places: dict[str, tuple[str, int]],
    unmapped: list[Unmapped],
    now: datetime,
) -> list[_CheckInRow]:
    found: list[_CheckInRow] = []
    with_history: set[str] = set()
    for row in sheets.checkins:
        ref = row.get("reference").casefold()
        place = kr_places.get(ref)
        if place is None:
            unmapped.append(
                Unmapped(
                    row.number,
                    f"a check-in of {row.get('reference') or '(no reference)'}, which is not an imported key result",
                    CHECKIN_SHEET,
                )
            )
            continue
        try:
            value = parse_number(row.get("value"))
            at = _when(row.get("date"))
        except ValueError as error:
            unmapped.append(Unmapped(row.number, str(error), CHECKIN_SHEET))
            continue
        with_history.add(ref)
        found.append(
            _CheckInRow(
                row.number,
                *place,
                value,
                at,
                row.get("note")[:3000],
                _first_email(row.get("author")),
                f"{KEY_PREFIX}{ref}:{at.isoformat()}"[:200],
            )  # fmt: skip
        )
    for ref, place in kr_places.items():
        current = rows_by_ref[ref].get("current")
        if ref in with_history or not current:
            continue
        try:
            value = parse_number(current)
        except ValueError as error:
            unmapped.append(Unmapped(rows_by_ref[ref].number, f"Current Value: {error}"))
            continue
        # Keyed by the value: the same export again adds nothing; a newer one adds its new value.
        found.append(_CheckInRow(rows_by_ref[ref].number, *place, value, None, "", None,
                                 f"{KEY_PREFIX}{ref}:current:{value!r}"[:200]))  # fmt: skip
    return found


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"“{text[:30]}” is not a date such as 2025-03-14") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)  # storage is naive UTC
    return moment


# --- applying it ----------------------------------------------------------------------------------------


def check(plan_: VivaPlan, *, skip_unmapped: bool) -> importer.ParsedFile:
    """The importer's checks on the mapped rows; problems say which row. Rows that could not be
    mapped refuse the whole import unless `skip_unmapped`."""
    problems = (
        []
        if skip_unmapped
        else [Problem(None, str(u)) if u.sheet else Problem(u.row, u.reason) for u in plan_.unmapped]
    )
    if not plan_.document.data.get("objectives"):
        every = [Problem(None, str(u)) if u.sheet else Problem(u.row, u.reason) for u in plan_.unmapped]
        raise ImportRejected([*every, Problem(None, "no objective in the export could be imported")])
    try:
        parsed = importer.parse_document(plan_.document)
    except ImportRejected as rejected:
        problems += [_row_problem(problem) for problem in rejected.problems]
        parsed = None
    except ValidationError as error:  # pragma: no cover - parse_document wraps these
        problems.append(Problem(None, str(error)))
        parsed = None
    if problems:
        raise ImportRejected(problems)
    if parsed is None:  # no problems means parse_document gave a document
        raise ImportRejected([Problem(None, "the file could not be read")])
    return parsed


def _row_problem(problem: Problem) -> Problem:
    """The importer speaks of the YAML's fields; say the spreadsheet's columns instead."""
    message = re.sub(r"^objective \d+ \(viva:[^)]*\)(, key result \d+)?(, )?", "", problem.message)
    for field_name, column in COLUMN_NAMES.items():
        message = re.sub(rf"^{field_name}: ", f"{column}: ", message)
        message = message.replace(f"`{field_name}`", column)
    return Problem(problem.line, message or problem.message)


def apply(
    session: Session,
    workspace: Workspace,
    plan_: VivaPlan,
    parsed: importer.ParsedFile,
    owners: dict[str, str],
    *,
    now: datetime | None = None,
) -> VivaResult:
    """Write the objectives and key results (importer.apply), then the check-ins not yet written."""
    result = importer.apply(session, workspace, parsed)
    outcome = VivaResult(result, unmapped=list(plan_.unmapped), ignored=list(plan_.ignored))
    if not plan_.checkins:
        return outcome
    now = now or _now()
    keys = {c.objective_key for c in plan_.checkins}
    objectives = {
        o.import_key: o
        for o in session.scalars(
            select(Objective).where(Objective.workspace_id == workspace.id, Objective.import_key.in_(keys))
        )
    }
    key_results: dict[tuple[str, int], KeyResult] = {}
    by_objective: dict[int, list[KeyResult]] = {}
    for kr in session.scalars(
        select(KeyResult)
        .where(
            KeyResult.objective_id.in_([o.id for o in objectives.values()]),
            KeyResult.status != Status.ARCHIVED,
        )
        .order_by(KeyResult.position, KeyResult.number)
    ):
        by_objective.setdefault(kr.objective_id, []).append(kr)
    for key, objective in objectives.items():
        for position, kr in enumerate(by_objective.get(objective.id, [])):
            key_results[(key, position)] = kr
    taken = set(
        session.scalars(
            select(CheckIn.dedupe_key).where(CheckIn.dedupe_key.in_([c.dedupe for c in plan_.checkins]))
        )
    )
    for item in sorted(plan_.checkins, key=lambda c: c.at or now):
        kr = key_results.get((item.objective_key, item.position))
        if kr is None or item.dedupe in taken:
            continue
        at = item.at or now
        session.add(
            CheckIn(
                workspace_id=workspace.id,
                key_result_id=kr.id,
                value=item.value,
                note=item.note,
                author_id=owners.get(item.author_email or "", kr.owner_id),
                created_at=at,
                dedupe_key=item.dedupe,
                origin="import:viva",
            )
        )
        taken.add(item.dedupe)
        if kr.last_checkin_at is None or at >= kr.last_checkin_at:
            kr.current_value, kr.last_checkin_at = item.value, at
        outcome.checkins_created += 1
    session.flush()
    return outcome


# --- owners ---------------------------------------------------------------------------------------------

NO_EMAIL_SCOPE = (
    "Slack would not give Northline people's emails (the optional users:read.email scope is not "
    "granted), so owners were matched from the owners file only; add the scope and reinstall, or "
    "list every owner in --owners FILE."
)


class LookupRefused(Exception):
    """Slack refused an email lookup for a reason that holds for every email (its error code)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# email → the Slack user it belongs to, or None when no one has it; raises LookupRefused.
EmailLookup = Callable[[str], dict | None]


def resolve_owners(
    emails: set[str], mapping: dict[str, str], lookup: EmailLookup | None
) -> tuple[dict[str, str], str | None]:
    """email → Slack user id: the mapping file first, then `lookup` (users.lookupByEmail, which
    needs the optional users:read.email scope). Call it before any transaction: it asks Slack once
    per unknown email."""
    owners = {email: mapping[email] for email in emails if email in mapping}
    if lookup is None:
        return owners, None
    for email in sorted(emails - owners.keys()):
        try:
            user = lookup(email)
        except LookupRefused as refused:
            if refused.code == "missing_scope":
                return owners, NO_EMAIL_SCOPE
            return (
                owners,
                f"Slack answered {refused.code} while matching owners by email; the rest come from --owners only.",
            )
        if user and not user.get("deleted") and not user.get("is_bot"):
            owners[email] = user["id"]
    return owners, None
