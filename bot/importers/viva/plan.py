"""Mapping a Viva Goals export's rows onto Northline: the planner's rules, pure (rows and the
email → Slack user map in, a plan out; no database, no Slack).

- A row is an objective, a key result or a project by its OKR Type; a blank type is a key result
  when the row has a Target Value and its parent is an objective. Projects are not imported.
- Objectives are keyed `viva:<OKR Reference>`, so importing the same export again changes nothing.
  An objective aligned under a key result goes under that key result's objective.
- A key result "measured as a goal towards 100% completion" (no Target Value) becomes 0 → 100 %.
- A key result's Current Value with no check-in rows becomes one check-in, dated at the import.
- A row that can't be mapped (an owner nobody knows, a time period that isn't a quarter, a key
  result whose objective is missing) is reported with its row number; an objective missing one of
  its key results is left out whole, and so is a child of an objective left out.

Everything then goes through the YAML importer's rules (bot/forms/okr_file.py, `check`) and writer
(bot/services/importer.py, through apply.py): the same checks as an OKR file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.domain.cycles import parse_cycle
from bot.domain.numbers import parse_number
from bot.forms.okr_file import KEY_MAX, Document, ImportRejected, ParsedFile, Problem, parse_document
from bot.importers.viva.people import first_email
from bot.importers.viva.read import CHECKIN_SHEET, Row, Sheets, squash

KEY_PREFIX = "viva:"
COLUMN_NAMES = {"title": "Title", "description": "Description", "owner": "Owner", "cycle": "Time Period",
                "parent": "Parent OKR", "start": "Start Value", "target": "Target Value", "unit": "Unit",
                "key_results": "key results", "key": "OKR Reference"}  # fmt: skip


@dataclass
class Unmapped:
    """A row left out of the import, and why."""

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
    checkins: list[PlannedCheckIn]


@dataclass
class PlannedCheckIn:
    """A check-in to write: the key result by its objective's key and place, the value, when."""

    row: int
    objective_key: str
    position: int  # the key result's place among its objective's
    value: float
    at: datetime | None  # None: the export's current value, checked in at import time
    note: str
    author_email: str | None
    dedupe: str


def _kind(row: Row, rows_by_ref: dict[str, Row]) -> str:
    text = squash(row.get("kind"))
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


def plan(sheets: Sheets, owners: dict[str, str], *, fiscal_year_start_month: int = 1) -> VivaPlan:
    """Turn the rows into the importer's document (its lines: the rows), or say why a row can't be.
    No clock: a check-in of the export's current value is left undated, for apply to date."""
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
    checkins = _checkins(sheets, rows_by_ref, kr_places, unmapped)
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
    email = first_email(row.get("owner"))
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
        "key": f"{KEY_PREFIX}{row.get('reference')}"[:KEY_MAX],
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
) -> list[PlannedCheckIn]:
    """The check-ins of imported key results: the history's rows, else the Current Value."""
    found: list[PlannedCheckIn] = []
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
            PlannedCheckIn(
                row.number,
                *place,
                value,
                at,
                row.get("note")[:3000],
                first_email(row.get("author")),
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
        found.append(PlannedCheckIn(rows_by_ref[ref].number, *place, value, None, "", None,
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


# --- checking it -----------------------------------------------------------------------------------------


def check(plan_: VivaPlan, *, skip_unmapped: bool) -> ParsedFile:
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
        parsed = parse_document(plan_.document)
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
