"""Writing a Viva Goals plan: the one use case of `northline import --from viva`.

`import_plan` owns its transaction: the objectives and key results through the OKR file's writer
(bot/services/importer.py), then the check-ins not yet written, all in one commit (or none, with
`dry_run`). It is given the owners already resolved (people.py, before any transaction) and
returns a plain `VivaResult`; no ORM row goes in or out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.forms.okr_file import ParsedFile
from bot.importers.viva.plan import Unmapped, VivaPlan
from bot.services import importer
from bot.services.importer import ImportResult
from storage.db import Database
from storage.models import CheckIn, KeyResult, Objective, Status, Workspace


@dataclass
class VivaResult:
    """What an import did (or, with dry_run, would have done), and the rows it left out."""

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


def import_plan(
    db: Database,
    team_id: str,
    plan_: VivaPlan,
    parsed: ParsedFile,
    owners: dict[str, str],
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> VivaResult:
    """Write a checked plan (`plan.check`) into the workspace `team_id`, in one transaction, rolled
    back again with `dry_run`. Raises NotFound for a workspace this database does not have."""
    with db.session() as session:
        outcome = _write(session, importer.find_workspace(session, team_id), plan_, parsed, owners, now=now)
        if dry_run:
            session.rollback()
    return outcome


def _write(
    session: Session,
    workspace: Workspace,
    plan_: VivaPlan,
    parsed: ParsedFile,
    owners: dict[str, str],
    *,
    now: datetime | None = None,
) -> VivaResult:
    """Write the objectives and key results (importer.apply), then the check-ins not yet written."""
    result = importer.apply(session, workspace, parsed)
    outcome = VivaResult(result, unmapped=list(plan_.unmapped), ignored=list(plan_.ignored))
    if not plan_.checkins:
        return outcome
    now = now or stored_now()
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
