"""A data source binding as people write it (OKRs-as-code YAML, a form, the API): checked here,
then against the declared connection it names (`problems_with`)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bot.sources.connections import NAME, Connection, path_problem

QUERY_MAX = 10_000
POINTER_MAX = 500
EVERY_MIN, EVERY_MAX, EVERY_DEFAULT = 5, 7 * 24 * 60, 60
_OLD_KEYS = ("kind", "env", "url", "header")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ValueError("must be text")
    return str(value).strip()


class SourceSpec(BaseModel):
    """`connection`: the name of a connection the operator declared (NORTHLINE_SOURCE_<NAME>_URL).
    An http connection takes `path` (path and query under its origin) and `pointer`; a sql one
    takes `query`. `every`: minutes between syncs, 60 by default."""

    model_config = ConfigDict(extra="forbid")

    connection: str
    path: str | None = None
    pointer: str | None = None
    query: str | None = None
    every: int = EVERY_DEFAULT

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
        problem = path_problem(text)
        if problem is not None:
            raise ValueError(problem)
        return text

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str | None:
        text = _text(value)
        if text is not None and len(text) > QUERY_MAX:
            raise ValueError(f"the query is longer than {QUERY_MAX:,} characters")
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


def problems_with(spec: SourceSpec, connection: Connection) -> dict[str, str]:
    """Field name → what is wrong with `spec` for the connection it names (empty: nothing)."""
    problems: dict[str, str] = {}
    if connection.kind == "sql":
        if not spec.query:
            problems["query"] = f"`{connection.name}` is a database: write the query that gives the number"
        if spec.path or spec.pointer is not None:
            problems["path" if spec.path else "pointer"] = (
                f"`{connection.name}` is a database: it takes a query, not a path or pointer"
            )
        return problems
    if spec.query:
        problems["query"] = (
            f"`{connection.name}` is an http connection: it takes a path and pointer, not a query"
        )
    if spec.pointer is None:
        problems["pointer"] = "give the JSON pointer to the number, e.g. /data/total"
    return problems
