"""Small Block Kit builders shared by every surface. Pure functions: dicts in, dicts out.

slack_sdk's models build the rarer blocks. Those every page, digest and reminder builds by the
dozen (a text section, a text context, a header, a divider, buttons and their actions block) are
written out as the dicts those models give (tests/unit/test_blocks.py holds them to it): the
models' validation walks dir() of every object, which cost a digest more than its database reads
and a check-in reminder (six buttons a person) more than its planning.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.domain.limits import UNIT_MAX
from bot.domain.numbers import format_number
from bot.domain.slack_text import neutralize_broadcasts, truncate

# Every surface renders what people typed through these two (defined in domain/ so a service's
# error message quotes a title the same way).
from bot.domain.slack_text import plain_user_text as plain_user_text
from bot.domain.slack_text import user_text as user_text

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_CHARS = 3000
HEADER_CHARS = 150
CONTEXT_CHARS = 2000
TEXT_FALLBACK_CHARS = 3000
# chat.postMessage refuses a message whose blocks carry more than about 12,000 characters of text
# in all (msg_blocks_too_long; undocumented: slackapi/bolt-js #2509, #2867, where one was refused at
# 11,341). Posts keep well under it.
MESSAGE_TEXT_BUDGET = 10_000


def amount(value: float, unit: str | None = "") -> str:
    """A number and its unit inside mrkdwn: "1,200 h", "$5". The unit is what a person or a data
    source typed, so it goes through user_text() like any other typed text."""
    return format_number(value, user_text(unit, UNIT_MAX))


def header(text: str) -> dict:
    """HeaderBlock(text=…).to_dict()."""
    return {"type": "header", "text": plain_text(truncate(text, HEADER_CHARS))}


def section(text: str, *, accessory: dict | None = None, block_id: str | None = None) -> dict:
    """SectionBlock(text=MarkdownTextObject(text=…), block_id=…).to_dict(), with the accessory."""
    block: dict = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_CHARS)}}
    if block_id is not None:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> dict:
    """ContextBlock(elements=[MarkdownTextObject(text=…), …]).to_dict(): at most ten texts."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(t, CONTEXT_CHARS)} for t in texts[:10]],
    }


def plain_text(text: str) -> dict:
    """PlainTextObject(text=…).to_dict(): the text of labels, titles, placeholders and options."""
    return {"type": "plain_text", "text": text, "emoji": True}


def divider() -> dict:
    return {"type": "divider"}


BUTTON_CHARS = 75
BUTTON_VALUE_CHARS = 2000
BUTTON_STYLES = (None, "primary", "danger")


def button(text: str, action_id: str, value: str | None = None, *, style: str | None = None) -> dict:
    """ButtonElement(text=…, action_id=…, value=…, style=…).to_dict(), which leaves out an empty
    value, and refuses a value or a style Slack would refuse."""
    if style not in BUTTON_STYLES or (value is not None and len(value) > BUTTON_VALUE_CHARS):
        raise ValueError(
            f"a button Slack would refuse: style {style!r}, value of {len(value or '')} characters"
        )
    block: dict = {"type": "button", "action_id": action_id, "text": plain_text(truncate(text, BUTTON_CHARS))}
    if value:
        block["value"] = value
    if style:
        block["style"] = style
    return block


def actions(*buttons: dict, block_id: str | None = None) -> dict:
    """ActionsBlock(elements=…, block_id=…).to_dict()."""
    block: dict = {"type": "actions", "elements": list(buttons)}
    if block_id:
        block["block_id"] = block_id
    return block


def text_size(node: object) -> int:
    """Every `text` string in blocks, summed: what Slack's msg_blocks_too_long counts. A loop, not
    recursion: a reminder weighs each of its rows."""
    size = 0
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    size += len(value) if key == "text" else 0
                elif isinstance(value, dict | list):
                    pending.append(value)
        elif isinstance(item, list):
            pending.extend(item)
    return size


def fit(
    blocks: Sequence[dict | Block], limit: int, overflow: str, *, max_chars: int | None = None
) -> list[dict]:
    """Cut a list of blocks to Slack's limit, ending with a note of how many were left out.

    `overflow` is a format string with {count}, e.g. "…and {count} more: see App Home."
    With `max_chars`, the blocks' text (text_size) stays within it too.
    """
    dicts = [b.to_dict() if isinstance(b, Block) else b for b in blocks]
    if len(dicts) <= limit and (max_chars is None or text_size(dicts) <= max_chars):
        return dicts
    room = None if max_chars is None else max_chars - text_size(context(overflow.format(count=len(dicts))))
    kept: list[dict] = []
    size = 0
    for block in dicts[: limit - 1]:
        size += text_size(block)
        if room is not None and size > room:
            break
        kept.append(block)
    return [*kept, context(overflow.format(count=len(dicts) - len(kept)))]


def split(
    blocks: Sequence[dict], *, max_blocks: int = MESSAGE_BLOCKS, max_chars: int = MESSAGE_TEXT_BUDGET
) -> list[list[dict]]:
    """Blocks into as few messages as hold them, each within Slack's block count and text size.
    A divider never starts or ends a message."""
    messages: list[list[dict]] = []
    current: list[dict] = []
    size = 0
    for block in blocks:
        block_size = text_size(block)
        if current and (len(current) >= max_blocks or size + block_size > max_chars):
            messages.append(current)
            current, size = [], 0
        if not current and block.get("type") == "divider":
            continue
        current.append(block)
        size += block_size
    if current:
        messages.append(current)
    return [[*m[:-1]] if len(m) > 1 and m[-1].get("type") == "divider" else m for m in messages]


def ephemeral(text: str, blocks: Sequence[dict] | None = None) -> dict:
    """Keyword arguments for respond(): an ephemeral answer with a plain-text fallback."""
    # Error texts may quote what the person typed: never let that ping a whole channel.
    answer: dict = {
        "response_type": "ephemeral",
        "text": truncate(neutralize_broadcasts(text), TEXT_FALLBACK_CHARS),
    }
    if blocks:
        answer["blocks"] = list(blocks)
    return answer
