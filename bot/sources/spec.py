"""A data source binding as people write it (OKRs-as-code YAML, a form, the API): checked here,
then against the declared connection it names (`problems_with`)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bot.sources.connections import NAME, Connection, path_problem
from bot.sources.connectors.github import METRICS, REPOSITORY
from bot.sources.connectors.linear import filter_problem
from bot.sources.connectors.spreadsheet import CELL
from bot.sources.window import unknown_placeholder

QUERY_MAX = 10_000
POINTER_MAX = 500
EVERY_MIN, EVERY_MAX, EVERY_DEFAULT = 5, 7 * 24 * 60, 60
_OLD_KEYS = ("kind", "env", "url", "header")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")  # a Jira field id: customfield_10016, timespent


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ValueError("must be text")
    return str(value).strip()


class SourceSpec(BaseModel):
    """`connection`: the name of a connection the operator declared (NORTHLINE_SOURCE_<NAME>_URL).
    An http connection takes `path` (path and query under its origin) and `pointer`; a sql one
    takes `query`. A ready connector takes `query` (Jira's JQL, GitHub's search, Linear's filter,
    PromQL) and Jira `sum` (a numeric field to add up), or a spreadsheet's `path` and `cell`.
    `every`: minutes between syncs, 60 by default."""

    model_config = ConfigDict(extra="forbid")

    connection: str
    path: str | None = None
    pointer: str | None = None
    query: str | None = None
    sum: str | None = None
    cell: str | None = None
    metric: str | None = None
    every: int = EVERY_DEFAULT

    @property
    def stored_pointer(self) -> str | None:
        """What the binding's `pointer` column keeps: the JSON pointer, Jira's field or the cell."""
        return self.sum or self.cell or self.metric or self.pointer

    @model_validator(mode="before")
    @classmethod
    def _no_old_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(key in data for key in _OLD_KEYS):
            raise ValueError(
                "a source names a connection the operator declared (connection: crm), with path and "
                "pointer or query; kind, env, url and header are no longer written in a binding"
            )
        return data

    @field_validator("connection", mode="before")
    @classmethod
    def _connection(cls, value: Any) -> str:
        text = (_text(value) or "").lower()
        if not NAME.fullmatch(text):
            raise ValueError("connection is the name of a declared connection, e.g. crm")
        return text

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        problem = path_problem(text) or unknown_placeholder(text)
        if problem is not None:
            raise ValueError(problem)
        return text

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str | None:
        text = _text(value)
        if text is not None and len(text) > QUERY_MAX:
            raise ValueError(f"the query is longer than {QUERY_MAX:,} characters")
        problem = unknown_placeholder(text)
        if problem is not None:
            raise ValueError(problem)
        return text or None

    @field_validator("sum", mode="before")
    @classmethod
    def _sum(cls, value: Any) -> str | None:
        text = _text(value)
        if text and not _FIELD.fullmatch(text):
            raise ValueError("sum is a Jira field's id, e.g. customfield_10016 (story points)")
        return text or None

    @field_validator("metric", mode="before")
    @classmethod
    def _metric(cls, value: Any) -> str | None:
        text = (_text(value) or "").lower()
        if text and text not in METRICS:
            raise ValueError(f"metric is one of {', '.join(METRICS)}")
        return text or None

    @field_validator("cell", mode="before")
    @classmethod
    def _cell(cls, value: Any) -> str | None:
        text = (_text(value) or "").upper()
        if text and not CELL.fullmatch(text):
            raise ValueError("cell is a cell such as B7, or a column such as B for its last value")
        return text or None

    @field_validator("pointer", mode="before")
    @classmethod
    def _pointer(cls, value: Any) -> str | None:
        text = _text(value)
        if text is None:
            return None
        if len(text) > POINTER_MAX or (text and not text.startswith("/")) or re.search(r"[\x00-\x1f]", text):
            raise ValueError('pointer is a JSON pointer such as /data/total ("" for the whole answer)')
        return text

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> int:
        if value is None:
            return EVERY_DEFAULT
        text = _text(value) or ""
        if not text.isdigit() or not EVERY_MIN <= int(text) <= EVERY_MAX:
            raise ValueError(f"every is a whole number of minutes from {EVERY_MIN} to {EVERY_MAX}")
        return int(text)


TAKES = {  # kind → the fields a binding over it may give (the first ones it must)
    "sql": ("query",),
    "http": ("pointer", "path"),
    "jira": ("query", "sum"),
    "github": ("query", "metric"),
    "linear": ("query",),
    "prometheus": ("query",),
    "spreadsheet": ("path", "cell"),
}
_MUST = {
    "sql": {"query": "write the query that gives the number"},
    "http": {"pointer": "give the JSON pointer to the number, e.g. /data/total"},
    "jira": {
        "query": "write the JQL query whose issues count, e.g. project = APP AND resolved >= {cycle_start}"
    },
    "github": {"query": "write the search, e.g. repo:acme/app is:pr is:merged merged:>={cycle_start}"},
    "linear": {"query": "write the team and filter, e.g. team:ENG state:Done cycle:current"},
    "prometheus": {"query": "write the PromQL query that gives one number"},
    "spreadsheet": {
        "path": "give the published CSV's path under the connection, e.g. /spreadsheets/d/e/…/pub?output=csv",
        "cell": "give the cell, e.g. B7, or a column such as B for its last value",
    },
}
WHAT = {
    "sql": "a database: it takes a query",
    "http": "an http connection: it takes a path and pointer",
    "jira": "a Jira connection: it takes a JQL query and, to add up a field, sum",
    "github": "a GitHub connection: it takes a search query, or a repository (owner/name) and a metric",
    "linear": "a Linear connection: it takes a team and filter as its query",
    "prometheus": "a Prometheus connection: it takes a PromQL query",
    "spreadsheet": "a spreadsheet connection: it takes a CSV's path and a cell",
}


def problems_with(spec: SourceSpec, connection: Connection) -> dict[str, str]:
    """Field name → what is wrong with `spec` for the connection it names (empty: nothing)."""
    kind = connection.kind
    takes = TAKES[kind]
    given = {
        "query": spec.query,
        "path": spec.path,
        "pointer": spec.pointer,
        "sum": spec.sum,
        "cell": spec.cell,
        "metric": spec.metric,
    }
    problems: dict[str, str] = {}
    for name, value in given.items():
        if value is not None and name not in takes:
            problems[name] = f"`{connection.name}` is {WHAT[kind]}, not {name}"
    for name, message in _MUST[kind].items():
        if given[name] is None:
            problems.setdefault(name, message)
    if kind == "github" and spec.metric and spec.query and not REPOSITORY.fullmatch(spec.query):
        problems["query"] = "with a metric, the query is the repository: owner/name, e.g. acme/app"
    if kind == "linear" and spec.query and "query" not in problems:
        problem = filter_problem(spec.query)
        if problem is not None:
            problems["query"] = problem
    return problems
