"""Objectives and key results as code: `northline import FILE.yaml [--team T]`.

The file
--------

    team: T0123ABCD            # the Slack team id; `--team` on the command line wins over it
    cycle: 2026-Q4             # the cycle of every objective that doesn't name its own
    settings:                  # optional: the team's calendar, as `/okr settings` sets it
      timezone: Europe/London  # every key optional; one left out keeps the workspace's value
      work_days: [mon, tue, wed, thu, fri]
      holidays: GB-ENG         # a country or country-region of the holidays package; none: none
      fiscal_year_start: april # or 4; quarters follow it (FY2027-Q1 = April–June 2026)
      checkin: mon 10:00       # each owner's own time
      digest: fri 16:00        # in the workspace's zone, for channels with no time of their own
    objectives:
      - key: growth-self-serve # stable identity: re-importing updates this objective, never adds one
        title: Grow self-serve revenue          # ≤ 150 characters
        description: Less sales-assisted, more self-serve.   # optional, ≤ 3,000 characters
        owner: U0123ALICE      # a Slack user id (U… or W…)
        channel: C0123GROWTH   # optional: the team channel (C… or G…)
        kra: KRA-1             # optional: the KRA it sits in (must exist in the workspace)
        parent: company-growth # optional: the key of another objective in this file, or OBJ-n
        cycle: 2026-Q4         # optional: overrides the top-level cycle
        key_results:           # 1 to 5
          - title: Self-serve MRR               # ≤ 150 characters
            start: $40,000     # numbers as people type them: 42, 3.5, 50%, $1,200, -3
            target: $60,000    # must differ from start
            unit: $            # optional, ≤ 30 characters
            owner: U0123BOB    # optional: defaults to the objective's owner
            weight: 2          # optional: > 0, default 1
            source:            # optional: where its number comes from, synced hourly
              kind: sql        # or http (url, pointer, optional header + env); see examples/okrs.yaml
              env: NORTHLINE_SOURCE_SALES_URL   # the variable holding the database URL
              query: SELECT SUM(amount) FROM orders WHERE paid
          - title: Launch the new pricing page
            milestone: true    # a done/not-done key result: no start, no target

Every field is checked with the same rules as the *New objective* modal (numbers must parse,
target ≠ start, weight > 0, at most 5 key results, titles up to 150 characters). Unknown fields,
duplicate keys, a parent that loops back, a KRA-n or OBJ-n the workspace doesn't have, YAML
anchors/aliases and custom tags are refused too. All of it is checked before anything is written,
and every problem is reported with its line; one problem and nothing is written.

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

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.channels import TEAM_CHANNEL_PATTERN
from bot.domain.cycles import parse_cycle
from bot.domain.limits import CYCLE_MAX, DESCRIPTION_MAX, MAX_KEY_RESULTS, TITLE_MAX, UNIT_MAX
from bot.domain.numbers import parse_number
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.errors import Invalid, NotFound
from bot.services import calendar
from bot.services.calendar import SettingsSpec
from bot.services.workspaces import next_number
from bot.sources.bindings import bind as bind_source
from bot.sources.spec import SourceSpec
from storage.models import KeyResult, KeyResultKind, Kra, Objective, Status, Workspace

MAX_FILE_BYTES = 1_000_000
MAX_OBJECTIVES = 200
KEY_MAX = 150
MAX_PROBLEMS_SHOWN = 30

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}", re.ASCII)
_CHANNEL_ID = re.compile(TEAM_CHANNEL_PATTERN, re.ASCII)
_TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,31}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_YAML_TAG = "tag:yaml.org,2002:"
_NULL_TAG = _YAML_TAG + "null"
# What the safe resolver gives plain YAML; anything else was typed as an explicit tag (`!!python/…`).
_PLAIN_TAGS = {
    _YAML_TAG + kind for kind in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}

Path = tuple[str | int, ...]


# --- problems -------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ImportRejected(Invalid):
    """The file as a whole was refused; `problems` says where and why, each with its line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.message))
        super().__init__(self.render())

    def render(self, source: str = "The file") -> str:
        count = len(self.problems)
        head = f"{source} was not imported, nothing was changed: {count} problem{'s' if count != 1 else ''}"
        shown = [f"  {problem}" for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        if count > MAX_PROBLEMS_SHOWN:
            shown.append(f"  …and {count - MAX_PROBLEMS_SHOWN} more")
        return "\n".join([head + ":", *shown])


# --- YAML with line numbers -----------------------------------------------------------------------


@dataclass
class Document:
    """The file as plain data (every scalar a string or None) and the line of every path in it."""

    data: Any
    lines: dict[Path, int]

    def line(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that the file has."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def read_document(text: str) -> Document:
    """Compose (never construct) the YAML, keeping each node's line. Scalars stay the text that was
    typed, so `title: yes` is the word "yes" and `start: 1,200` reaches parse_number as written."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ImportRejected([Problem(None, f"the file is larger than {MAX_FILE_BYTES:,} bytes")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "it doesn't parse"
        if error.context and error.problem:
            started = f" that starts on line {error.context_mark.line + 1}" if error.context_mark else ""
            problem += f" ({error.context}{started})"
        raise ImportRejected(
            [Problem(mark.line + 1 if mark else None, f"malformed YAML: {problem}")]
        ) from None
    except yaml.YAMLError as error:
        raise ImportRejected([Problem(None, f"malformed YAML: {error}")]) from None
    if root is None:
        raise ImportRejected([Problem(None, "the file is empty; see examples/okrs.yaml for the format")])
    lines: dict[Path, int] = {}
    problems: list[Problem] = []
    data = _plain(root, (), lines, set(), problems)
    if problems:
        raise ImportRejected(problems)
    return Document(data, lines)


def _plain(
    node: yaml.Node, path: Path, lines: dict[Path, int], seen: set[int], problems: list[Problem]
) -> Any:
    line = node.start_mark.line + 1
    lines.setdefault(path, line)
    if id(node) in seen:  # an alias: the same node again; its own mark is the anchor's
        problems.append(
            Problem(lines[path], "YAML anchors and aliases (& and *) are not supported; write the value out")
        )
        return None
    seen.add(id(node))
    if node.tag not in _PLAIN_TAGS:
        problems.append(Problem(line, f"YAML tags like `{node.tag[:40]}` are not supported"))
        return None
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_plain(item, (*path, index), lines, seen, problems))
        return items
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL_TAG:
            problems.append(Problem(key_line, "a field name must be plain text"))
            continue
        key = key_node.value
        if key in mapping:
            problems.append(
                Problem(key_line, f"`{key[:40]}` appears twice here (first on line {lines[(*path, key)]})")
            )
            continue
        lines[(*path, key)] = key_line
        mapping[key] = _plain(value_node, (*path, key), lines, seen, problems)
    return mapping


# --- the shape of the file ------------------------------------------------------------------------


def _text(value: Any, what: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not a {'list' if isinstance(value, list) else 'mapping'}")
    value = value.strip()
    if required and not value:
        raise ValueError(f"give it a {what}")
    if len(value) > max_length:
        raise ValueError(f"keep the {what} under {max_length} characters (it has {len(value)})")
    if _CONTROL.search(value):
        raise ValueError(f"the {what} contains control characters")
    return value


def _slack_id(value: Any, what: str, pattern: re.Pattern, example: str) -> str:
    text = _text(value, what, 40, required=True)
    if not pattern.fullmatch(text):
        raise ValueError(f"“{text}” is not a {what}; it looks like {example}")
    return text


def _number(value: Any, what: str) -> float:
    text = _text(value, what, 64, required=True)
    return parse_number(text)  # its ValueError says what was wrong and how to type it


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyResultSpec(_Spec):
    title: str
    milestone: bool = False
    start: float | None = None
    target: float | None = None
    unit: str = ""
    owner: str | None = None
    weight: float = 1.0
    source: SourceSpec | None = None  # where its number comes from (bot/sources/spec.py)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _text(value, "title", TITLE_MAX, required=True)

    @field_validator("milestone", mode="before")
    @classmethod
    def _milestone(cls, value: Any) -> bool:
        word = _text(value, "milestone", 10).lower()
        if word in _TRUE:
            return True
        if word in _FALSE or not word:
            return False
        raise ValueError("milestone is true or false")

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: Any) -> float | None:
        return None if value is None else _number(value, "start")

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: Any) -> float | None:
        return None if value is None else _number(value, "target")

    @field_validator("target")
    @classmethod
    def _target_differs(cls, value: float | None, info) -> float | None:
        if value is not None and value == info.data.get("start"):
            raise ValueError("the target must differ from the start, or there is nothing to achieve")
        return value

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> str:
        return _text(value, "unit", UNIT_MAX)

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> str | None:
        return None if value is None else _slack_id(value, "Slack user id", _USER_ID, "U0123ABCD")

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: Any) -> float:
        if value is None:
            return 1.0
        weight = _number(value, "weight")
        if weight <= 0:
            raise ValueError("the weight must be greater than 0 (1 is the default)")
        return weight

    @model_validator(mode="after")
    def _metric_or_milestone(self) -> KeyResultSpec:
        if self.milestone:
            if self.start is not None or self.target is not None:
                raise ValueError("a milestone is done or not done: leave out start and target")
            if self.unit:
                raise ValueError("a milestone is done or not done: leave out the unit")
        elif self.start is None or self.target is None:
            missing = " and ".join(
                n for n, v in (("start", self.start), ("target", self.target)) if v is None
            )
            raise ValueError(
                f"give this key result a {missing} (e.g. start: 0, target: 100), or `milestone: true`"
            )
        return self


class ObjectiveSpec(_Spec):
    key: str
    title: str
    description: str = ""
    owner: str
    channel: str | None = None
    kra: int | None = None
    parent: str | None = None
    cycle: str | None = None
    key_results: list[KeyResultSpec]

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, value: Any) -> str:
        return _text(value, "key", KEY_MAX, required=True)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _text(value, "title", TITLE_MAX, required=True)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str:
        return _text(value, "description", DESCRIPTION_MAX)

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> str:
        return _slack_id(value, "Slack user id", _USER_ID, "U0123ABCD")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> str | None:
        return None if value is None else _slack_id(value, "Slack channel id", _CHANNEL_ID, "C0123ABCD")

    @field_validator("kra", mode="before")
    @classmethod
    def _kra(cls, value: Any) -> int | None:
        if value is None:
            return None
        return parse_ref(_text(value, "KRA reference", 40, required=True), RefKind.KRA)

    @field_validator("parent", "cycle", mode="before")
    @classmethod
    def _optional_text(cls, value: Any, info) -> str | None:
        return None if value is None else _text(value, info.field_name, KEY_MAX, required=True)

    @field_validator("key_results", mode="before")
    @classmethod
    def _key_results(cls, value: Any) -> Any:
        if value is None or value == []:
            raise ValueError("give the objective at least one key result")
        return value  # at most MAX_KEY_RESULTS: see _limits, so the items are checked too


class OkrFile(_Spec):
    team: str | None = None
    cycle: str | None = None
    settings: SettingsSpec | None = None  # the team's calendar, as `/okr settings` sets it
    objectives: list[ObjectiveSpec]

    @field_validator("team", mode="before")
    @classmethod
    def _team(cls, value: Any) -> str | None:
        return None if value is None else _slack_id(value, "Slack team id", _TEAM_ID, "T0123ABCD")

    @field_validator("cycle", mode="before")
    @classmethod
    def _cycle(cls, value: Any) -> str | None:
        return None if value is None else _text(value, "cycle", CYCLE_MAX, required=True)

    @field_validator("objectives", mode="before")
    @classmethod
    def _objectives(cls, value: Any) -> Any:
        if value is None or value == []:
            raise ValueError("list at least one objective under `objectives:`")
        return value


@dataclass
class ParsedFile:
    spec: OkrFile
    document: Document


def parse_file(text: str) -> ParsedFile:
    """The file read and its shape checked; ImportRejected lists every problem with its line."""
    return parse_document(read_document(text))


def parse_document(document: Document) -> ParsedFile:
    """Check a document's shape with the rules of the file format; other readers of OKRs (a Viva
    Goals export: bot/services/viva.py) build a Document and come here, so the rules live once."""
    if not isinstance(document.data, dict):
        raise ImportRejected(
            [Problem(document.line(()), "the file must be a mapping with `team`, `cycle` and `objectives`")]
        )
    problems = list(_limits(document))
    try:
        spec = OkrFile.model_validate(document.data)
    except ValidationError as error:
        problems.extend(_problem(document, problem) for problem in error.errors())
    if problems:
        raise ImportRejected(problems)
    return ParsedFile(spec, document)


def _limits(document: Document) -> Iterator[Problem]:
    """List lengths, checked beside (not instead of) the items, so one pass reports everything."""
    objectives = document.data.get("objectives")
    if not isinstance(objectives, list):
        return
    if len(objectives) > MAX_OBJECTIVES:
        yield Problem(
            document.line(("objectives",)),
            f"import at most {MAX_OBJECTIVES} objectives at a time (this file has {len(objectives)})",
        )
    for index, objective in enumerate(objectives):
        key_results = objective.get("key_results") if isinstance(objective, dict) else None
        if isinstance(key_results, list) and len(key_results) > MAX_KEY_RESULTS:
            path = ("objectives", index, "key_results")
            yield Problem(
                document.line(path),
                f"{_where(path, document.data)}: an objective has at most {MAX_KEY_RESULTS} key results "
                f"(this one has {len(key_results)}); keep the ones that matter most",
            )


def _problem(document: Document, error: dict) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown field `{str(loc[-1])[:40]}`"
    elif kind == "missing":
        message = f"`{loc[-1]}` is missing"
        loc = loc[:-1]
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = "expected fields here (name: value lines), not a single value"
    else:
        message = error["msg"].removeprefix("Value error, ")
    where = _where(loc, document.data)
    return Problem(document.line(loc), f"{where}: {message}" if where else message)


def _where(loc: Path, data: Any) -> str:
    """("objectives", 0, "key_results", 1, "target") -> "objective 1 (growth), key result 2, target"."""
    parts: list[str] = []
    rest = list(loc)
    if rest[:1] == ["objectives"] and len(rest) > 1 and isinstance(rest[1], int):
        index = rest[1]
        objectives = data.get("objectives") if isinstance(data, dict) else None
        item = objectives[index] if isinstance(objectives, list) and index < len(objectives) else None
        key = item.get("key") if isinstance(item, dict) else None
        parts.append(f"objective {index + 1}" + (f" ({key[:40]})" if isinstance(key, str) and key else ""))
        rest = rest[2:]
        if rest[:1] == ["key_results"] and len(rest) > 1 and isinstance(rest[1], int):
            parts.append(f"key result {rest[1] + 1}")
            rest = rest[2:]
    parts.extend(str(part) if isinstance(part, str) else f"item {part + 1}" for part in rest)
    return ", ".join(parts)


# --- applying it ----------------------------------------------------------------------------------


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
        return "\n".join(lines)


def _refs(refs: list[str]) -> str:
    if not refs:
        return ""
    shown = ", ".join(refs[:10])
    return f" ({shown}{', …' if len(refs) > 10 else ''})"


def find_workspace(session: Session, team_id: str) -> Workspace:
    workspace = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if workspace is None:
        raise NotFound(
            f"No workspace {team_id} in this database: install the app there first, or check the team id."
        )
    return workspace


def import_file(session: Session, text: str, *, team_id: str | None = None) -> ImportResult:
    """Check the whole file, then apply it in the caller's transaction. Raises ImportRejected (the
    file), NotFound (the team); writes nothing unless every check passed."""
    parsed = parse_file(text)
    team = team_id or parsed.spec.team
    if not team:
        raise ImportRejected(
            [Problem(parsed.document.line(()), "name the workspace: add `team: T0123ABCD` or pass --team")]
        )
    return apply(session, find_workspace(session, team), parsed)


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


def apply(session: Session, workspace: Workspace, parsed: ParsedFile) -> ImportResult:
    spec, document = parsed.spec, parsed.document
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
    resolved = _resolve(workspace, spec, document, by_key, by_number, kras)
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
            session, workspace, objective, item.spec, existing_krs.get(objective.id, []), result
        )
    session.flush()
    return result


def _resolve(
    workspace: Workspace,
    spec: OkrFile,
    document: Document,
    by_key: dict[str, Objective],
    by_number: dict[int, Objective],
    kras: dict[int, Kra],
) -> list[_Resolved]:
    problems: list[Problem] = []

    def problem(path: Path, message: str) -> None:
        where = _where(path, document.data)
        problems.append(Problem(document.line(path), f"{where}: {message}" if where else message))

    keys: dict[str, int] = {}
    resolved: list[_Resolved] = []
    for index, objective in enumerate(spec.objectives):
        at: Path = ("objectives", index)
        if objective.key in keys:
            problem(
                (*at, "key"),
                f"the key `{objective.key}` is used twice (objective {keys[objective.key] + 1} has it too)",
            )
            continue
        keys[objective.key] = index
        cycle_text = objective.cycle or spec.cycle
        cycle = ""
        if cycle_text is None:
            problem(at, "give a cycle: `cycle: 2026-Q4` at the top of the file, or on this objective")
        else:
            try:
                cycle = parse_cycle(cycle_text, workspace.fiscal_year_start_month).name
            except ValueError as error:
                problem((*at, "cycle") if objective.cycle else ("cycle",), str(error))
        existing = by_key.get(objective.key)
        kra_id = None
        if objective.kra is not None:
            kra = kras.get(objective.kra)
            ref = format_ref(RefKind.KRA, objective.kra)
            if kra is None:
                problem((*at, "kra"), f"{ref} was not found in this workspace")
            elif kra.status != Status.ACTIVE and (existing is None or existing.kra_id != kra.id):
                problem((*at, "kra"), f"{ref} is archived; link the objective to an active KRA")
            else:
                kra_id = kra.id
        resolved.append(_Resolved(index, objective, cycle, kra_id, existing))

    for item in resolved:
        parent = item.spec.parent
        at = ("objectives", item.index, "parent")
        if parent is None:
            continue
        if parent in keys:
            if parent == item.spec.key:
                problem(at, "an objective can't be its own parent")
            else:
                item.parent_key = parent
            continue
        try:
            number = parse_ref(parent, RefKind.OBJ)
        except ValueError:
            problem(
                at, f"the parent `{parent[:40]}` is neither the key of an objective in this file nor OBJ-n"
            )
            continue
        target = by_number.get(number)
        if target is None:
            problem(at, f"the parent {format_ref(RefKind.OBJ, number)} was not found in this workspace")
        elif item.existing is not None and target.id == item.existing.id:
            problem(
                at,
                f"an objective can't be its own parent ({format_ref(RefKind.OBJ, number)} is `{item.spec.key}`)",
            )
        else:
            item.parent_id = target.id

    if not problems:
        problems.extend(_loops(resolved, document, by_key, by_number))
    if problems:
        raise ImportRejected(problems)
    return resolved


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
            path = ("objectives", item.index, "parent")
            yield Problem(
                document.line(path),
                f"{_where(path, document.data)}: the parents go round in a circle: "
                + " → ".join([*chain, item.spec.key]),
            )


def _node(objective_id: int, file_key_of_id: dict[int, str]) -> tuple[str, Any]:
    key = file_key_of_id.get(objective_id)
    return ("key", key) if key else ("id", objective_id)


def _apply_key_results(
    session: Session,
    workspace: Workspace,
    objective: Objective,
    spec: ObjectiveSpec,
    existing: list[KeyResult],
    result: ImportResult,
) -> None:
    # Match by title first (ignoring case), then what is left by position among the active ones.
    unmatched = list(existing)
    matches: list[KeyResult | None] = [None] * len(spec.key_results)
    for i, kr_spec in enumerate(spec.key_results):
        title = kr_spec.title.casefold()
        candidates = [kr for kr in unmatched if kr.title.casefold() == title]
        if candidates:
            # Prefer an active one; an archived one comes back (with its check-ins) otherwise.
            kr = next((c for c in candidates if c.status != Status.ARCHIVED), candidates[0])
            matches[i] = kr
            unmatched.remove(kr)
    active = [kr for kr in existing if kr.status != Status.ARCHIVED]
    for i, _kr_spec in enumerate(spec.key_results):
        if matches[i] is None and i < len(active) and active[i] in unmatched:
            matches[i] = active[i]
            unmatched.remove(active[i])

    for position, (kr_spec, kr) in enumerate(zip(spec.key_results, matches, strict=True)):
        milestone = kr_spec.milestone
        values = dict(
            title=kr_spec.title,
            kind=KeyResultKind.MILESTONE if milestone else KeyResultKind.METRIC,
            start_value=0.0 if milestone else kr_spec.start,
            target_value=1.0 if milestone else kr_spec.target,
            unit="" if milestone else kr_spec.unit,
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
            bind_source(session, workspace, kr, kr_spec.source, "import")
            result.key_results_created += 1
            continue
        if kr.status == Status.ARCHIVED:
            values["status"] = Status.ACTIVE
        changed = _assign(kr, **values)
        # The file is the truth for the source too: a key result without `source:` has none.
        changed = bind_source(session, workspace, kr, kr_spec.source, "import") or changed
        if changed:
            result.key_results_updated += 1
        else:
            result.key_results_unchanged += 1
    for kr in unmatched:
        if kr.status != Status.ARCHIVED:
            kr.status = Status.ARCHIVED
            result.key_results_archived.append(format_ref(RefKind.KR, kr.number))


def _assign(target: Any, **values: Any) -> bool:
    """Set the attributes that differ; True if any did (unchanged rows get no UPDATE at all)."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed
