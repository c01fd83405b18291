"""Objectives and key results as code, applied: `northline import FILE.yaml [--team T]`.

The file's format, its reading and its checks are bot/forms/okr_file.py (with the *New objective*
modal's rules); here a checked file is resolved against the workspace (cycles, KRA-n, parents,
OBJ-n, loops) and written in the caller's transaction.

Re-importing
------------

Objectives are matched by `key` (stored as Objective.import_key, unique per workspace), their key
results first by title (ignoring case), then by position. The file is the truth for the fields it
describes: a changed field is updated, a field left out goes back to its default (no description,
no channel, no parent, the objective's owner for a key result). A key result no longer in the file
is archived (its check-ins are kept). Nothing else is touched: check-ins, current values, scores
and an objective's status (closed or archived in Slack) stay as they are. Importing the same file
twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.cycles import parse_cycle
from bot.domain.kr_quality import as_text, count_note, key_result_notes
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.errors import Invalid, NotFound
from bot.forms.okr_file import (
    KEY_MAX,
    MAX_FILE_BYTES,
    Document,
    ImportRejected,
    KeyResultSpec,
    ObjectiveSpec,
    OkrFile,
    ParsedFile,
    Path,
    Problem,
    parse_document,
    parse_file,
)
from bot.services import calendar
from bot.services.workspaces import next_number
from bot.sources.bindings import bind as bind_source
from bot.sources.bindings import declared
from bot.sources.connections import Connections, SourceConfig
from bot.sources.read import SourceError
from bot.sources.reading import needs_trial, try_spec
from bot.sources.spec import problems_with
from bot.sources.window import window_for
from storage.db import Database
from storage.models import KeyResult, KeyResultKind, Kra, Objective, Status, Workspace
from storage.repositories import workspaces as workspaces_repo

# The file's names, for the callers that know the importer by this module.
__all__ = [
    "KEY_MAX",
    "MAX_FILE_BYTES",
    "Document",
    "ImportRejected",
    "ImportResult",
    "ParsedFile",
    "Problem",
    "apply",
    "find_workspace",
    "import_file",
    "parse_document",
    "parse_file",
]


@dataclass
class ImportResult:
    team_id: str
    objectives_created: list[str] = field(default_factory=list)
    objectives_updated: list[str] = field(default_factory=list)
    objectives_unchanged: list[str] = field(default_factory=list)
    key_results_created: int = 0
    key_results_updated: int = 0
    key_results_unchanged: int = 0
    key_results_archived: list[str] = field(default_factory=list)
    settings_changed: list[str] = field(default_factory=list)
    # Key-result quality (bot/domain/kr_quality.py): coaching on what was saved as written.
    notes: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.objectives_created) + self.key_results_created

    @property
    def updated(self) -> int:
        return (
            len(self.objectives_updated)
            + self.key_results_updated
            + len(self.key_results_archived)
            + len(self.settings_changed)
        )

    @property
    def unchanged(self) -> int:
        return len(self.objectives_unchanged) + self.key_results_unchanged

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        lines = [
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}",
            f"  objectives: created {len(self.objectives_created)}{_refs(self.objectives_created)}, "
            f"updated {len(self.objectives_updated)}{_refs(self.objectives_updated)}, "
            f"unchanged {len(self.objectives_unchanged)}",
            f"  key results: created {self.key_results_created}, updated {self.key_results_updated}, "
            f"unchanged {self.key_results_unchanged}",
        ]
        if self.settings_changed:
            lines.append("  settings: " + "; ".join(self.settings_changed))
        if self.key_results_archived:
            lines.append(
                f"  archived {len(self.key_results_archived)} key result(s) no longer in the file"
                f"{_refs(self.key_results_archived)}"
            )
        if self.notes:
            lines.append("  notes on key-result quality (saved as written):")
            lines += [f"    {note}" for note in self.notes]
        return "\n".join(lines)


def _refs(refs: list[str]) -> str:
    if not refs:
        return ""
    shown = ", ".join(refs[:10])
    return f" ({shown}{', …' if len(refs) > 10 else ''})"


def find_workspace(session: Session, team_id: str) -> Workspace:
    workspace = workspaces_repo.by_team(session, team_id)
    if workspace is None:
        raise NotFound(
            f"No workspace {team_id} in this database: install the app there first, or check the team id."
        )
    return workspace


def import_file(
    session: Session, text: str, *, team_id: str | None = None, sources: SourceConfig | None = None
) -> ImportResult:
    """Check the whole file, then apply it in the caller's transaction. Raises ImportRejected (the
    file), NotFound (the team); writes nothing unless every check passed. `sources`: the declared
    connections a `source:` may name (none declared: a file with a `source:` is refused)."""
    parsed = parse_file(text)
    team = team_id or parsed.spec.team
    if not team:
        raise ImportRejected(
            [Problem(parsed.document.line(()), "name the workspace: add `team: T0123ABCD` or pass --team")]
        )
    try:
        return apply(session, find_workspace(session, team), parsed, sources=sources)
    except ImportRejected:
        raise
    except Invalid as refused:  # the workspace's cap on data sources; the caller rolls back
        raise ImportRejected([Problem(parsed.document.line(()), refused.message)]) from None


TRIAL_SECONDS = 10.0  # per source of a file: no person waits on a modal


def try_sources(
    db: Database,
    text: str,
    *,
    team_id: str | None,
    today: date,
    sources: SourceConfig,
    timeout: float = TRIAL_SECONDS,
) -> int:
    """Run each ready connector's `source:` of the file once, with no transaction open while the
    provider is asked: call it before `import_file`. ImportRejected lists, by line, every one that
    gave no number, in the provider's words. Sources the file's own checks will refuse (an
    undeclared connection, a missing field) are left to them. The number of sources tried."""
    parsed = parse_file(text)
    team = team_id or parsed.spec.team
    if not team or not any(kr.source for o in parsed.spec.objectives for kr in o.key_results):
        return 0  # nothing to try (a file naming no workspace is import_file's to refuse)
    with db.session() as session:
        workspace = find_workspace(session, team)
        fiscal_start_month = workspace.fiscal_year_start_month or 1
    if parsed.spec.settings is not None and parsed.spec.settings.fiscal_year_start:
        fiscal_start_month = parsed.spec.settings.fiscal_year_start  # the file moves the calendar
    window = window_for(today, fiscal_start_month)
    problems: list[Problem] = []
    tried = 0
    for index, objective in enumerate(parsed.spec.objectives):
        for number, kr in enumerate(objective.key_results):
            connection = sources.connections.find(kr.source.connection, team) if kr.source else None
            if connection is None or not needs_trial(connection) or problems_with(kr.source, connection):
                continue
            tried += 1
            try:
                try_spec(kr.source, team, sources, window, timeout=timeout)
            except SourceError as failed:
                where = ("objectives", index, "key_results", number, "source", failed.field or "connection")
                line = parsed.document.line(where) or parsed.document.line(where[:-1])
                problems.append(Problem(line, f"tried the source once: {failed.message}"))
    if problems:
        raise ImportRejected(problems)
    return tried


@dataclass
class _Resolved:
    """One objective of the file with its references resolved against the workspace."""

    index: int
    spec: ObjectiveSpec
    cycle: str
    kra_id: int | None
    existing: Objective | None
    parent_key: str | None = None  # another objective of the file
    parent_id: int | None = None  # an objective already in the workspace


def apply(
    session: Session, workspace: Workspace, parsed: ParsedFile, *, sources: SourceConfig | None = None
) -> ImportResult:
    spec, document = parsed.spec, parsed.document
    sources = sources or SourceConfig()
    # The calendar first: the file's cycles are named by its fiscal year. A problem found later
    # raises, and the caller's transaction takes this back with the rest.
    settings_changed: list[str] = []
    if spec.settings is not None:
        form = spec.settings.form(calendar.current(session, workspace))
        settings_changed = calendar.apply(session, workspace, "northline import", form)
    # Everything the checks need, in three statements whatever the file's size.
    objectives = list(session.scalars(select(Objective).where(Objective.workspace_id == workspace.id)))
    by_key = {o.import_key: o for o in objectives if o.import_key}
    by_number = {o.number: o for o in objectives}
    kra_numbers = {o.kra for o in spec.objectives if o.kra is not None}
    kras = (
        {
            k.number: k
            for k in session.scalars(
                select(Kra).where(Kra.workspace_id == workspace.id, Kra.number.in_(kra_numbers))
            )
        }
        if kra_numbers
        else {}
    )
    resolved = _resolve(workspace, spec, document, by_key, by_number, kras, sources.connections)
    matched_ids = [r.existing.id for r in resolved if r.existing is not None]
    existing_krs: dict[int, list[KeyResult]] = {}
    if matched_ids:
        for kr in session.scalars(
            select(KeyResult)
            .where(KeyResult.workspace_id == workspace.id, KeyResult.objective_id.in_(matched_ids))
            .order_by(KeyResult.position, KeyResult.number)
        ):
            existing_krs.setdefault(kr.objective_id, []).append(kr)

    # Every check passed: write.
    result = ImportResult(team_id=workspace.team_id, settings_changed=settings_changed)
    saved: dict[str, Objective] = {}
    changed: dict[str, bool] = {}
    for item in resolved:
        objective, is_new = item.existing, item.existing is None
        if objective is None:
            objective = Objective(
                workspace_id=workspace.id,
                number=next_number(session, workspace.id, RefKind.OBJ),
                import_key=item.spec.key,
                created_by=item.spec.owner,
                title=item.spec.title,
                owner_id=item.spec.owner,
                cycle=item.cycle,
            )
            session.add(objective)
        changed[item.spec.key] = _assign(
            objective,
            title=item.spec.title,
            description=item.spec.description,
            owner_id=item.spec.owner,
            channel_id=item.spec.channel,
            cycle=item.cycle,
            kra_id=item.kra_id,
        )
        saved[item.spec.key] = objective
        if is_new:
            result.objectives_created.append(format_ref(RefKind.OBJ, objective.number))
    session.flush()
    for item in resolved:
        objective = saved[item.spec.key]
        parent_id = saved[item.parent_key].id if item.parent_key else item.parent_id
        if _assign(objective, parent_id=parent_id):
            changed[item.spec.key] = True
        ref = format_ref(RefKind.OBJ, objective.number)
        if item.existing is not None:
            (result.objectives_updated if changed[item.spec.key] else result.objectives_unchanged).append(ref)
        _apply_key_results(
            session, workspace, objective, item.spec, existing_krs.get(objective.id, []), result, sources
        )
        result.notes += _quality_notes(item.spec, item.cycle)
    session.flush()
    return result


def _quality_notes(spec: ObjectiveSpec, cycle: str) -> list[str]:
    """Coaching on an objective of the file, each line naming its key (`key_results` by position)."""
    notes = [
        f"{spec.key} key result {position}: {as_text(note)}"
        for position, kr in enumerate(spec.key_results, start=1)
        for note in key_result_notes(
            kr.title, milestone=kr.milestone, start=kr.start, target=kr.target, unit=kr.unit, cycle=cycle
        )
    ]
    if (count := count_note(len(spec.key_results))) is not None:
        notes.append(f"{spec.key}: {count}")
    return notes


def _resolve(
    workspace: Workspace,
    spec: OkrFile,
    document: Document,
    by_key: dict[str, Objective],
    by_number: dict[int, Objective],
    kras: dict[int, Kra],
    connections: Connections,
) -> list[_Resolved]:
    """Every objective of the file against the workspace, or ImportRejected with every problem."""
    resolver = _Resolver(workspace, spec, document, by_key, by_number, kras, connections)
    resolved = resolver.objectives()
    keys = {item.spec.key for item in resolved}
    for item in resolved:
        resolver.parent(item, keys)
    problems = resolver.problems
    if not problems:
        problems.extend(_loops(resolved, document, by_key, by_number))
    if problems:
        raise ImportRejected(problems)
    return resolved


@dataclass
class _Resolver:
    """The file's references (cycles, KRA-n, parents) checked against the workspace's rows."""

    workspace: Workspace
    spec: OkrFile
    document: Document
    by_key: dict[str, Objective]
    by_number: dict[int, Objective]
    kras: dict[int, Kra]
    connections: Connections
    problems: list[Problem] = field(default_factory=list)

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(self.document.problem(path, message))

    def objectives(self) -> list[_Resolved]:
        """The objectives with their cycle and KRA; a key used twice keeps its first objective."""
        keys: dict[str, int] = {}
        resolved: list[_Resolved] = []
        for index, objective in enumerate(self.spec.objectives):
            at: Path = ("objectives", index)
            if objective.key in keys:
                self.problem(
                    (*at, "key"),
                    f"the key `{objective.key}` is used twice (objective {keys[objective.key] + 1} has it too)",
                )
                continue
            keys[objective.key] = index
            self.sources(objective, at)
            existing = self.by_key.get(objective.key)
            cycle = self.cycle(objective, at)
            resolved.append(
                _Resolved(index, objective, cycle, self.kra_id(objective, existing, at), existing)
            )
        return resolved

    def sources(self, objective: ObjectiveSpec, at: Path) -> None:
        """Each `source:` names a connection declared for this workspace and gives what it needs."""
        for number, kr in enumerate(objective.key_results):
            if kr.source is None:
                continue
            where = (*at, "key_results", number, "source")
            try:
                declared(self.connections, self.workspace, kr.source)
            except Invalid as refused:
                for name, message in (refused.fields or {"connection": refused.message}).items():
                    self.problem((*where, name), message)

    def cycle(self, objective: ObjectiveSpec, at: Path) -> str:
        cycle_text = objective.cycle or self.spec.cycle
        if cycle_text is None:
            self.problem(at, "give a cycle: `cycle: 2026-Q4` at the top of the file, or on this objective")
            return ""
        try:
            return parse_cycle(cycle_text, self.workspace.fiscal_year_start_month).name
        except ValueError as error:
            self.problem((*at, "cycle") if objective.cycle else ("cycle",), str(error))
            return ""

    def kra_id(self, objective: ObjectiveSpec, existing: Objective | None, at: Path) -> int | None:
        """The KRA's id; an archived KRA only for an objective already linked to it."""
        if objective.kra is None:
            return None
        kra = self.kras.get(objective.kra)
        ref = format_ref(RefKind.KRA, objective.kra)
        if kra is None:
            self.problem((*at, "kra"), f"{ref} was not found in this workspace")
        elif kra.status != Status.ACTIVE and (existing is None or existing.kra_id != kra.id):
            self.problem((*at, "kra"), f"{ref} is archived; link the objective to an active KRA")
        else:
            return kra.id
        return None

    def parent(self, item: _Resolved, keys: set[str]) -> None:
        """Set the parent: another objective of the file (by key) or of the workspace (OBJ-n)."""
        parent = item.spec.parent
        at = ("objectives", item.index, "parent")
        if parent is None:
            return
        if parent in keys:
            if parent == item.spec.key:
                self.problem(at, "an objective can't be its own parent")
            else:
                item.parent_key = parent
            return
        try:
            number = parse_ref(parent, RefKind.OBJ)
        except ValueError:
            self.problem(
                at, f"the parent `{parent[:40]}` is neither the key of an objective in this file nor OBJ-n"
            )
            return
        target = self.by_number.get(number)
        ref = format_ref(RefKind.OBJ, number)
        if target is None:
            self.problem(at, f"the parent {ref} was not found in this workspace")
        elif item.existing is not None and target.id == item.existing.id:
            self.problem(at, f"an objective can't be its own parent ({ref} is `{item.spec.key}`)")
        else:
            item.parent_id = target.id


def _loops(
    resolved: list[_Resolved],
    document: Document,
    by_key: dict[str, Objective],
    by_number: dict[int, Objective],
) -> Iterator[Problem]:
    """A parent chain that comes back to where it started, through the file or the workspace."""
    by_id = {o.id: o for o in by_number.values()}
    in_file = {item.spec.key: item for item in resolved}
    file_key_of_id = {o.id: key for key, o in by_key.items() if key in in_file}

    def parent_of(node: tuple[str, Any]) -> tuple[str, Any] | None:
        kind, value = node
        if kind == "key":
            item = in_file[value]
            if item.parent_key:
                return ("key", item.parent_key)
            return _node(item.parent_id, file_key_of_id) if item.parent_id else None
        parent_id = by_id[value].parent_id
        return _node(parent_id, file_key_of_id) if parent_id else None

    reported: set[str] = set()
    for item in resolved:
        start = ("key", item.spec.key)
        node, seen, chain = parent_of(start), {start}, [item.spec.key]
        while node is not None and node not in seen and len(chain) <= len(by_id) + len(in_file) + 1:
            seen.add(node)
            chain.append(node[1] if node[0] == "key" else format_ref(RefKind.OBJ, by_id[node[1]].number))
            node = parent_of(node)
        if node == start and item.spec.key not in reported:
            reported.update(k for k in chain if k in in_file)
            yield document.problem(
                ("objectives", item.index, "parent"),
                "the parents go round in a circle: " + " → ".join([*chain, item.spec.key]),
            )


def _node(objective_id: int, file_key_of_id: dict[int, str]) -> tuple[str, Any]:
    key = file_key_of_id.get(objective_id)
    return ("key", key) if key else ("id", objective_id)


def _bind(
    session: Session, workspace: Workspace, kr: KeyResult, spec: KeyResultSpec, sources: SourceConfig
) -> bool:
    """The operator's file binds as the operator: its connections were checked with the rest."""
    return bind_source(
        session,
        workspace,
        kr,
        spec.source,
        "import",
        connections=sources.connections,
        max_sources=sources.max_sources,
    )


def _apply_key_results(
    session: Session,
    workspace: Workspace,
    objective: Objective,
    spec: ObjectiveSpec,
    existing: list[KeyResult],
    result: ImportResult,
    sources: SourceConfig,
) -> None:
    matches, unmatched = _match_key_results(spec.key_results, existing)
    for position, (kr_spec, kr) in enumerate(zip(spec.key_results, matches, strict=True)):
        values = dict(
            title=kr_spec.title,
            kind=KeyResultKind.MILESTONE if kr_spec.milestone else KeyResultKind.METRIC,
            start_value=kr_spec.start,  # a milestone's are okr_rules.MILESTONE_START and _TARGET
            target_value=kr_spec.target,
            unit=kr_spec.unit,
            owner_id=kr_spec.owner or spec.owner,
            weight=kr_spec.weight,
            position=position,
        )
        if kr is None:
            kr = KeyResult(
                workspace_id=workspace.id,
                objective_id=objective.id,
                number=next_number(session, workspace.id, RefKind.KR),
                **values,
            )
            session.add(kr)
            session.flush()
            _bind(session, workspace, kr, kr_spec, sources)
            result.key_results_created += 1
            continue
        if kr.status == Status.ARCHIVED:
            values["status"] = Status.ACTIVE
        changed = _assign(kr, **values)
        # The file is the truth for the source too: a key result without `source:` has none.
        changed = _bind(session, workspace, kr, kr_spec, sources) or changed
        if changed:
            result.key_results_updated += 1
        else:
            result.key_results_unchanged += 1
    for kr in unmatched:
        if kr.status != Status.ARCHIVED:
            kr.status = Status.ARCHIVED
            result.key_results_archived.append(format_ref(RefKind.KR, kr.number))


def _match_key_results(
    specs: list[KeyResultSpec], existing: list[KeyResult]
) -> tuple[list[KeyResult | None], list[KeyResult]]:
    """Each spec's key result (None: a new one) and the ones left over. Matched by title first
    (ignoring case), then what is left by position among the active ones."""
    unmatched = list(existing)
    matches: list[KeyResult | None] = [None] * len(specs)
    for i, kr_spec in enumerate(specs):
        title = kr_spec.title.casefold()
        candidates = [kr for kr in unmatched if kr.title.casefold() == title]
        if candidates:
            # Prefer an active one; an archived one comes back (with its check-ins) otherwise.
            kr = next((c for c in candidates if c.status != Status.ARCHIVED), candidates[0])
            matches[i] = kr
            unmatched.remove(kr)
    active = [kr for kr in existing if kr.status != Status.ARCHIVED]
    for i in range(len(specs)):
        if matches[i] is None and i < len(active) and active[i] in unmatched:
            matches[i] = active[i]
            unmatched.remove(active[i])
    return matches, unmatched


def _assign(target: Any, **values: Any) -> bool:
    """Set the attributes that differ; True if any did (unchanged rows get no UPDATE at all)."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed
