"""Flatten Slack's view.state.values and turn validation problems into field errors."""

from __future__ import annotations

from collections.abc import Callable
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
