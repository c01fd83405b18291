"""Objectives and key results as code: the file `northline import FILE.yaml [--team T]` reads, read
and checked here; bot/services/importer.py applies it.

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
              connection: sales  # a connection the operator declared (NORTHLINE_SOURCE_SALES_URL)
              query: SELECT SUM(amount) FROM orders WHERE paid   # sql; http: path + pointer
              # Jira: query (JQL) [+ sum: customfield_10016]; GitHub: query (a search); Linear:
              # query (team:ENG state:Done); Prometheus: query (PromQL); spreadsheet: path + cell.
              # {cycle_start}, {cycle_end}, {week_start} are filled in; a ready connector's source
              # is tried once before the file is applied (docs/integrations.md)
          - title: Launch the new pricing page
            milestone: true    # a done/not-done key result: no start, no target

Every field is checked with the same rules as the *New objective* modal, defined once in
bot/forms/okr_rules.py (numbers must parse, target ≠ start, weight > 0, at most 5 key results,
titles up to 150 characters). Unknown fields,
duplicate keys, a parent that loops back, a KRA-n or OBJ-n the workspace doesn't have, YAML
anchors/aliases and custom tags are refused too (the references to the workspace are checked
when the file is applied). All of it is checked before anything is written, and every problem is
reported with its line; one problem and nothing is written.

"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from bot.domain.channels import TEAM_CHANNEL_PATTERN
from bot.domain.limits import CYCLE_MAX
from bot.domain.references import RefKind, parse_ref
from bot.errors import Invalid
from bot.forms.calendar import SettingsSpec
from bot.forms.okr_rules import Description, KeyResultRules, Title, key_result_count_problem
from bot.sources.spec import SourceSpec

MAX_FILE_BYTES = 1_000_000
# The deepest an OKR file needs is about 7 (objectives → key result → source); far deeper is an
# attack on the parser (each level is a Python frame when composed), refused before composing.
MAX_DEPTH = 20
MAX_OBJECTIVES = 200
KEY_MAX = 150
MAX_PROBLEMS_SHOWN = 30

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}", re.ASCII)
_CHANNEL_ID = re.compile(TEAM_CHANNEL_PATTERN, re.ASCII)
_TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,31}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_YAML_TAG = "tag:yaml.org,2002:"
ALIASES = "YAML anchors and aliases (& and *) are not supported; write the value out"
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

    def problem(self, path: Path, message: str) -> Problem:
        """`message` about `path`, with its line and the place it names ("objective 1 (growth), …")."""
        place = where(path, self.data)
        return Problem(self.line(path), f"{place}: {message}" if place else message)


def read_document(text: str) -> Document:
    """Compose (never construct) the YAML, keeping each node's line. Scalars stay the text that was
    typed, so `title: yes` is the word "yes" and `start: 1,200` reaches parse_number as written."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ImportRejected([Problem(None, f"the file is larger than {MAX_FILE_BYTES:,} bytes")])
    try:
        _check_events(text)
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


def _check_events(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and any alias, reading the parser's events (a flat
    stream: no recursion, no node built), so that neither a thousand `[` nor an alias bomb ever
    reaches the composer."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ImportRejected([Problem(event.start_mark.line + 1, ALIASES)])
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ImportRejected(
                    [
                        Problem(
                            event.start_mark.line + 1,
                            f"lists and mappings nest deeper than {MAX_DEPTH} levels",
                        )
                    ]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _plain(
    node: yaml.Node, path: Path, lines: dict[Path, int], seen: set[int], problems: list[Problem]
) -> Any:
    line = node.start_mark.line + 1
    lines.setdefault(path, line)
    if id(node) in seen:  # an alias: the same node again; its own mark is the anchor's
        problems.append(Problem(lines[path], ALIASES))
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


def _text(value: Any, what: str, max_length: int | None = None, *, required: bool = False) -> str:
    """A scalar's text, stripped. A field with a rule of its own (okr_rules) leaves its length to it."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not a {'list' if isinstance(value, list) else 'mapping'}")
    value = value.strip()
    if required and not value:
        raise ValueError(f"give it a {what}")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"keep the {what} under {max_length} characters (it has {len(value)})")
    if _CONTROL.search(value):
        raise ValueError(f"the {what} contains control characters")
    return value


def _slack_id(value: Any, what: str, pattern: re.Pattern, example: str) -> str:
    text = _text(value, what, 40, required=True)
    if not pattern.fullmatch(text):
        raise ValueError(f"“{text}” is not a {what}; it looks like {example}")
    return text


def _number_text(value: Any, what: str) -> str:
    """The number's text: the field's type (okr_rules.Number) parses it."""
    return _text(value, what, 64, required=True)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyResultSpec(KeyResultRules):
    """A key result of the file: the modal's rules (KeyResultRules), its scalars read as text."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = None
    source: SourceSpec | None = None  # where its number comes from (bot/sources/spec.py)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _text(value, "title", required=True)

    @field_validator("milestone", mode="before")
    @classmethod
    def _milestone_word(cls, value: Any) -> bool:
        word = _text(value, "milestone", 10).lower()
        if word in _TRUE:
            return True
        if word in _FALSE or not word:
            return False
        raise ValueError("milestone is true or false")

    @field_validator("start", "target", mode="before")
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> str | None:
        return None if value is None else _number_text(value, info.field_name)

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> str:
        return _text(value, "unit")

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> str | None:
        return None if value is None else _slack_id(value, "Slack user id", _USER_ID, "U0123ABCD")

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: Any) -> str | float:
        return 1.0 if value is None else _number_text(value, "weight")

    @model_validator(mode="after")
    def _start_and_target(self) -> KeyResultSpec:
        if self.milestone or (self.start is not None and self.target is not None):
            return self
        missing = " and ".join(n for n, v in (("start", self.start), ("target", self.target)) if v is None)
        raise ValueError(
            f"give this key result a {missing} (e.g. start: 0, target: 100), or `milestone: true`"
        )


class ObjectiveSpec(_Spec):
    key: str
    title: Title
    description: Description = ""
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
        return _text(value, "title", required=True)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str:
        return _text(value, "description")

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
    Goals export: bot/importers/viva/) build a Document and come here, so the rules live once."""
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
        problem = key_result_count_problem(len(key_results)) if isinstance(key_results, list) else None
        if problem:
            yield document.problem(("objectives", index, "key_results"), problem)


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
    return document.problem(loc, message)


def where(loc: Path, data: Any) -> str:
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
