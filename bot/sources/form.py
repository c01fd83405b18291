"""The *Data source* modal's state → a SourceSpec (or None: no source), every problem under its
field, the connection checked against the ones declared for the workspace. The form has one
field per shape of answer: its *pointer* field is a JSON pointer for an http connection, the
field to add up for Jira (`sum`), a GitHub repository's metric (`metric`) and the cell of a
spreadsheet (`cell`)."""

from __future__ import annotations

from pydantic import ValidationError

from bot.errors import Invalid
from bot.forms.state import field_errors, flatten, text
from bot.ids import Block
from bot.sources.connections import Connections
from bot.sources.spec import TAKES, SourceSpec, problems_with
from bot.ui.sources import NONE

BLOCKS = {
    "connection": Block.SOURCE_CONNECTION,
    "path": Block.SOURCE_PATH,
    "pointer": Block.SOURCE_POINTER,
    "sum": Block.SOURCE_POINTER,
    "cell": Block.SOURCE_POINTER,
    "metric": Block.SOURCE_POINTER,
    "query": Block.SOURCE_QUERY,
    "every": Block.SOURCE_EVERY,
}
_FROM_BLOCK = {"path": Block.SOURCE_PATH, "query": Block.SOURCE_QUERY}


def block_of(field: str | None) -> str:
    return BLOCKS.get(field or "", Block.SOURCE_CONNECTION)


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
    takes = TAKES[connection.kind]
    # Only the fields this kind takes: what is left in the others from another choice is not part of it.
    data = {name: text(values.get(block)) or None for name, block in _FROM_BLOCK.items() if name in takes}
    for name in ("pointer", "sum", "cell", "metric"):
        if name in takes:
            data[name] = text(values.get(Block.SOURCE_POINTER)) or None
    data["every"] = text(values.get(Block.SOURCE_EVERY)) or None
    try:
        spec = SourceSpec.model_validate({"connection": connection.name, **data})
    except ValidationError as error:
        fields = field_errors(error, block_of)
        raise Invalid("Some fields need another look.", fields=fields) from None
    problems = problems_with(spec, connection)
    if problems:
        raise Invalid("Some fields need another look.", fields={block_of(k): v for k, v in problems.items()})
    return spec
