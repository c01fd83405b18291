"""What a bare command or `help` answers: the few things people do weekly, with buttons that
open the same forms the commands do, and a pointer to the full list."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ui.blocks import actions, button, context, ephemeral, section

DOCS_HINT = "docs/commands.md"


def short_help(
    command: str, title: str, lines: Sequence[str], buttons: Sequence[tuple[str, str]], prefix: str = ""
) -> dict:
    """`prefix` (a refusal or "I don't know …"), the title, the weekly lines, their buttons, and
    where to find everything."""
    more = f"Everything else: `{command} help all` (or {DOCS_HINT} in Northline's docs)."
    text = "\n".join(part for part in (prefix, title, *lines, more) if part)
    blocks: list[dict] = []
    if prefix:
        blocks.append(section(prefix))
    blocks.append(section("\n".join([title, *lines])))
    if buttons:
        blocks.append(actions(*(button(label, action_id) for label, action_id in buttons)))
    blocks.append(context(more))
    return ephemeral(text, blocks)


def full_help(command: str, title: str, lines: Sequence[str], prefix: str = "") -> dict:
    body = "\n".join([title, *lines, f"• `{command} help` — the short list"])
    return ephemeral(f"{prefix}\n\n{body}" if prefix else body)


def did_you_mean(command: str, typed: str, guess: str) -> dict:
    """Two lines for a typo: the closest subcommand, and where the list is."""
    return ephemeral(
        f"I don't know `{command} {typed}`. Did you mean `{command} {guess}`?\n"
        f"`{command} help` shows the usual commands."
    )
