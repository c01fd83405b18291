"""The hand-written text blocks are exactly what slack_sdk's Block Kit models give (for text
Slack accepts: the models drop an empty text, which Slack would refuse either way)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.ui.blocks import CONTEXT_CHARS, SECTION_CHARS, context, section

texts = st.text(min_size=1, max_size=3500)


@given(texts, st.one_of(st.none(), st.text(min_size=1, max_size=255)))
def test_section_is_the_models_section(text, block_id):
    block = section(text, block_id=block_id)
    model = SectionBlock(text=MarkdownTextObject(text=block["text"]["text"]), block_id=block_id).to_dict()
    assert block == model
    assert len(block["text"]["text"]) <= SECTION_CHARS


@given(st.lists(texts, min_size=1, max_size=12))
def test_context_is_the_models_context(items):
    block = context(*items)
    model = ContextBlock(elements=[MarkdownTextObject(text=e["text"]) for e in block["elements"]]).to_dict()
    assert block == model
    assert len(block["elements"]) == min(10, len(items))
    assert all(len(e["text"]) <= CONTEXT_CHARS for e in block["elements"])


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

    view = modal(
        "callback", title, [section(line) for line in lines], submit=submit, private_metadata=metadata
    )
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
    assert len(view["blocks"]) <= 100 and len(view["title"]["text"]) <= 24


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
