"""Block Kit as readable plain text: for `northline demo` and for people reading logs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.ui.dates import plain_dates

_MENTION = re.compile(r"<([@#!])([A-Za-z0-9]+)(?:\|([^>]*))?>")


def mrkdwn_to_text(text: str, names: dict[str, str] | None = None) -> str:
    names = names or {}

    def mention(match: re.Match) -> str:
        sigil, ident, label = match.groups()
        if sigil == "!":
            return "@" + (label or ident)
        prefix = "@" if sigil == "@" else "#"
        return prefix + (label or names.get(ident, ident))

    return _MENTION.sub(mention, plain_dates(text)).replace("*", "").replace("`", "")


def _text(obj: dict | None) -> str:
    return (obj or {}).get("text", "")


def _header_lines(block: dict) -> list[str]:
    title = _text(block.get("text"))
    return ["", title, "=" * len(title)]


def _section_lines(block: dict) -> list[str]:
    lines: list[str] = []
    if block.get("text"):
        lines.append(_text(block.get("text")))
    lines += [_text(field) for field in block.get("fields", [])]
    if block.get("accessory", {}).get("type") == "button":
        lines.append(f"[{_text(block['accessory'].get('text'))}]")
    return lines


def _context_lines(block: dict) -> list[str]:
    return ["  " + " · ".join(_text(e) for e in block.get("elements", []) if e.get("text"))]


def _divider_lines(block: dict) -> list[str]:
    return ["-" * 40]


def _actions_lines(block: dict) -> list[str]:
    return ["  ".join(f"[{_text(e.get('text'))}]" for e in block.get("elements", []))]


def _input_lines(block: dict) -> list[str]:
    return [f"{_text(block.get('label'))}: ____"]


def _image_lines(block: dict) -> list[str]:
    return [f"(image: {block.get('alt_text', '')})"]


# One renderer per block type; types not listed here render as nothing.
_RENDERERS: dict[str, Callable[[dict], list[str]]] = {
    "header": _header_lines,
    "section": _section_lines,
    "context": _context_lines,
    "divider": _divider_lines,
    "actions": _actions_lines,
    "input": _input_lines,
    "image": _image_lines,
}


def blocks_to_text(blocks: Iterable[dict], names: dict[str, str] | None = None) -> str:
    lines: list[str] = []
    for block in blocks:
        render = _RENDERERS.get(block.get("type"))
        if render is not None:
            lines += render(block)
    return mrkdwn_to_text("\n".join(lines), names).strip("\n")


# Slack shows these shortcodes as emoji; a terminal shows them as emoji too, not as `:red_circle:`.
TERMINAL_EMOJI = {
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "red_circle": "🔴",
    "white_circle": "⚪",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "dart": "🎯",
    "link": "🔗",
    "tada": "🎉",
    "bulb": "💡",
    "compass": "🧭",
    "rocket": "🚀",
}
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
_ITALIC = re.compile(r"(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])")


def for_terminal(text: str) -> str:
    """What blocks_to_text leaves of Slack's markup, tidied for a terminal: emoji, no _italics_."""
    text = _SHORTCODE.sub(lambda m: TERMINAL_EMOJI.get(m.group(1), m.group(0)), text)
    return _ITALIC.sub(r"\1", text)
