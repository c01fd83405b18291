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
