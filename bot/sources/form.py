"""The *Data source* modal's state → a SourceSpec (or None: no source), every problem under its field."""

from __future__ import annotations

from pydantic import ValidationError

from bot.errors import Invalid
from bot.forms.state import field_errors, flatten, text
from bot.ids import Block
from bot.sources.spec import SourceSpec
from bot.ui.sources import NONE

_BLOCKS = {
    "kind": Block.SOURCE_KIND,
    "env": Block.SOURCE_ENV,
    "query": Block.SOURCE_QUERY,
    "url": Block.SOURCE_URL,
    "pointer": Block.SOURCE_POINTER,
    "header": Block.SOURCE_HEADER,
    "every": Block.SOURCE_EVERY,
}


def _sql_errors(data: dict) -> dict[str, str]:
    """What a sql source is missing; clears the fields only an http source has."""
    errors: dict[str, str] = {}
    for name, message in (
        ("env", "Name the variable that holds the database URL, e.g. NORTHLINE_SOURCE_SALES_URL."),
        ("query", "Write the query that gives the number."),
    ):
        if not data[name]:
            errors[_BLOCKS[name]] = message
    for name in ("url", "pointer", "header"):
        data[name] = None  # left over from an http source: not part of a sql one
    return errors


def _http_errors(data: dict) -> dict[str, str]:
    """What an http source is missing; clears the query only a sql source has."""
    errors: dict[str, str] = {}
    if not data["url"]:
        errors[Block.SOURCE_URL] = "Give the URL that answers with JSON."
    if data["pointer"] is None:
        errors[Block.SOURCE_POINTER] = "Give the JSON pointer to the number, e.g. /data/total."
    if bool(data["header"]) != bool(data["env"]):
        block = Block.SOURCE_ENV if data["header"] else Block.SOURCE_HEADER
        errors[block] = "A header and its variable go together: give both, or neither."
    data["query"] = None
    return errors


def parse_source(view: dict) -> SourceSpec | None:
    values = flatten(view)
    kind = values.get(Block.SOURCE_KIND) or NONE
    if kind == NONE:
        return None
    data = {name: text(values.get(block)) or None for name, block in _BLOCKS.items()}
    data["kind"] = kind
    errors = _sql_errors(data) if kind == "sql" else _http_errors(data)
    if errors:
        raise Invalid("Some fields need another look.", fields=errors)
    try:
        return SourceSpec.model_validate(data)
    except ValidationError as error:
        fields = field_errors(error, lambda name: _BLOCKS.get(name, Block.SOURCE_KIND))
        raise Invalid("Some fields need another look.", fields=fields) from None
