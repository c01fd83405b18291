"""The *Data source* modal's state → a SourceSpec (or None: no source), every problem under its
field, the connection checked against the ones declared for the workspace."""

from __future__ import annotations

from pydantic import ValidationError

from bot.errors import Invalid
from bot.forms.state import field_errors, flatten, text
from bot.ids import Block
from bot.sources.connections import Connections
from bot.sources.spec import SourceSpec, problems_with
from bot.ui.sources import NONE

_BLOCKS = {
    "connection": Block.SOURCE_CONNECTION,
    "path": Block.SOURCE_PATH,
    "pointer": Block.SOURCE_POINTER,
    "query": Block.SOURCE_QUERY,
    "every": Block.SOURCE_EVERY,
}


def parse_source(view: dict, connections: Connections, team_id: str | None) -> SourceSpec | None:
    values = flatten(view)
    chosen = values.get(Block.SOURCE_CONNECTION) or NONE
    if chosen == NONE:
        return None
    connection = connections.find(chosen, team_id)
    if connection is None:  # a forged or stale choice: the form only offers declared ones
        raise Invalid(
            "Choose a connection declared for this workspace.",
            fields={Block.SOURCE_CONNECTION: f"No connection {chosen} is declared for this workspace."},
        )
    data = {name: text(values.get(block)) or None for name, block in _BLOCKS.items() if name != "connection"}
    if connection.kind == "sql":
        data["path"] = data["pointer"] = None  # left over from an http choice: not part of a sql one
    else:
        data["query"] = None
    try:
        spec = SourceSpec.model_validate({"connection": connection.name, **data})
    except ValidationError as error:
        fields = field_errors(error, lambda name: _BLOCKS.get(name, Block.SOURCE_CONNECTION))
        raise Invalid("Some fields need another look.", fields=fields) from None
    problems = problems_with(spec, connection)
    if problems:
        raise Invalid("Some fields need another look.", fields={_BLOCKS[k]: v for k, v in problems.items()})
    return spec
