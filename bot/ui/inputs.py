"""Modal inputs and the modal itself, built with slack_sdk's models so limits are checked."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.slack_text import truncate
from bot.ids import Action
from bot.ui.blocks import VIEW_BLOCKS, context, fit


def _input(block_id: str, label: str, element, *, optional: bool, hint: str | None) -> dict:
    return InputBlock(
        block_id=block_id, label=truncate(label, 2000), element=element, optional=optional, hint=hint
    ).to_dict()


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
    element = PlainTextInputElement(
        action_id=Action.INPUT,
        initial_value=initial or None,
        max_length=max_length,
        multiline=multiline,
        placeholder=placeholder,
    )
    return _input(block_id, label, element, optional=optional, hint=hint)


def user_input(block_id: str, label: str, *, initial: str | None = None, optional: bool = False) -> dict:
    element = UserSelectElement(action_id=Action.INPUT, initial_user=initial, placeholder="Choose a person")
    return _input(block_id, label, element, optional=optional, hint=None)


def channel_input(
    block_id: str, label: str, *, initial: str | None = None, optional: bool = True, hint: str | None = None
) -> dict:
    element = ConversationSelectElement(
        action_id=Action.INPUT,
        initial_conversation=initial,
        placeholder="Choose a channel",
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    return _input(block_id, label, element, optional=optional, hint=hint)


def _options(choices: Sequence[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=truncate(label, 75)) for value, label in choices[:100]]


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
    options = _options(choices)
    element = StaticSelectElement(
        action_id=Action.INPUT, options=options, initial_option=_initial(options, initial), placeholder="Choose"
    )
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
    )
    return _input(block_id, label, element, optional=optional, hint=hint)


def radio_input(
    block_id: str, label: str, choices: Sequence[tuple[str, str]], *, initial: str | None = None, optional=False
) -> dict:
    options = _options(choices)
    element = RadioButtonsElement(action_id=Action.INPUT, options=options, initial_option=_initial(options, initial))
    return _input(block_id, label, element, optional=optional, hint=None)


def checkbox_input(block_id: str, label: str, choice: tuple[str, str], *, checked: bool = False) -> dict:
    options = _options([choice])
    element = CheckboxesElement(action_id=Action.INPUT, options=options, initial_options=options if checked else None)
    return _input(block_id, label, element, optional=True, hint=None)


def date_input(block_id: str, label: str, *, initial: str | None = None, optional: bool = False) -> dict:
    element = DatePickerElement(action_id=Action.INPUT, initial_date=initial)
    return _input(block_id, label, element, optional=optional, hint=None)


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[dict],
    *,
    submit: str | None = "Save",
    private_metadata: str = "",
) -> dict:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=truncate(title, 24),
        submit=submit,
        close="Cancel",
        blocks=fit(blocks, VIEW_BLOCKS, "…and {count} more not shown here."),
        private_metadata=private_metadata[:3000] or None,
    )
    return view.to_dict()


def note(text: str) -> dict:
    return context(text)
