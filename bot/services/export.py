"""A workspace's data out: KRAs, KPIs and their measurements, objectives, key results, check-ins.

export_rows() reads one workspace with one query per table (seven in all, whatever the size) and
returns flat rows, each naming its kind in `record`:

    kra, kpi, kpi_measurement, objective, key_result, check_in

Every row has every column of COLUMNS (None where the column means nothing for that kind), so
the CSV has one stable header and the JSON one stable shape. Rows link to each other by the
references people type (KRA-3, KPI-7, OBJ-2, KR-5), never by database ids:

    ref               the row's own reference (KRA-3, KPI-7, OBJ-2, KR-5; empty for history rows)
    kra               the KRA a KPI, a measurement or an objective belongs to
    kpi               the KPI a measurement belongs to
    objective         the objective a key result or a check-in belongs to
    parent_objective  an objective's parent (alignment)
    key_result        the key result a check-in belongs to
    owner_name, author_name  the person's name as Slack last told us (users.info, kept on
                      Member) beside their id; empty for someone we never looked up
    via               where a measurement's or a check-in's value came from, as the API's `via`:
                      empty typed in Slack, `workflow` an unattended workflow step for its
                      author, `api:TOKEN-NAME`, `source:sql`/`source:http`/`source:jira`, …, `import:viva`
    channel_name      the channel's name beside its id, filled in by with_channel_names() from
                      Slack once the rows are read; empty for a channel the app may not read
    at                when the row's latest event happened: a measurement's or a check-in's
                      time, a KPI's latest measurement, a key result's last check-in, an
                      objective's closing, a KRA's last review

Numbers are plain (1200, 3.5, -2), times ISO 8601 in UTC with a "Z". `progress` is the fraction
of docs/commands.md's *Progress* (never below 0, above 1 when over-achieved) and `percent` its whole percent; an
objective's is the weighted mean of its active key results, each clamped to [0, 1].

to_csv() makes the file safe to open in a spreadsheet: a text cell that begins with = + - @ (or a
tab or carriage return) and is not a plain number gets a leading single quote, so "=HYPERLINK(…)"
in a title is shown, never run (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.progress import objective_progress, percent
from bot.domain.references import RefKind, format_ref
from bot.services.assessment import progress_at
from storage.models import (
    CheckIn,
    KeyResult,
    Kpi,
    KpiMeasurement,
    Kra,
    Member,
    Objective,
    Status,
    Workspace,
)

RECORDS = ("kra", "kpi", "kpi_measurement", "objective", "key_result", "check_in")

COLUMNS = (
    "record",
    "ref",
    "kra",
    "kpi",
    "objective",
    "parent_objective",
    "key_result",
    "title",
    "description",
    "owner",
    "owner_name",
    "role",
    "channel",
    "channel_name",
    "cycle",
    "status",
    "kind",
    "unit",
    "direction",
    "start",
    "target",
    "current",
    "weight",
    "progress",
    "percent",
    "final_score",
    "value",
    "confidence",
    "note",
    "author",
    "author_name",
    "via",
    "at",
    "import_key",
    "created_at",
    "updated_at",
)

Row = dict[str, Any]

# A cell that a spreadsheet would read as a formula; plain numbers ("-3.5", "+5") are left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def export_rows(session: Session, workspace: Workspace) -> list[Row]:
    """Every row of the workspace, grouped by kind in RECORDS order, each kind by reference."""
    wid = workspace.id
    kras = list(session.scalars(select(Kra).where(Kra.workspace_id == wid).order_by(Kra.number)))
    kpis = list(session.scalars(select(Kpi).where(Kpi.workspace_id == wid).order_by(Kpi.number)))
    measurements = list(
        session.scalars(
            select(KpiMeasurement)
            .where(KpiMeasurement.workspace_id == wid)
            .order_by(KpiMeasurement.measured_at, KpiMeasurement.id)
        )
    )
    objectives = list(
        session.scalars(select(Objective).where(Objective.workspace_id == wid).order_by(Objective.number))
    )
    key_results = list(
        session.scalars(select(KeyResult).where(KeyResult.workspace_id == wid).order_by(KeyResult.number))
    )
    check_ins = list(
        session.scalars(
            select(CheckIn).where(CheckIn.workspace_id == wid).order_by(CheckIn.created_at, CheckIn.id)
        )
    )

    people = session.execute(select(Member.user_id, Member.name).where(Member.workspace_id == wid))
    names = {user_id: name for user_id, name in people if name and name != user_id}
    kra_refs = {k.id: format_ref(RefKind.KRA, k.number) for k in kras}
    kpi_by_id = {k.id: k for k in kpis}
    objective_refs = {o.id: format_ref(RefKind.OBJ, o.number) for o in objectives}
    kr_by_id = {kr.id: kr for kr in key_results}
    kr_progress = {kr.id: progress_at(kr, kr.current_value) for kr in key_results}
    krs_of: dict[int, list[KeyResult]] = {}
    for kr in key_results:
        krs_of.setdefault(kr.objective_id, []).append(kr)

    rows: list[Row] = []
    for kra in kras:
        rows.append(
            _row(
                "kra",
                ref=kra_refs[kra.id],
                title=kra.title,
                description=kra.description,
                owner=kra.owner_id,
                owner_name=names.get(kra.owner_id),
                role=kra.role,
                channel=kra.channel_id,
                status=kra.status.value,
                at=_time(kra.reviewed_at),
                created_at=_time(kra.created_at),
                updated_at=_time(kra.updated_at),
            )
        )
    for kpi in kpis:
        rows.append(
            _row(
                "kpi",
                ref=format_ref(RefKind.KPI, kpi.number),
                kra=kra_refs.get(kpi.kra_id),
                title=kpi.name,
                status=kpi.status.value,
                unit=kpi.unit,
                direction=kpi.direction.value,
                target=kpi.target,
                current=kpi.latest_value,
                at=_time(kpi.latest_at),
                created_at=_time(kpi.created_at),
            )
        )
    # History rows follow their parent's reference order, oldest first within each.
    kpi_order = {kpi.id: position for position, kpi in enumerate(kpis)}
    for m in sorted(measurements, key=lambda m: kpi_order.get(m.kpi_id, len(kpi_order))):
        kpi = kpi_by_id.get(m.kpi_id)
        rows.append(
            _row(
                "kpi_measurement",
                kra=kra_refs.get(kpi.kra_id) if kpi else None,
                kpi=format_ref(RefKind.KPI, kpi.number) if kpi else None,
                unit=kpi.unit if kpi else None,
                value=m.value,
                note=m.note,
                author=m.author_id,
                author_name=names.get(m.author_id),
                via=m.origin,
                at=_time(m.measured_at),
            )
        )
    for objective in objectives:
        active = [kr for kr in krs_of.get(objective.id, []) if kr.status != Status.ARCHIVED]
        progress = objective_progress((kr_progress[kr.id], kr.weight) for kr in active)
        rows.append(
            _row(
                "objective",
                ref=objective_refs[objective.id],
                kra=kra_refs.get(objective.kra_id) if objective.kra_id else None,
                parent_objective=objective_refs.get(objective.parent_id) if objective.parent_id else None,
                title=objective.title,
                description=objective.description,
                owner=objective.owner_id,
                owner_name=names.get(objective.owner_id),
                channel=objective.channel_id,
                cycle=objective.cycle,
                status=objective.status.value,
                progress=_fraction(progress),
                percent=percent(progress),
                at=_time(objective.closed_at),
                import_key=objective.import_key,
                created_at=_time(objective.created_at),
                updated_at=_time(objective.updated_at),
            )
        )
    for kr in key_results:
        progress = kr_progress[kr.id]
        rows.append(
            _row(
                "key_result",
                ref=format_ref(RefKind.KR, kr.number),
                objective=objective_refs.get(kr.objective_id),
                title=kr.title,
                owner=kr.owner_id,
                owner_name=names.get(kr.owner_id),
                status=kr.status.value,
                kind=kr.kind.value,
                unit=kr.unit,
                start=kr.start_value,
                target=kr.target_value,
                current=kr.current_value,
                weight=kr.weight,
                progress=_fraction(progress),
                percent=None if progress is None else percent(progress),
                final_score=kr.final_score,
                confidence=kr.last_confidence,
                at=_time(kr.last_checkin_at),
                created_at=_time(kr.created_at),
            )
        )
    kr_order = {kr.id: position for position, kr in enumerate(key_results)}
    for check_in in sorted(check_ins, key=lambda c: kr_order.get(c.key_result_id, len(kr_order))):
        kr = kr_by_id.get(check_in.key_result_id)
        rows.append(
            _row(
                "check_in",
                objective=objective_refs.get(kr.objective_id) if kr else None,
                key_result=format_ref(RefKind.KR, kr.number) if kr else None,
                unit=kr.unit if kr else None,
                value=check_in.value,
                confidence=check_in.confidence,
                note=check_in.note,
                author=check_in.author_id,
                author_name=names.get(check_in.author_id),
                via=check_in.origin,
                at=_time(check_in.created_at),
            )
        )
    return rows


def channels_in(rows: Iterable[Row]) -> list[str]:
    """The channels the rows name, each once, in order: the ones to look up in Slack."""
    return list(dict.fromkeys(row["channel"] for row in rows if row.get("channel")))


def with_channel_names(rows: list[Row], names: Mapping[str, str]) -> list[Row]:
    """The rows with each channel's name beside its id (Slack's answer, read after the commit)."""
    return [{**row, "channel_name": names.get(row["channel"])} if row.get("channel") else row for row in rows]


def to_csv(rows: Iterable[Row]) -> str:
    """One CSV: a header of COLUMNS, then one line per row; safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in COLUMNS])
    return out.getvalue()


def to_json(
    rows: Iterable[Row],
    *,
    team_id: str | None = None,
    exported_at: datetime | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    """{"team_id", "exported_at", "settings", "kra": [...], "kpi": [...], …}: each kind's rows with
    every column but `record` (the key they sit under); numbers stay numbers, empty cells are null.
    `settings` is the team's calendar in the shape of OKRs as code's `settings:` block."""
    grouped: dict[str, list[Row]] = {record: [] for record in RECORDS}
    for row in rows:
        grouped[row["record"]].append({k: v for k, v in row.items() if k != "record"})
    document: dict[str, Any] = {
        "team_id": team_id,
        "exported_at": _time(exported_at) if exported_at else None,
        **({"settings": settings} if settings is not None else {}),
        **grouped,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def settings_of(session: Session, workspace: Workspace) -> dict[str, Any]:
    """The workspace's calendar as OKRs as code writes it (`settings:`), for the JSON export."""
    from bot.services import calendar

    return calendar.as_code(calendar.current(session, workspace))


def csv_cell(value: Any) -> str:
    """The text of one cell: numbers plain, None empty, formula-looking text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _row(record: str, **values: Any) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row["record"] = record
    for key, value in values.items():
        if key not in row:  # pragma: no cover - a typo here should fail loudly in tests
            raise KeyError(key)
        row[key] = value
    return row


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _fraction(progress: float | None) -> float | None:
    return None if progress is None else round(progress, 4)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"
