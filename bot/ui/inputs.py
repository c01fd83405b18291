"""Modal inputs and the modal itself.

slack_sdk's models build the rarer inputs. The modal, its input blocks, and the text and select
inputs that a check-in modal holds by the dozen are written out as the dicts those models give
(tests/unit/test_blocks.py holds them to it): the models' checks cost most of a large modal."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    Option,
    RadioButtonsElement,
    StaticMultiSelectElement,
    UserSelectElement,
)

from bot.domain.slack_text import truncate
from bot.ids import Action
from bot.ui.blocks import VIEW_BLOCKS, context, fit, plain_text


def _input(block_id: str, label: str, element: dict, *, optional: bool, hint: str | None) -> dict:
    """InputBlock(block_id=…, label=…, element=…, optional=…, hint=…).to_dict() written out."""
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(truncate(label, 2000)),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(truncate(hint, 2000))
    return block


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    max_length: int | None = None,
    multiline: bool = False,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
) -> dict:
    """A PlainTextInputElement(…).to_dict() in an input block, written out."""
    element: dict = {"type": "plain_text_input", "action_id": Action.INPUT, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length is not None:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain_text(truncate(placeholder, 150))
    return _input(block_id, label, element, optional=optional, hint=hint)


def user_input(block_id: str, label: str, *, initial: str | None = None, optional: bool = False) -> dict:
    element = UserSelectElement(
        action_id=Action.INPUT, initial_user=initial, placeholder="Choose a person"
    ).to_dict()
    return _input(block_id, label, element, optional=optional, hint=None)


def channel_input(
    block_id: str, label: str, *, initial: str | None = None, optional: bool = True, hint: str | None = None
) -> dict:
    element = ConversationSelectElement(
        action_id=Action.INPUT,
        initial_conversation=initial,
        placeholder="Choose a channel",
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    ).to_dict()
    return _input(block_id, label, element, optional=optional, hint=hint)


def _choices(choices: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(value, label) within Slack's limits: 100 options, 75 characters a label."""
    return [(value, truncate(label, 75)) for value, label in choices[:100]]


def _options(choices: Sequence[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=label) for value, label in _choices(choices)]


def _initial(options: list[Option], value: str | None) -> Option | None:
    return next((option for option in options if option.value == value), None)


def select_input(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    initial: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> dict:
    """A StaticSelectElement(…).to_dict() in an input block, written out."""
    options = [{"text": plain_text(label), "value": value} for value, label in _choices(choices)]
    element = {
        "type": "static_select",
        "action_id": Action.INPUT,
        "options": options,
        "placeholder": plain_text("Choose"),
    }
    chosen = next((option for option in options if option["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=optional, hint=hint)


def multi_select_input(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    initial: Sequence[str] = (),
    optional: bool = True,
    hint: str | None = None,
) -> dict:
    options = _options(choices)
    chosen = [option for option in options if option.value in set(initial)]
    element = StaticMultiSelectElement(
        action_id=Action.INPUT, options=options, initial_options=chosen or None, placeholder="Choose"
    ).to_dict()
    return _input(block_id, label, element, optional=optional, hint=hint)


def radio_input(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    initial: str | None = None,
    optional=False,
) -> dict:
    options = _options(choices)
    element = RadioButtonsElement(
        action_id=Action.INPUT, options=options, initial_option=_initial(options, initial)
    ).to_dict()
    return _input(block_id, label, element, optional=optional, hint=None)


def checkbox_input(block_id: str, label: str, choice: tuple[str, str], *, checked: bool = False) -> dict:
    options = _options([choice])
    element = CheckboxesElement(
        action_id=Action.INPUT, options=options, initial_options=options if checked else None
    ).to_dict()
    return _input(block_id, label, element, optional=True, hint=None)


def date_input(block_id: str, label: str, *, initial: str | None = None, optional: bool = False) -> dict:
    element = DatePickerElement(action_id=Action.INPUT, initial_date=initial).to_dict()
    return _input(block_id, label, element, optional=optional, hint=None)


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[dict],
    *,
    submit: str | None = "Save",
    private_metadata: str = "",
) -> dict:
    """View(type="modal", …).to_dict() written out (tests/unit/test_blocks.py holds it to that):
    given the blocks, the model would parse each dict back into a model and check it again, most
    of a large modal's cost; the builders made and checked them already."""
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(truncate(title, 24)),
        "close": plain_text("Cancel"),
        "blocks": fit(blocks, VIEW_BLOCKS, "…and {count} more not shown here."),
    }
    if submit:
        view["submit"] = plain_text(truncate(submit, 24))
    if private_metadata:
        view["private_metadata"] = private_metadata[:3000]
    return view


def note(text: str) -> dict:
    return context(text)
