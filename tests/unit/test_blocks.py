"""The hand-written text blocks are exactly what slack_sdk's Block Kit models give (for text
Slack accepts: the models drop an empty text, which Slack would refuse either way)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ui.blocks import (
    BUTTON_CHARS,
    CONTEXT_CHARS,
    HEADER_CHARS,
    SECTION_CHARS,
    actions,
    button,
    context,
    divider,
    header,
    section,
    text_size,
)

texts = st.text(min_size=1, max_size=3500)


def assert_cut(shown: str, typed: str, limit: int) -> None:
    """`shown` is `typed` cut to `limit` as Slack readers should see it, checked by its properties
    (not by cutting again): the text itself when it fits; else a prefix of it, never ending inside
    an escape such as <@U123|jane>, then "…", within the limit."""
    if len(typed) <= limit:
        assert shown == typed
        return
    assert len(shown) <= limit and shown.endswith("…")
    kept = shown[:-1]
    assert typed.startswith(kept)
    assert kept.rfind("<") <= kept.rfind(">")


def test_a_long_section_is_cut_as_worked_out_here():
    assert section("x" * 3001)["text"]["text"] == "x" * 2999 + "…"
    # The 3,000th character would fall inside the mention: cut before it, not through it.
    assert section("a" * 2995 + "<@U123|jane> and more")["text"]["text"] == "a" * 2995 + "…"
    # A cut after a space drops the space.
    assert section("a" * 2998 + " " + "b" * 10)["text"]["text"] == "a" * 2998 + "…"
    assert section("fits")["text"]["text"] == "fits"


@given(texts, st.one_of(st.none(), st.text(min_size=1, max_size=255)))
def test_section_is_the_models_section(text, block_id):
    block = section(text, block_id=block_id)
    assert_cut(block["text"]["text"], text, SECTION_CHARS)
    model = SectionBlock(text=MarkdownTextObject(text=block["text"]["text"]), block_id=block_id).to_dict()
    assert block == model


@given(st.lists(texts, min_size=1, max_size=12))
def test_context_is_the_models_context(items):
    block = context(*items)
    assert len(block["elements"]) == min(10, len(items))
    for element, typed in zip(block["elements"], items, strict=False):
        assert_cut(element["text"], typed, CONTEXT_CHARS)
    model = ContextBlock(elements=[MarkdownTextObject(text=e["text"]) for e in block["elements"]]).to_dict()
    assert block == model


ids = st.text(st.characters(codec="ascii"), min_size=1, max_size=255)


@given(
    st.text(min_size=1, max_size=100),
    ids,
    st.one_of(st.none(), st.text(max_size=2000)),
    st.sampled_from([None, "primary", "danger"]),
)
def test_button_is_the_models_button(text, action_id, value, style):
    block = button(text, action_id, value, style=style)
    assert_cut(block["text"]["text"], text, BUTTON_CHARS)
    model = ButtonElement(text=block["text"]["text"], action_id=action_id, value=value, style=style).to_dict()
    assert block == model


def test_a_button_slack_would_refuse_is_not_built():
    with pytest.raises(ValueError, match="style"):
        button("Go", "go", style="loud")
    with pytest.raises(ValueError, match="2001 characters"):
        button("Go", "go", "v" * 2001)


@given(st.lists(ids, min_size=1, max_size=5), st.one_of(st.none(), ids))
def test_actions_header_and_divider_are_the_models(action_ids, block_id):
    buttons = [button("Go", a) for a in action_ids]
    model = ActionsBlock(
        elements=[ButtonElement(text="Go", action_id=a) for a in action_ids], block_id=block_id
    )
    assert actions(*buttons, block_id=block_id) == model.to_dict()
    assert divider() == DividerBlock().to_dict()


@given(st.text(min_size=1, max_size=200))
def test_header_is_the_models_header(text):
    block = header(text)
    assert_cut(block["text"]["text"], text, HEADER_CHARS)
    assert block == HeaderBlock(text=block["text"]["text"]).to_dict()


def test_a_section_keeps_its_accessory():
    button = {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "action_id": "open"}
    assert section("*hi*", accessory=button)["accessory"] == button


@given(
    st.text(min_size=1, max_size=40),
    st.one_of(st.none(), st.text(min_size=1, max_size=40)),
    st.text(max_size=3500),
    st.lists(texts, min_size=1, max_size=120),
)
def test_modal_is_the_models_view(title, submit, metadata, lines):
    from slack_sdk.models.views import View

    from bot.ui.inputs import modal

    blocks = [section(line) for line in lines]
    view = modal("callback", title, blocks, submit=submit, private_metadata=metadata)
    assert_cut(view["title"]["text"], title, 24)
    if submit is None:
        assert "submit" not in view
    else:
        assert_cut(view["submit"]["text"], submit, 24)
    assert view.get("private_metadata") == (metadata[:3000] or None)  # Slack keeps 3,000 at most
    if len(blocks) <= 100:
        assert view["blocks"] == blocks
    else:  # 99 kept and a note of the rest: 100 blocks, Slack's most for a view
        note = {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"…and {len(blocks) - 99} more not shown here."}],
        }
        assert view["blocks"] == [*blocks[:99], note]
    model = View(
        type="modal",
        callback_id="callback",
        title=view["title"]["text"],
        submit=view.get("submit", {}).get("text"),
        close="Cancel",
        blocks=view["blocks"],
        private_metadata=view.get("private_metadata"),
    ).to_dict()
    assert view == model


labels = st.text(min_size=1, max_size=2100)
block_ids = st.text(min_size=1, max_size=255)
hints = st.one_of(st.none(), st.text(min_size=1, max_size=2100))


@given(
    block_ids,
    labels,
    st.one_of(st.none(), st.text(min_size=1, max_size=100)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=3000)),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.text(min_size=1, max_size=200)),
    hints,
)
def test_text_input_is_the_models_input(
    block_id, label, initial, max_length, multiline, optional, placeholder, hint
):
    from slack_sdk.models.blocks import InputBlock, PlainTextInputElement

    from bot.ids import Action
    from bot.ui.inputs import text_input

    block = text_input(
        block_id,
        label,
        initial=initial,
        max_length=max_length,
        multiline=multiline,
        optional=optional,
        placeholder=placeholder,
        hint=hint,
    )
    element = PlainTextInputElement(
        action_id=Action.INPUT,
        initial_value=initial,
        max_length=max_length,
        multiline=multiline,
        placeholder=block["element"].get("placeholder", {}).get("text"),
    )
    model = InputBlock(
        block_id=block_id,
        label=block["label"]["text"],
        element=element,
        optional=optional,
        hint=block.get("hint", {}).get("text"),
    ).to_dict()
    assert block == model


@given(
    block_ids,
    labels,
    st.lists(
        st.tuples(st.text(min_size=1, max_size=150), st.text(min_size=1, max_size=100)),
        min_size=1,
        max_size=110,
        unique_by=lambda choice: choice[0],
    ),
    st.booleans(),
    st.booleans(),
    hints,
)
def test_select_input_is_the_models_input(block_id, label, choices, pick_one, optional, hint):
    from slack_sdk.models.blocks import InputBlock, Option, StaticSelectElement

    from bot.ids import Action
    from bot.ui.inputs import select_input

    initial = choices[-1][0] if pick_one else None
    block = select_input(block_id, label, choices, initial=initial, optional=optional, hint=hint)
    options = [Option(value=o["value"], text=o["text"]["text"]) for o in block["element"]["options"]]
    chosen = next((o for o in options if o.value == initial), None)
    element = StaticSelectElement(
        action_id=Action.INPUT, options=options, initial_option=chosen, placeholder="Choose"
    )
    model = InputBlock(
        block_id=block_id,
        label=block["label"]["text"],
        element=element,
        optional=optional,
        hint=block.get("hint", {}).get("text"),
    ).to_dict()
    assert block == model
    assert len(block["element"]["options"]) <= 100 and all(
        len(o["text"]["text"]) <= 75 for o in block["element"]["options"]
    )


def test_text_size_counts_every_text_string_at_any_depth_and_nothing_else():
    blocks = [
        section("12345", accessory=button("abc", "go", "value-is-not-text")),
        context("1", "22"),
        {"type": "rich_text", "elements": [[{"text": "4444"}], {"text": {"text": "55555"}}]},
    ]
    assert text_size(blocks) == 5 + 3 + 1 + 2 + 4 + 5
    assert text_size([]) == text_size({}) == text_size("text") == 0
