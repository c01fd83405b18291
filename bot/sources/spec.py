"""A data source binding as people write it (OKRs-as-code YAML, or a form): checked once, here."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bot.sources.read import ENV_NAME
from storage.models import SourceKind

QUERY_MAX = 10_000
URL_MAX = 2000
POINTER_MAX = 500
EVERY_MIN, EVERY_MAX, EVERY_DEFAULT = 5, 7 * 24 * 60, 60
_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")  # an HTTP token (RFC 9110 field-name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ValueError("must be text")
    return str(value).strip()


class SourceSpec(BaseModel):
    """`kind: sql` with `env` (the variable holding the database URL) and `query`; or `kind: http`
    with `url`, `pointer` and optionally `header` + `env` (the variable holding its value).
    `every`: minutes between syncs, 60 by default."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    env: str | None = None
    query: str | None = None
    url: str | None = None
    pointer: str | None = None
    header: str | None = None
    every: int = EVERY_DEFAULT

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        text = (_text(value) or "").lower()
        if text not in ("sql", "http"):
            raise ValueError("kind is sql or http")
        return text

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, value: Any) -> str | None:
        text = _text(value)
        if text is not None and not ENV_NAME.fullmatch(text):
            raise ValueError(
                "env names an environment variable starting with NORTHLINE_SOURCE_, e.g. NORTHLINE_SOURCE_SALES_URL"
            )
        return text or None

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str | None:
        text = _text(value)
        if text is not None and len(text) > QUERY_MAX:
            raise ValueError(f"the query is longer than {QUERY_MAX:,} characters")
        return text or None

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str | None:
        text = _text(value)
        if text is not None and (len(text) > URL_MAX or not re.match(r"https?://[^\s/]+", text, re.I)):
            raise ValueError("url is an http:// or https:// address")
        return text or None

    @field_validator("pointer", mode="before")
    @classmethod
    def _pointer(cls, value: Any) -> str | None:
        text = _text(value)
        if text is None:
            return None
        if len(text) > POINTER_MAX or (text and not text.startswith("/")):
            raise ValueError('pointer is a JSON pointer such as /data/total ("" for the whole answer)')
        return text

    @field_validator("header", mode="before")
    @classmethod
    def _header(cls, value: Any) -> str | None:
        text = _text(value)
        if text is not None and not _HEADER.fullmatch(text):
            raise ValueError("header is an HTTP header name such as Authorization")
        return text or None

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> int:
        if value is None:
            return EVERY_DEFAULT
        text = _text(value) or ""
        if not text.isdigit() or not EVERY_MIN <= int(text) <= EVERY_MAX:
            raise ValueError(f"every is a whole number of minutes from {EVERY_MIN} to {EVERY_MAX}")
        return int(text)

    @model_validator(mode="after")
    def _complete(self) -> SourceSpec:
        if self.kind == SourceKind.SQL:
            if not self.env or not self.query:
                raise ValueError("a sql source needs env (the variable holding the database URL) and query")
            if self.url or self.pointer is not None or self.header:
                raise ValueError("a sql source takes env and query, not url, pointer or header")
        else:
            if not self.url or self.pointer is None:
                raise ValueError("an http source needs url and pointer (e.g. pointer: /data/total)")
            if self.query:
                raise ValueError("an http source takes url and pointer, not query")
            if bool(self.header) != bool(self.env):
                raise ValueError(
                    "header and env go together: the header's value comes from the variable env names"
                )
        return self
