"""OAuth scopes: what a bot token holds (by default exactly the bot scopes of the repository's
manifest.yml) and what each emulated Web API method needs, as Slack's method reference pages give
it ("Required scopes", docs.slack.dev/reference/methods/<method>, bot tokens)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@cache
def manifest_bot_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The scopes an install of the app grants its bot: `oauth_config.scopes.bot` (the optional
    ones, `bot_optional`, only when a workspace agrees: a test grants them by name)."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


# conversations.list and conversations.info: each kind of conversation has its own read scope.
_READ_SCOPES = {
    "public_channel": "channels:read",
    "private_channel": "groups:read",
    "im": "im:read",
    "mpim": "mpim:read",
}


def _conversations_open(args: dict[str, Any]) -> str:
    # docs.slack.dev/reference/methods/conversations.open: im:write for a DM, mpim:write for a
    # group DM (several users).
    users = args.get("users")
    return "mpim:write" if isinstance(users, str) and "," in users else "im:write"


def _conversations_list(args: dict[str, Any]) -> tuple[str, ...]:
    types = str(args.get("types") or "public_channel").split(",")
    return tuple(_READ_SCOPES.get(kind.strip(), "channels:read") for kind in types)


# Method -> the scopes it needs (all of them), or a function of the call's arguments giving them.
# None: the method needs no scope. conversations.info and conversations.history decide by the conversation's type, which
# only the method knows: it checks itself (web_api/conversations.py).
NEEDED: dict[str, tuple[str, ...] | Callable[[dict[str, Any]], str | tuple[str, ...]] | None] = {
    "api.test": None,
    "oauth.v2.access": None,
    "auth.test": None,
    "team.info": ("team:read",),
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.getPermalink": None,
    "chat.scheduleMessage": ("chat:write",),
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "conversations.open": _conversations_open,
    "conversations.info": None,
    "conversations.history": None,  # by the conversation's type, like conversations.info (web_api/history.py)
    "conversations.list": _conversations_list,
    "conversations.join": ("channels:join",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "functions.completeSuccess": None,
    "functions.completeError": None,
    # docs.slack.dev/reference/methods/assistant.threads.setStatus (and setTitle, setSuggestedPrompts)
    "assistant.threads.setStatus": ("assistant:write",),
    "assistant.threads.setTitle": ("assistant:write",),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "apps.connections.open": None,  # an app-level token's connections:write, checked by the method
}


def missing_scope(method: str, args: dict[str, Any], granted: frozenset[str]) -> str | None:
    """The first scope `method` needs that `granted` lacks, or None."""
    needed = NEEDED.get(method)
    if callable(needed):
        needed = needed(args)
    if isinstance(needed, str):
        needed = (needed,)
    return next((scope for scope in needed or () if scope not in granted), None)


def read_scope(kind: str) -> str:
    return _READ_SCOPES[kind]


@cache
def manifest_options_url(path: Path = MANIFEST) -> str | None:
    """Where Slack asks for an external select's options: `settings.interactivity.
    message_menu_options_url`. Without it Slack never sends a block_suggestion at all."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    interactivity = (manifest.get("settings") or {}).get("interactivity") or {}
    return interactivity.get("message_menu_options_url") or None
