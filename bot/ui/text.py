"""Block Kit as readable plain text: for `northline demo` and for people reading logs."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MENTION = re.compile(r"<([@#!])([A-Za-z0-9]+)(?:\|([^>]*))?>")


def mrkdwn_to_text(text: str, names: dict[str, str] | None = None) -> str:
    names = names or {}

    def mention(match: re.Match) -> str:
        sigil, ident, label = match.groups()
        if sigil == "!":
            return "@" + (label or ident)
        prefix = "@" if sigil == "@" else "#"
        return prefix + (label or names.get(ident, ident))

    return _MENTION.sub(mention, text).replace("*", "").replace("`", "")


def _text(obj: dict | None) -> str:
    return (obj or {}).get("text", "")


def blocks_to_text(blocks: Iterable[dict], names: dict[str, str] | None = None) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text(block.get("text"))
            lines += ["", title, "=" * len(title)]
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block.get("text")))
            lines += [_text(field) for field in block.get("fields", [])]
            if block.get("accessory", {}).get("type") == "button":
                lines.append(f"[{_text(block['accessory'].get('text'))}]")
        elif kind == "context":
            lines.append("  " + " · ".join(_text(e) for e in block.get("elements", []) if e.get("text")))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines.append("  ".join(f"[{_text(e.get('text'))}]" for e in block.get("elements", [])))
        elif kind == "input":
            lines.append(f"{_text(block.get('label'))}: ____")
        elif kind == "image":
            lines.append(f"(image: {block.get('alt_text', '')})")
    return mrkdwn_to_text("\n".join(lines), names).strip("\n")
