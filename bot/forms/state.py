"""Flatten Slack's view.state.values and turn validation problems into field errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.errors import Invalid

M = TypeVar("M", bound=BaseModel)


def flatten(view: dict) -> dict[str, Any]:
    """block_id → the element's value, whatever the element type (one element per input block)."""
    flat: dict[str, Any] = {}
    for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
        for element in elements.values():
            flat[block_id] = _value(element)
    return flat


# Where each element type keeps its value; a list type sends [] when nothing is chosen.
_VALUE_KEY = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}
_LIST_KEY = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
}
_SELECTS = ("static_select", "external_select", "radio_buttons")
_MULTI_SELECTS = ("multi_static_select", "multi_external_select", "checkboxes")


def _value(element: dict) -> Any:
    kind = element.get("type")
    if not isinstance(kind, str):  # a forged payload: no table lookup for what may not be hashable
        return element.get("value")
    if kind in _SELECTS:
        option = element.get("selected_option")
        return option.get("value") if option else None
    if kind in _MULTI_SELECTS:
        return [option.get("value") for option in element.get("selected_options") or []]
    if kind in _LIST_KEY:
        return element.get(_LIST_KEY[kind]) or []
    return element.get(_VALUE_KEY.get(kind, "value"))


def text(value: Any) -> str:
    """A text field's value, stripped; Slack sends None for an empty optional field."""
    return value.strip() if isinstance(value, str) else ""


def validate(model: type[M], data: dict[str, Any], block_for: Callable[[str], str]) -> M:
    """Validate `data` with `model`; each error goes under the block of the field it concerns."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid("Some fields need another look.", fields=field_errors(error, block_for)) from None


def field_errors(error: ValidationError, block_for: Callable[[str], str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        message = problem["msg"].removeprefix("Value error, ")
        fields.setdefault(block_for(name), message[:1].upper() + message[1:])
    return fields


# --- forms that grow: one more group of fields per click, up to a maximum -------------------------
# The New objective form (key results) and the New KRA form (KPIs) open with one group and grow
# with an *Add …* button; *More options* shows each group's less used fields (a key result's owner,
# weight and milestone; a KPI's direction), which otherwise take their defaults. Each click redraws
# the form with views.update. Each group's block_ids depend only on its number, so Slack keeps
# what was typed; the form also carries it as initial values.


def rows_metadata(rows: int, *, options: bool = False) -> str:
    """What a growing form carries in private_metadata: how many groups it shows and, once
    *More options* was clicked, that it shows every group's options."""
    return json.dumps({"rows": rows, "options": True} if options else {"rows": rows})


def _growth(view: dict) -> dict[str, Any]:
    """The growing form's metadata; only a hint, so anything unreadable is the form as it opens."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, TypeError, AttributeError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def shown_rows(view: dict, maximum: int) -> int:
    """How many groups a growing form shows (1 to `maximum`): only a hint, so anything
    unreadable counts as the one group the form opens with."""
    rows = _growth(view).get("rows")
    if not isinstance(rows, int) or isinstance(rows, bool):
        return 1
    return min(max(rows, 1), maximum)


def grown_rows(view: dict, maximum: int) -> int:
    """The groups a growing form shows once *Add …* was clicked: one more, up to `maximum`."""
    return min(shown_rows(view, maximum) + 1, maximum)


def options_shown(view: dict) -> bool:
    """Whether a growing form shows its groups' options (*More options* was clicked)."""
    return _growth(view).get("options") is True


def typed(view: dict, block_ids: Iterable[str]) -> dict[str, str]:
    """What was typed or picked in these blocks, as the strings a redrawn form shows again as
    initial values; anything else Slack (or a forged payload) sent is left out."""
    values = flatten(view)
    return {
        block: value for block in block_ids if isinstance(value := values.get(block), str) and value.strip()
    }
