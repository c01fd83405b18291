"""A fake Slack Web API for tests: real HTTP, Slack's answers, Slack's limits.

``SlackEmulator`` is a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) that a real
``slack_sdk.WebClient(base_url=emulator.base_url)`` talks to. It records every call, answers in
the shapes of Slack's Web API (see /work/shared/slack/web_api_openapi_v2.json), checks Block Kit
limits on every payload that carries blocks or a view, and can be told to fail, rate-limit,
answer 5xx, answer garbage or answer late.

The Block Kit checks are plain functions too (``message_errors``, ``view_errors``) so a unit test
of a builder can call them without a server.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import math
import mimetypes
import random
import re
import socketserver
import string
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "Call",
    "FunctionExecution",
    "SlackEmulator",
    "UploadedFile",
    "message_errors",
    "suggestion_errors",
    "view_errors",
]

# =================================================================================================
# Block Kit limits
# =================================================================================================
MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000
MESSAGE_TEXT_TRUNCATED = 4_000
# chat.postMessage / chat.update refuse a message whose blocks carry more than about 12,000
# characters of text in all, with `msg_blocks_too_long`. Undocumented: slackapi/bolt-js #2509
# (refused at ~13,200 characters over several blocks) and #2867 (Slack's "12,000 text characters
# with a buffer for block containers"; refused at 11,341 counted). Modelled as every `text` string
# in the blocks summed, refused above 12,000; respond() through a response_url is not affected.
MESSAGE_BLOCKS_TEXT_MAX = 12_000

_BLOCK_TYPES = {
    "actions",
    "call",
    "context",
    "context_actions",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
}
_SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
}
_MULTI_SELECTS = {"multi_" + s for s in _SELECTS}
_ACTIONS_ELEMENTS = (
    {"button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons", "timepicker"}
    | {"workflow_button", "rich_text_input"}
    | _SELECTS
    | _MULTI_SELECTS
)
_INPUT_ELEMENTS = (
    {"checkboxes", "datepicker", "datetimepicker", "email_text_input", "file_input", "number_input"}
    | {"plain_text_input", "radio_buttons", "rich_text_input", "timepicker", "url_text_input"}
    | _SELECTS
    | _MULTI_SELECTS
)
_ACCESSORY_ELEMENTS = (
    {"button", "checkboxes", "datepicker", "image", "overflow", "radio_buttons", "timepicker"}
    | {"workflow_button"}
    | _SELECTS
    | _MULTI_SELECTS
)
INTERACTIVE_ELEMENTS = _ACTIONS_ELEMENTS | _INPUT_ELEMENTS
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, message: str, path: str) -> None:
        self.errors.append(f"{message} [json-pointer:{path}]")

    # -- primitives ------------------------------------------------------------------------------

    def string(
        self, value: Any, path: str, max_len: int, *, required: bool = False, min_len: int = 0
    ) -> None:
        if value is None:
            if required:
                self.err("must provide a string", path)
            return
        if not isinstance(value, str):
            self.err("must be a string", path)
            return
        if len(value) > max_len:
            self.err(f"must be less than {max_len + 1} characters", path)
        if len(value) < min_len:
            self.err(f"must be more than {min_len - 1} characters", path)

    def items(self, value: Any, path: str, max_items: int, *, min_items: int = 0) -> list[Any]:
        if not isinstance(value, list):
            self.err("must be an array", path)
            return []
        if len(value) > max_items:
            self.err(f"no more than {max_items} items allowed", path)
        if len(value) < min_items:
            self.err(f"must provide at least {min_items} items", path)
        return value

    def text(self, obj: Any, path: str, max_len: int, *, plain: bool = False, required: bool = True) -> None:
        if obj is None:
            if required:
                self.err("must provide an object", path)
            return
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.err(f"must be one of: {', '.join(allowed)}", path + "/type")
        self.string(obj.get("text"), path + "/text", max_len, required=True, min_len=1)

    # -- composition objects -----------------------------------------------------------------------

    def option(self, obj: Any, path: str, *, plain: bool = True, url: bool = False) -> None:
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        self.text(obj.get("text"), path + "/text", 75, plain=plain)
        self.string(obj.get("value"), path + "/value", 150, required=not url, min_len=0 if url else 1)
        self.text(obj.get("description"), path + "/description", 75, plain=plain, required=False)
        if url:
            self.string(obj.get("url"), path + "/url", 3000)

    def confirm(self, obj: Any, path: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        self.text(obj.get("title"), path + "/title", 100, plain=True)
        self.text(obj.get("text"), path + "/text", 300)
        self.text(obj.get("confirm"), path + "/confirm", 30, plain=True)
        self.text(obj.get("deny"), path + "/deny", 30, plain=True)

    def placeholder(self, element: dict[str, Any], path: str) -> None:
        self.text(element.get("placeholder"), path + "/placeholder", 150, plain=True, required=False)

    # -- elements ------------------------------------------------------------------------------------

    def element(self, el: Any, path: str, allowed: set[str], action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.err("must provide an object", path)
            return
        kind = el.get("type")
        if kind not in allowed:
            self.err(f"unsupported element type: {kind!r}", path + "/type")
            return
        if kind in INTERACTIVE_ELEMENTS:
            action_id = el.get("action_id")
            self.string(action_id, path + "/action_id", 255, min_len=1)
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.err(f"duplicate action_id: {action_id}", path + "/action_id")
                action_ids.add(action_id)
        self.confirm(el.get("confirm"), path + "/confirm")
        if kind == "button":
            self.text(el.get("text"), path + "/text", 75, plain=True)
            self.string(el.get("value"), path + "/value", 2000)
            self.string(el.get("url"), path + "/url", 3000)
            self.string(el.get("accessibility_label"), path + "/accessibility_label", 75)
            if el.get("style") not in (None, "primary", "danger"):
                self.err("must be one of: primary, danger", path + "/style")
        elif kind == "image":
            if el.get("image_url") is None and el.get("slack_file") is None:
                self.err("must provide image_url or slack_file", path)
            self.string(el.get("image_url"), path + "/image_url", 3000)
            self.string(el.get("alt_text"), path + "/alt_text", 2000, required=True, min_len=1)
        elif kind in ("static_select", "multi_static_select"):
            self.placeholder(el, path)
            self._options_or_groups(el, path)
        elif kind in ("external_select", "multi_external_select"):
            self.placeholder(el, path)
            if "initial_option" in el:
                self.option(el["initial_option"], path + "/initial_option")
        elif kind in _SELECTS | _MULTI_SELECTS:
            self.placeholder(el, path)
        elif kind == "overflow":
            options = self.items(el.get("options"), path + "/options", 5, min_items=1)
            for i, o in enumerate(options):
                self.option(o, f"{path}/options/{i}", url=True)
        elif kind in ("radio_buttons", "checkboxes"):
            options = self.items(el.get("options"), path + "/options", 10, min_items=1)
            for i, o in enumerate(options):
                self.option(o, f"{path}/options/{i}", plain=False)
            self._initial_options_match(el, options, path)
        elif kind == "datepicker":
            self.placeholder(el, path)
            d = el.get("initial_date")
            if d is not None and not (isinstance(d, str) and _DATE.match(d)):
                self.err("must match format YYYY-MM-DD", path + "/initial_date")
        elif kind == "timepicker":
            self.placeholder(el, path)
            t = el.get("initial_time")
            if t is not None and not (isinstance(t, str) and _TIME.match(t)):
                self.err("must match format HH:mm", path + "/initial_time")
        elif kind == "plain_text_input":
            self.placeholder(el, path)
            max_len = el.get("max_length", 3000)
            if not isinstance(max_len, int) or not 1 <= max_len <= 3000:
                self.err("must be between 1 and 3000", path + "/max_length")
                max_len = 3000
            min_len = el.get("min_length", 0)
            if not isinstance(min_len, int) or not 0 <= min_len <= 3000:
                self.err("must be between 0 and 3000", path + "/min_length")
            self.string(el.get("initial_value"), path + "/initial_value", max_len)
        elif kind == "number_input":
            self.placeholder(el, path)
            if not isinstance(el.get("is_decimal_allowed"), bool):
                self.err("missing required field: is_decimal_allowed", path)
            for key in ("initial_value", "min_value", "max_value"):
                if key in el and not isinstance(el[key], str):
                    self.err("must be a string", f"{path}/{key}")
        elif kind in ("email_text_input", "url_text_input"):
            self.placeholder(el, path)

    def _options_or_groups(self, el: dict[str, Any], path: str) -> None:
        has_options, has_groups = "options" in el, "option_groups" in el
        if has_options == has_groups:
            self.err("must provide exactly one of options, option_groups", path)
            return
        options: list[Any] = []
        if has_options:
            options = self.items(el["options"], path + "/options", 100, min_items=1)
            for i, o in enumerate(options):
                self.option(o, f"{path}/options/{i}")
        else:
            groups = self.items(el["option_groups"], path + "/option_groups", 100, min_items=1)
            for g_index, group in enumerate(groups):
                g_path = f"{path}/option_groups/{g_index}"
                if not isinstance(group, dict):
                    self.err("must provide an object", g_path)
                    continue
                self.text(group.get("label"), g_path + "/label", 75, plain=True)
                g_options = self.items(group.get("options"), g_path + "/options", 100, min_items=1)
                for i, o in enumerate(g_options):
                    self.option(o, f"{g_path}/options/{i}")
                options.extend(g_options)
        self._initial_options_match(el, options, path)
        max_selected = el.get("max_selected_items")
        if max_selected is not None and (not isinstance(max_selected, int) or max_selected < 1):
            self.err("must be at least 1", path + "/max_selected_items")

    def _initial_options_match(self, el: dict[str, Any], options: list[Any], path: str) -> None:
        def key(o: Any) -> Any:
            if not isinstance(o, dict):
                return None
            text = o.get("text")
            return (o.get("value"), text.get("text") if isinstance(text, dict) else None)

        known = {key(o) for o in options}
        initial = []
        if "initial_option" in el:
            initial.append(("/initial_option", el["initial_option"]))
        if "initial_options" in el and isinstance(el["initial_options"], list):
            initial += [(f"/initial_options/{i}", o) for i, o in enumerate(el["initial_options"])]
        for suffix, o in initial:
            if key(o) not in known:
                self.err("must match one of the provided options", path + suffix)

    # -- blocks --------------------------------------------------------------------------------------

    def blocks(self, blocks: Any, path: str, max_blocks: int) -> None:
        seen: set[str] = set()
        for i, block in enumerate(self.items(blocks, path, max_blocks)):
            self.block(block, f"{path}/{i}", seen)

    def block(self, b: Any, path: str, seen_block_ids: set[str]) -> None:
        if not isinstance(b, dict):
            self.err("must provide an object", path)
            return
        kind = b.get("type")
        if kind not in _BLOCK_TYPES:
            self.err(f"unsupported block type: {kind!r}", path + "/type")
            return
        block_id = b.get("block_id")
        if block_id is not None:
            self.string(block_id, path + "/block_id", 255, min_len=1)
            if isinstance(block_id, str):
                if block_id in seen_block_ids:
                    self.err(f"duplicate block_id: {block_id}", path + "/block_id")
                seen_block_ids.add(block_id)
        action_ids: set[str] = set()
        if kind == "section":
            if b.get("text") is None and b.get("fields") is None:
                self.err("must provide text or fields", path)
            self.text(b.get("text"), path + "/text", 3000, required=False)
            if b.get("fields") is not None:
                fields = self.items(b.get("fields"), path + "/fields", 10, min_items=1)
                for i, f in enumerate(fields):
                    self.text(f, f"{path}/fields/{i}", 2000)
            if b.get("accessory") is not None:
                self.element(b["accessory"], path + "/accessory", _ACCESSORY_ELEMENTS, action_ids)
        elif kind == "header":
            self.text(b.get("text"), path + "/text", 150, plain=True)
        elif kind == "image":
            if b.get("image_url") is None and b.get("slack_file") is None:
                self.err("must provide image_url or slack_file", path)
            self.string(b.get("image_url"), path + "/image_url", 3000)
            self.string(b.get("alt_text"), path + "/alt_text", 2000, required=True, min_len=1)
            self.text(b.get("title"), path + "/title", 2000, plain=True, required=False)
        elif kind == "context":
            elements = self.items(b.get("elements"), path + "/elements", 10, min_items=1)
            for i, el in enumerate(elements):
                e_path = f"{path}/elements/{i}"
                if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    self.text(el, e_path, 3000)
                else:
                    self.element(el, e_path, {"image"}, action_ids)
        elif kind == "actions":
            elements = self.items(b.get("elements"), path + "/elements", 25, min_items=1)
            for i, el in enumerate(elements):
                self.element(el, f"{path}/elements/{i}", _ACTIONS_ELEMENTS, action_ids)
        elif kind == "input":
            self.text(b.get("label"), path + "/label", 2000, plain=True)
            self.text(b.get("hint"), path + "/hint", 2000, plain=True, required=False)
            if b.get("element") is None:
                self.err("missing required field: element", path)
            else:
                self.element(b["element"], path + "/element", _INPUT_ELEMENTS, action_ids)
        elif kind == "markdown":
            self.string(b.get("text"), path + "/text", 12_000, required=True, min_len=1)
        elif kind == "rich_text":
            self.items(b.get("elements"), path + "/elements", 10_000)


def message_errors(payload: dict[str, Any], *, require_text: bool = True) -> list[str]:
    """Errors Slack would report for a message payload (chat.postMessage, response_url, ...).

    ``no_text`` / ``msg_too_long`` come back as plain strings without a json-pointer.
    """
    c = _Checker()
    blocks = payload.get("blocks")
    if blocks is not None:
        c.blocks(blocks, "/blocks", MESSAGE_MAX_BLOCKS)
    text = payload.get("text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        c.errors.append("msg_too_long")
    if require_text and not text and not blocks and not payload.get("attachments"):
        c.errors.append("no_text")
    return c.errors


def blocks_text_length(node: Any) -> int:
    """Every `text` string in a list of blocks, summed: what msg_blocks_too_long counts."""
    if isinstance(node, list):
        return sum(blocks_text_length(item) for item in node)
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else blocks_text_length(v) for k, v in node.items())
    return 0


def suggestion_errors(payload: Any) -> list[str]:
    """Errors Slack would report for an options (block_suggestion) answer."""
    c = _Checker()
    if not isinstance(payload, dict):
        c.err("must provide an object", "")
        return c.errors
    if "options" in payload or "option_groups" in payload:
        c._options_or_groups(payload, "")
    else:
        c.err("must provide options or option_groups", "")
    return c.errors


def view_errors(view: Any, *, path: str = "/view") -> list[str]:
    """Errors Slack would report for a modal or Home tab view."""
    c = _Checker()
    if not isinstance(view, dict):
        c.err("must provide an object", path)
        return c.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        c.err("must be one of: modal, home", path + "/type")
    if "blocks" not in view:
        c.err("missing required field: blocks", path)
    else:
        c.blocks(view["blocks"], path + "/blocks", VIEW_MAX_BLOCKS)
    if kind == "modal":
        c.text(view.get("title"), path + "/title", 24, plain=True)
        c.text(view.get("submit"), path + "/submit", 24, plain=True, required=False)
        c.text(view.get("close"), path + "/close", 24, plain=True, required=False)
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            c.err("must provide a submit property when using input blocks", path)
    c.string(view.get("private_metadata"), path + "/private_metadata", 3000)
    c.string(view.get("callback_id"), path + "/callback_id", 255)
    c.string(view.get("external_id"), path + "/external_id", 255)
    return c.errors


# =================================================================================================
# The emulator
# =================================================================================================

HTML, TEXT = "text/html", "text/plain"


_OUTPUT_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "slack#/types/user_id": lambda v: isinstance(v, str) and re.fullmatch(r"[UW][A-Z0-9]+", v) is not None,
    "slack#/types/channel_id": lambda v: isinstance(v, str) and re.fullmatch(r"[CGD][A-Z0-9]+", v) is not None,
}


def output_problems(params: dict[str, dict[str, Any]], outputs: dict[str, Any]) -> list[str]:
    """Why ``outputs`` do not fit a function's output_parameters (keyed by name, as in the manifest):
    what functions.completeSuccess refuses with ``parameter_validation_failed``."""
    problems = [f"unknown output {name!r}" for name in outputs if name not in params]
    for name, param in params.items():
        value = outputs.get(name)
        if value is None:
            if param.get("is_required"):
                problems.append(f"missing required output {name!r}")
            continue
        check = _OUTPUT_TYPES.get(str(param.get("type")))
        if check is not None and not check(value):
            problems.append(f"output {name!r} is not a {param.get('type')}: {value!r}")
    return problems


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _update(record: Any, changes: dict[str, Any]) -> None:
    """Change fields of a user or channel in place; a field it does not have is a test's typo."""
    for key, value in changes.items():
        if not hasattr(record, key):
            raise AttributeError(key)
        setattr(record, key, value)


@dataclass
class Call:
    """One request the emulator answered (or, in ``rejected``, refused with 429/5xx).

    ``method`` is the Web API method (``"chat.postMessage"``), or ``"response_url"`` for a POST to a
    URL from :meth:`SlackEmulator.new_response_url`, or ``"upload_url"`` for the file bytes posted to
    an upload URL from ``files.getUploadURLExternal``. ``args`` are the decoded arguments (JSON
    strings such as ``blocks``/``view``/``files`` already parsed, the token removed).
    """

    method: str
    args: dict[str, Any]
    token: str | None
    team_id: str | None
    at: float
    status: int = 200
    response: dict[str, Any] | None = None
    http_method: str = "POST"
    url: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        if self.status != 200:
            return f"http_{self.status}"
        if self.response is None:
            return "malformed_response"
        return None if self.response.get("ok") else self.response.get("error")

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else self.error
        return f"Call({self.method} team={self.team_id} -> {outcome} args={_short(self.args)})"


@dataclass
class UploadedFile:
    id: str
    team_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class _Team:
    id: str
    name: str
    domain: str
    enterprise_id: str | None = None


@dataclass
class _Token:
    token: str
    team_id: str
    user_id: str
    bot_id: str
    enterprise_id: str | None
    revoked: bool = False
    expires_at: float | None = None  # on the emulator's clock (`now()`); None: never expires
    scopes: frozenset[str] | None = None  # None: every scope a method asks for
    enterprise_install: bool = False  # an org-wide token: one for every workspace of the org


@dataclass
class _InstallCode:
    """A code Slack hands the installer's browser on its way to the app's redirect URL."""

    team_id: str  # for an org-wide install, a workspace of the org (its token's home)
    enterprise_id: str | None
    enterprise_install: bool
    installer: str
    bot_user_id: str
    bot_id: str
    used: bool = False


@dataclass
class _RefreshToken:
    """A single-use refresh token and the bot it refreshes."""

    token: str
    team_id: str
    user_id: str
    bot_id: str
    enterprise_id: str | None
    access_token: str  # the access token issued with it (revoking that one revokes this too)
    used: bool = False


@dataclass
class _User:
    id: str
    team_id: str
    name: str
    real_name: str
    display_name: str
    tz: str
    tz_offset: int | None
    is_admin: bool
    is_owner: bool
    is_primary_owner: bool
    is_restricted: bool
    deleted: bool
    is_bot: bool
    status_text: str
    status_emoji: str
    email: str | None
    bot_id: str | None = None


@dataclass
class _Channel:
    id: str
    team_id: str
    name: str
    is_archived: bool = False
    is_member: bool = True
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None
    created: int = 1_700_000_000


@dataclass
class _View:
    id: str
    team_id: str
    user_id: str | None
    sent: dict[str, Any]
    view: dict[str, Any]
    closed: bool = False


@dataclass
class _Trigger:
    issued: float
    team_id: str | None
    user_id: str | None
    view_id: str | None
    used: bool = False


@dataclass
class FunctionExecution:
    """One run of a custom step (docs.slack.dev/reference/events/function_executed): Slack gives the
    app a token of its own for the run (``bot_access_token``) and waits for
    ``functions.completeSuccess`` (``outputs``) or ``functions.completeError`` (``error``)."""

    id: str
    callback_id: str
    team_id: str
    token: str
    inputs: dict[str, Any]
    workflow_execution_id: str
    state: str = "running"  # running | completed | failed
    outputs: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class _Fault:
    kind: str
    method: str
    remaining: int | None
    where: Callable[[Call], bool] | None
    error: str = ""
    status: int = 500
    seconds: float = 0.0
    body: bytes = b""


@dataclass
class _RateLimit:
    method: str
    every: int | None
    per_second: float | None
    burst: float
    retry_after: int
    count: int = 0
    buckets: dict[Any, tuple[float, float]] = field(default_factory=dict)
    team: str | None = None  # only this workspace's calls (Slack's limits are per workspace)


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def response(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid_arguments(*messages: str) -> _SlackError:
    return _SlackError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
# Slack's rate-limit tiers, calls per minute per workspace and method (the "+" in "20+ per minute"
# is Slack's head room, not a promise): https://docs.slack.dev/apis/web-api/rate-limits
RATE_TIERS = {1: 1, 2: 20, 3: 50, 4: 100}
# users.list: a page holds at most 1,000 members (Slack recommends asking for 200 or fewer), and a
# large team asked for everything at once answers limit_required
# (https://docs.slack.dev/reference/methods/users.list, .../apis/web-api/pagination).
USERS_LIST_MAX_LIMIT = 1000
_TZ_NAMES = {
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}
_ID_CHARS = string.ascii_uppercase + string.digits


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slack does not turn connections away at a few dozen at once; socketserver's default backlog
    # of 5 resets them when a fan-out to hundreds of workspaces opens many at the same moment.
    request_queue_size = 1024
    emulator: SlackEmulator

    def server_bind(self) -> None:  # skip the reverse DNS lookup HTTPServer does
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SlackEmulator/1.0"

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.emulator._arrive_late()
        try:
            reply = self.server.emulator._dispatch(verb, self.path, self.headers, body)
        except Exception as exc:  # a bug in the emulator must not look like a hung Slack
            reply = _Reply(500, f"emulator error: {exc!r}".encode(), {"Content-Type": "text/plain"})
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): that is what delay() is for

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SlackEmulator:
    """A fake Slack Web API on 127.0.0.1, faithful to Slack's answers and limits.

    >>> with SlackEmulator() as slack:
    ...     slack.add_token("xoxb-1", "T1")
    ...     slack.add_channel("C1", "T1", name="general")
    ...     client = WebClient(token="xoxb-1", base_url=slack.base_url)
    """

    def __init__(
        self, *, app_id: str = "A0NORTHLINE", trigger_ttl: float | None = 3.0, seed: int = 0, late: float = 0.0
    ) -> None:
        """``late=S``: every request is handled only after a random 0-S seconds, as if the network
        were slow, to shake out tests that assume the app's work after ack() is already done."""
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.late = late
        self._late_rng = random.Random(seed)
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.violations: list[str] = []
        self.warnings: list[str] = []
        self.files: dict[str, UploadedFile] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._rng = random.Random(seed)
        self._seq = itertools.count(1)
        self._ts_seq = itertools.count(1)
        self._teams: dict[str, _Team] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._oauth_apps: dict[str, str] = {}  # client_id -> client_secret
        self._install_codes: dict[str, _InstallCode] = {}  # what the OAuth redirect carries, once
        self._clock_offset = 0.0
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._dms: dict[tuple[str, tuple[str, ...]], str] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, _View] = {}
        self._home_views: dict[tuple[str, str], str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._faults: list[_Fault] = []
        self._rate_limits: list[_RateLimit] = []
        self._functions: dict[str, dict[str, Any]] = {}  # callback_id -> the manifest's definition
        self._executions: dict[str, FunctionExecution] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[Call, _Token | None], dict[str, Any]]] = {
            "api.test": self._api_test,
            "oauth.v2.access": self._oauth_v2_access,
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.scheduleMessage": self._chat_schedule_message,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.join": self._conversations_join,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
        }

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackEmulator is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        """What to give ``WebClient(base_url=...)``."""
        return self.root_url + "api/"

    # -- workspace set-up -------------------------------------------------------------------------------

    def add_team(
        self,
        team_id: str,
        *,
        name: str | None = None,
        domain: str | None = None,
        enterprise_id: str | None = None,
    ) -> None:
        with self._lock:
            self._teams[team_id] = _Team(
                id=team_id,
                name=name or f"Workspace {team_id}",
                domain=domain or f"ws-{team_id.lower()}",
                enterprise_id=enterprise_id,
            )

    def _team(self, team_id: str) -> _Team:
        if team_id not in self._teams:
            self.add_team(team_id)
        return self._teams[team_id]

    def add_token(
        self,
        token: str,
        team_id: str,
        user_id: str = "UBOT",
        bot_id: str = "B1",
        enterprise_id: str | None = None,
    ) -> str:
        """Register a bot token for a workspace (its bot user is added too, with ``is_bot``)."""
        with self._lock:
            team = self._team(team_id)
            if enterprise_id is not None:
                team.enterprise_id = enterprise_id
            self._tokens[token] = _Token(token, team_id, user_id, bot_id, team.enterprise_id)
            if user_id not in self._users:
                self.add_user(
                    user_id, team_id, name="northline", real_name="Northline", tz="America/Los_Angeles"
                )
                self._users[user_id].is_bot = True
                self._users[user_id].bot_id = bot_id
        return token

    def limit_scopes(self, token: str, scopes: set[str] | frozenset[str]) -> None:
        """The token was granted only these scopes: methods that need another answer
        ``missing_scope`` (only users.lookupByEmail checks so far)."""
        with self._lock:
            self._tokens[token].scopes = frozenset(scopes)

    def revoke_token(self, token: str) -> None:
        """Later calls with this token answer ``token_revoked``; a refresh token issued with it
        answers ``invalid_refresh_token``."""
        with self._lock:
            self._tokens[token].revoked = True
            for refresh in self._refresh_tokens.values():
                if refresh.access_token == token:
                    refresh.used = True

    # -- token rotation (https://docs.slack.dev/authentication/using-token-rotation) ---------------------
    # With rotation on, an access token (xoxe.xoxb-…) lives 12 hours and comes with a single-use refresh
    # token (xoxe-1-…); oauth.v2.access with grant_type=refresh_token trades the refresh token for a new
    # pair. The old access token keeps working until it expires; the spent refresh token never again.

    ROTATING_TOKEN_SECONDS = 43_200

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, which oauth.v2.access checks (as Basic auth or form fields)."""
        with self._lock:
            self._oauth_apps[client_id] = client_secret

    def now(self) -> float:
        """Slack's clock: the wall clock plus whatever :meth:`advance` added."""
        with self._lock:
            return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Slack's "now" jumps ahead: rotating tokens past their 12 hours answer ``token_expired``."""
        with self._lock:
            self._clock_offset += seconds

    def add_rotating_token(
        self,
        team_id: str,
        *,
        user_id: str = "UBOT",
        bot_id: str = "B1",
        enterprise_id: str | None = None,
        expires_in: float | None = None,
    ) -> tuple[str, str]:
        """A bot token from an install with token rotation on: ``(access_token, refresh_token)``.
        ``expires_in`` (default 12 hours) may be negative: a token that has already expired."""
        with self._lock:
            access = self.add_token(self._secret("xoxe.xoxb-1-"), team_id, user_id, bot_id, enterprise_id)
            self._tokens[access].expires_at = self.now() + (
                self.ROTATING_TOKEN_SECONDS if expires_in is None else expires_in
            )
            refresh = self._secret("xoxe-1-")
            team = self._team(team_id)
            self._refresh_tokens[refresh] = _RefreshToken(
                refresh, team_id, user_id, bot_id, team.enterprise_id, access
            )
        return access, refresh

    def expire_token(self, token: str) -> None:
        """This access token's 12 hours are over: later calls answer ``token_expired``."""
        with self._lock:
            self._tokens[token].expires_at = self.now() - 1

    def token_expires_at(self, token: str) -> float | None:
        with self._lock:
            return self._tokens[token].expires_at

    def _secret(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice(string.ascii_lowercase + string.digits) for _ in range(24))

    def _oauth_v2_access(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        client_id, secret = call.args.get("client_id"), call.args.get("client_secret")
        if client_id not in self._oauth_apps:
            raise _SlackError("invalid_client_id")
        if secret != self._oauth_apps[client_id]:
            raise _SlackError("bad_client_secret")
        if call.args.get("grant_type") != "refresh_token":
            return self._install_by_code(call)
        refresh = self._refresh_tokens.get(str(call.args.get("refresh_token") or ""))
        if refresh is None or refresh.used:
            raise _SlackError("invalid_refresh_token")
        refresh.used = True
        call.team_id = refresh.team_id
        access = self.add_token(
            self._secret("xoxe.xoxb-1-"),
            refresh.team_id,
            refresh.user_id,
            refresh.bot_id,
            refresh.enterprise_id,
        )
        self._tokens[access].expires_at = self.now() + self.ROTATING_TOKEN_SECONDS
        new_refresh = self._secret("xoxe-1-")
        self._refresh_tokens[new_refresh] = _RefreshToken(
            new_refresh, refresh.team_id, refresh.user_id, refresh.bot_id, refresh.enterprise_id, access
        )
        team = self._team(refresh.team_id)
        enterprise = {"id": team.enterprise_id, "name": team.enterprise_id} if team.enterprise_id else None
        return {
            "ok": True,
            "app_id": self.app_id,
            "access_token": access,
            "expires_in": self.ROTATING_TOKEN_SECONDS,
            "refresh_token": new_refresh,
            "token_type": "bot",
            "scope": "commands,chat:write,im:write,users:read,files:write",
            "bot_user_id": refresh.user_id,
            "team": {"id": team.id, "name": team.name},
            "enterprise": enterprise,
            "is_enterprise_install": False,
        }

    def begin_install(
        self,
        team_id: str,
        *,
        installer: str,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        bot_user_id: str = "U0BOTINST",
        bot_id: str = "B0INST",
    ) -> str:
        """The code Slack puts on the app's redirect URL once someone approved the install; the app
        trades it with oauth.v2.access. `org_wide`: an Enterprise Grid org admin installed it for
        the whole org (api.slack.com/enterprise/apps/reference: `team` is null, `enterprise` is
        set, `is_enterprise_install` is true)."""
        code = self._secret("code-")
        with self._lock:
            self._team(team_id)
            self._install_codes[code] = _InstallCode(
                team_id, enterprise_id, org_wide, installer, bot_user_id, bot_id
            )
        return code

    def _install_by_code(self, call: Call) -> dict[str, Any]:
        pending = self._install_codes.get(str(call.args.get("code") or ""))
        if pending is None or pending.used:
            raise _SlackError("invalid_code" if call.args.get("code") else "invalid_arguments")
        pending.used = True
        token = self.add_token(
            self._secret("xoxb-"), pending.team_id, pending.bot_user_id, pending.bot_id, pending.enterprise_id
        )
        self._tokens[token].enterprise_install = pending.enterprise_install
        call.team_id = pending.team_id
        team = self._team(pending.team_id)
        enterprise = {"id": pending.enterprise_id, "name": f"Org {pending.enterprise_id}"} if pending.enterprise_id else None
        return {
            "ok": True,
            "app_id": self.app_id,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,im:write,users:read,files:write",
            "bot_user_id": pending.bot_user_id,
            "team": None if pending.enterprise_install else {"id": team.id, "name": team.name},
            "enterprise": enterprise,
            "is_enterprise_install": pending.enterprise_install,
            "authed_user": {"id": pending.installer},
        }

    def bot_user_id(self, team_id: str) -> str:
        with self._lock:
            for tok in self._tokens.values():
                if tok.team_id == team_id:
                    return tok.user_id
        return "UBOT"

    def add_user(
        self,
        user_id: str,
        team_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        deleted: bool = False,
        status_text: str = "",
        status_emoji: str = "",
    ) -> None:
        ZoneInfo(tz)  # fail early on a typo
        with self._lock:
            self._team(team_id)
            name = name or user_id.lower()
            self._users[user_id] = _User(
                id=user_id,
                team_id=team_id,
                name=name,
                real_name=real_name if real_name is not None else name.title(),
                display_name=display_name if display_name is not None else name,
                tz=tz,
                tz_offset=tz_offset,
                is_admin=is_admin or is_owner or is_primary_owner,
                is_owner=is_owner or is_primary_owner,
                is_primary_owner=is_primary_owner,
                is_restricted=is_restricted,
                deleted=deleted,
                is_bot=False,
                status_text=status_text,
                status_emoji=status_emoji,
                email=email if email is not None else f"{name}@example.com",
            )

    def update_user(self, user_id: str, **changes: Any) -> None:
        """Change a user in place, e.g. ``update_user("U1", deleted=True, tz="Asia/Tokyo")``."""
        with self._lock:
            _update(self._users[user_id], changes)

    def user_object(self, user_id: str) -> dict[str, Any]:
        """The user as users.info, users.list and events show them."""
        with self._lock:
            return self._user_object(self._users[user_id])

    def change_user(self, user_id: str, **changes: Any) -> dict[str, Any]:
        """Change a user as :meth:`update_user` does and return the ``user_change`` event Slack
        sends every app installed in their workspace: the full user object after the change
        (https://docs.slack.dev/reference/events/user_change). Send it with the signed client's
        ``user_change``."""
        now = time.time()
        with self._lock:
            _update(self._users[user_id], changes)
            user = self._user_object(self._users[user_id])
        return {"type": "user_change", "user": user, "cache_ts": int(now), "event_ts": f"{now:.6f}"}

    def add_channel(
        self,
        channel_id: str,
        team_id: str,
        name: str | None = None,
        is_archived: bool = False,
        is_member: bool = True,
        is_private: bool = False,
    ) -> None:
        with self._lock:
            self._team(team_id)
            self._channels[channel_id] = _Channel(
                id=channel_id,
                team_id=team_id,
                name=name or channel_id.lower(),
                is_archived=is_archived,
                is_member=is_member,
                is_private=is_private,
            )

    def update_channel(self, channel_id: str, **changes: Any) -> None:
        """E.g. ``update_channel("C1", is_archived=True)`` or ``is_member=False`` (bot kicked)."""
        with self._lock:
            _update(self._channels[channel_id], changes)

    def dm_channel_id(self, team_id: str, user_id: str) -> str:
        """The DM channel (``D...``) conversations.open gives for this user; stable."""
        with self._lock:
            return self._dm_for(team_id, (user_id,))

    def team_domain(self, team_id: str) -> str:
        with self._lock:
            return self._team(team_id).domain

    def team_enterprise_id(self, team_id: str) -> str | None:
        with self._lock:
            return self._team(team_id).enterprise_id

    def user_name(self, user_id: str) -> str:
        with self._lock:
            user = self._users.get(user_id)
            return user.name if user else user_id.lower()

    def channel_name(self, channel_id: str) -> str | None:
        with self._lock:
            channel = self._channels.get(channel_id)
            if channel is None:
                return None
            return "directmessage" if channel.is_im else channel.name

    # -- recorded calls -----------------------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        """Calls answered for ``method`` (``ok=True``: only successful ones)."""
        with self._lock:
            return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
        *,
        ok: bool | None = None,
    ) -> list[Call]:
        """Wait until at least ``count`` calls to ``method`` (matching ``where``) were answered."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method and (ok is None or c.ok == ok) and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(min(remaining, 0.05))
            summary = "\n  ".join(repr(c) for c in self.calls) or "(no calls)"
            rejected = "\n  ".join(repr(c) for c in self.rejected) or "(none)"
        raise AssertionError(
            f"expected {count} call(s) to {method} within {timeout}s, saw {len(found)}.\n"
            f"Calls:\n  {summary}\nRejected (429/5xx):\n  {rejected}\nViolations: {self.violations}"
        )

    # -- custom steps (docs.slack.dev/tools/bolt-python/concepts/custom-steps) -----------------------------
    # Workflow Builder runs an app's step by sending it `function_executed` with the step's inputs and
    # a token for that run; the run ends when the app calls functions.completeSuccess with outputs that
    # fit the manifest's output_parameters (else `parameter_validation_failed`), or completeError.
    # A finished run cannot be completed again (`function_execution_not_found`, as Slack's docs show).

    def define_functions(self, functions: dict[str, dict[str, Any]]) -> None:
        """The ``functions`` of the app's manifest, keyed by callback_id."""
        with self._lock:
            self._functions = copy.deepcopy(functions)

    def start_function(
        self, callback_id: str, team_id: str, inputs: dict[str, Any], *, interactor: str | None = None
    ) -> tuple[FunctionExecution, dict[str, Any]]:
        """A workflow reaches the step: ``(the run, the function_executed event to deliver)``.

        Workflow Builder only saves a step with its required inputs and never sends one the step
        does not declare, so either is a mistake in the test. ``interactor``: the workflow was started
        by this person (a link trigger or button), so every ``slack#/types/interactivity`` input
        carries them, as Slack's interactivity pointer does."""
        with self._lock:
            definition = self._functions.get(callback_id)
            if definition is None:
                raise AssertionError(f"no function {callback_id!r} in the manifest given to define_functions()")
            params = definition.get("input_parameters") or {}
            inputs = copy.deepcopy(inputs)
            for name, param in params.items():
                if param.get("type") == "slack#/types/interactivity" and interactor and name not in inputs:
                    inputs[name] = {
                        "interactivity_pointer": f"{self._new_id('')}.{self._new_hash()}",
                        "interactor": {"id": interactor, "secret": self._secret("")},
                    }
            unknown = sorted(set(inputs) - set(params))
            missing = sorted(n for n, p in params.items() if p.get("is_required") and inputs.get(n) in (None, ""))
            if unknown or missing:
                raise AssertionError(f"{callback_id}: unknown inputs {unknown}, missing required inputs {missing}")
            bot = next((t for t in self._tokens.values() if t.team_id == team_id and not t.token.startswith("xwfp-")), None)
            if bot is None:
                raise AssertionError(f"no bot token for {team_id}: the app is not installed there")
            token = self._secret("xwfp-")
            self._tokens[token] = _Token(token, team_id, bot.user_id, bot.bot_id, bot.enterprise_id)
            run = FunctionExecution(
                self._new_id("Fx"), callback_id, team_id, token, inputs, self._new_id("Wx")
            )
            self._executions[run.id] = run

            def listed(kind: str) -> list[dict[str, Any]]:
                return [{"name": n, **p} for n, p in (definition.get(kind) or {}).items()]

            event = {
                "type": "function_executed",
                "function": {
                    "id": "Fn" + callback_id.upper()[:10],
                    "callback_id": callback_id,
                    "title": definition.get("title"),
                    "description": definition.get("description", ""),
                    "type": "app",
                    "input_parameters": listed("input_parameters"),
                    "output_parameters": listed("output_parameters"),
                    "app_id": self.app_id,
                    "date_created": 1_700_000_000,
                    "date_updated": 1_700_000_000,
                    "date_deleted": 0,
                },
                "inputs": inputs,
                "function_execution_id": run.id,
                "workflow_execution_id": run.workflow_execution_id,
                "event_ts": f"{time.time():.6f}",
                "bot_access_token": token,
            }
            return run, event

    def function_execution(self, execution_id: str) -> FunctionExecution:
        with self._lock:
            return self._executions[execution_id]

    def wait_for_completion(self, execution_id: str, timeout: float = 5.0) -> FunctionExecution:
        """Wait until the run was completed or failed; a run still going is the app hanging."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._executions[execution_id].state == "running":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    calls = "\n  ".join(repr(c) for c in self.calls if c.method.startswith("functions."))
                    raise AssertionError(f"step {execution_id} still running after {timeout}s; calls:\n  {calls}")
                self._changed.wait(min(remaining, 0.05))
            return self._executions[execution_id]

    def _execution_for(self, call: Call, tok: _Token | None) -> FunctionExecution:
        assert tok is not None
        run = self._executions.get(str(call.args.get("function_execution_id") or ""))
        if run is None or run.state != "running":
            raise _SlackError("function_execution_not_found")
        if run.team_id != tok.team_id:
            raise _SlackError("access_denied")
        return run

    def _functions_complete_success(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        run = self._execution_for(call, tok)
        outputs = call.args.get("outputs")
        if isinstance(outputs, str):
            try:
                outputs = json.loads(outputs)
            except json.JSONDecodeError:
                outputs = None
        if not isinstance(outputs, dict):
            raise _SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] outputs must be an object"]})
        problems = output_problems(self._functions[run.callback_id].get("output_parameters") or {}, outputs)
        if problems:
            raise _SlackError("parameter_validation_failed", errors=problems)
        run.state, run.outputs = "completed", outputs
        return {"ok": True}

    def _functions_complete_error(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        run = self._execution_for(call, tok)
        error = call.args.get("error")
        if not isinstance(error, str) or not error.strip():
            raise _invalid_arguments("[ERROR] missing required field: error")
        run.state, run.error = "failed", error
        return {"ok": True}

    def clear(self) -> None:
        """Forget recorded calls and rejected calls (violations, warnings and state stay)."""
        with self._lock:
            self.calls.clear()
            self.rejected.clear()

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages currently in a channel (after updates and deletes), oldest first."""
        with self._lock:
            found = [copy.deepcopy(m) for (ch, _), m in self._messages.items() if ch == channel_id]
        return sorted(found, key=lambda m: float(m["ts"]))

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            m = self._messages.get((channel_id, ts))
            return copy.deepcopy(m) if m is not None else None

    def find_message(self, ts: str, channel_id: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """(channel, message) for a message ts, in ``channel_id`` or any channel."""
        with self._lock:
            for (ch, m_ts), m in self._messages.items():
                if m_ts == ts and (channel_id is None or ch == channel_id):
                    return ch, copy.deepcopy(m)
        return None

    def apply_view_ack(
        self, team_id: str, view_id: str, ack: Any, *, source: str = "view_submission ack"
    ) -> list[str]:
        """What Slack does with the app's answer to a view_submission: check it, then update /
        push / clear / close. Called by SignedClient; returns the violations found."""
        with self._lock:
            stored = self._views.get(view_id)
            tok = next((t for t in self._tokens.values() if t.team_id == team_id), None)
            tok = tok or _Token("", team_id, "UBOT", "B1", None)
            if not isinstance(ack, dict) or not ack.get("response_action"):
                if stored is not None:
                    stored.closed = True
                return []
            action = ack["response_action"]
            if action == "errors":
                errors = ack.get("errors")
                input_ids = {
                    b.get("block_id")
                    for b in (stored.view.get("blocks") or [] if stored else [])
                    if isinstance(b, dict) and b.get("type") == "input"
                }
                found = []
                if not isinstance(errors, dict) or not errors:
                    found.append("response_action=errors needs a non-empty errors object")
                else:
                    for key, message in errors.items():
                        if key not in input_ids:
                            found.append(f"errors key {key!r} is not the block_id of an input block")
                        if not isinstance(message, str) or not message:
                            found.append(f"errors[{key!r}] must be a non-empty string")
                self._note(source, found)
                return found
            if action in ("update", "push"):
                found = self.check_view(source, ack.get("view"))
                if not found and isinstance(ack.get("view"), dict) and ack["view"].get("type") != "modal":
                    found = ["must be one of: modal [json-pointer:/view/type]"]
                    self._note(source, found)
                if found or stored is None:
                    return found
                if action == "update":
                    self._store_view(
                        tok,
                        ack["view"],
                        view_id=view_id,
                        root_view_id=stored.view["root_view_id"],
                        previous_view_id=stored.view["previous_view_id"],
                        user_id=stored.user_id,
                    )
                else:
                    if self._stack_depth(view_id) >= 3:
                        found = ["push_limit_reached: a modal stack holds at most 3 views"]
                        self._note(source, found)
                        return found
                    self._store_view(
                        tok,
                        ack["view"],
                        root_view_id=stored.view["root_view_id"],
                        previous_view_id=view_id,
                        user_id=stored.user_id,
                    )
                return []
            if action == "clear":
                if stored is not None:
                    root = stored.view["root_view_id"]
                    for v in self._views.values():
                        if v.view.get("root_view_id") == root:
                            v.closed = True
                return []
            found = [f"unknown response_action {action!r}"]
            self._note(source, found)
            return found

    def last_view(
        self, callback_id: str | None = None, *, team_id: str | None = None, type: str | None = None
    ) -> dict[str, Any]:
        """The latest view opened/pushed/updated/published, as Slack holds it (id, hash, block_ids)."""
        with self._lock:
            for stored in sorted(self._views.values(), key=lambda v: v.view["_seq"], reverse=True):
                v = stored.view
                if callback_id is not None and v.get("callback_id") != callback_id:
                    continue
                if team_id is not None and v.get("team_id") != team_id:
                    continue
                if type is not None and v.get("type") != type:
                    continue
                return _public_view(v)
        raise AssertionError(f"no view with callback_id={callback_id!r} team_id={team_id!r} type={type!r}")

    def view(self, view_id: str) -> dict[str, Any]:
        with self._lock:
            return _public_view(self._views[view_id].view)

    def resolve_view(self, view: dict[str, Any], *, user_id: str | None = None) -> dict[str, Any]:
        """The full view Slack holds for a view dict: by ``id``, else the latest one the app sent
        exactly like this (preferring one opened for ``user_id``)."""
        with self._lock:
            if view.get("id") in self._views:
                return _public_view(self._views[view["id"]].view)
            matches = sorted(
                (v for v in self._views.values() if v.sent == view),
                key=lambda v: (user_id is not None and v.user_id == user_id, v.view["_seq"]),
                reverse=True,
            )
            if matches:
                return _public_view(matches[0].view)
        raise AssertionError(
            "this view is not open in the emulator: never sent to views.open/push/update/publish, "
            "or since replaced by views.update / a response_action (use emulator.last_view())"
        )

    def forge_view(self, view: dict[str, Any], team_id: str) -> dict[str, Any]:
        """A full view (id, hash, block_ids...) for a view dict the app never opened, as a forged
        request would carry it. Not stored; the emulator warns."""
        with self._lock:
            tok = next((t for t in self._tokens.values() if t.team_id == team_id), None)
            bot_id = tok.bot_id if tok else "B1"
            v = self._normalize_view(copy.deepcopy(view))
            view_id = v.get("id") or self._new_id("V")
            full = {
                "id": view_id,
                "team_id": team_id,
                "type": v.get("type", "modal"),
                "blocks": v.get("blocks", []),
                "private_metadata": v.get("private_metadata", ""),
                "callback_id": v.get("callback_id", ""),
                "state": {"values": {}},
                "hash": v.get("hash") or self._new_hash(),
                "title": v.get("title"),
                "clear_on_close": bool(v.get("clear_on_close", False)),
                "notify_on_close": bool(v.get("notify_on_close", False)),
                "close": v.get("close"),
                "submit": v.get("submit"),
                "previous_view_id": v.get("previous_view_id"),
                "root_view_id": v.get("root_view_id") or view_id,
                "app_id": self.app_id,
                "external_id": v.get("external_id", ""),
                "app_installed_team_id": team_id,
                "bot_id": bot_id,
            }
            self.warnings.append(f"view {view_id} was never opened by the app: sent as a forged request")
            return full

    # -- failure injection -------------------------------------------------------------------------------

    def fail(
        self, method: str, error: str, *, times: int | None = 1, where: Callable[[Call], bool] | None = None
    ) -> None:
        """The next ``times`` matching calls answer ``{"ok": false, "error": error}`` (None: forever).

        ``method="*"`` matches every Web API method. For ``"response_url"`` the POST answers 404
        (``expired_url``/``used_url``/``no_service``) or 400 with ``error`` as the body.
        """
        self._add_fault(_Fault("fail", method, times, where, error=error))

    def server_error(
        self,
        method: str,
        times: int | None = 1,
        status: int = 500,
        *,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        self._add_fault(_Fault("server_error", method, times, where, status=status))

    def malformed(
        self,
        method: str,
        times: int | None = 1,
        *,
        body: bytes | str = b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """Answer 200 with a body that is not Slack's JSON (no side effects). The default, an HTML
        page, makes slack_sdk raise SlackApiError; a truncated JSON body (``body=b'{"ok": tr'``)
        makes it raise json.JSONDecodeError, as a real WebClient does."""
        self._add_fault(
            _Fault("malformed", method, times, where, body=body.encode() if isinstance(body, str) else body)
        )

    def delay(
        self,
        method: str,
        seconds: float,
        *,
        times: int | None = None,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """Process the call, then wait ``seconds`` before answering (a client timeout after delivery)."""
        self._add_fault(_Fault("delay", method, times, where, seconds=seconds))

    def rate_limit(
        self,
        method: str,
        *,
        every: int | None = None,
        per_second: float | None = None,
        burst: float | None = None,
        retry_after: int = 1,
        tier: int | None = None,
        team: str | None = None,
    ) -> None:
        """HTTP 429 + ``Retry-After``. ``every=N``: every Nth call. ``per_second=R``: token bucket
        per workspace (capacity ``burst``, default ``max(1, R)``), Retry-After = whole seconds until a
        token is free (at least 1). ``tier=N``: Slack's published tier for the method, per workspace
        (https://docs.slack.dev/apis/web-api/rate-limits: Tier 1 1/min, 2 20/min, 3 50/min, 4 100/min,
        a minute's worth allowed in a burst), e.g. ``rate_limit("users.list", tier=2)``. None given:
        ``every=5``. ``team``: only that workspace's calls are limited ("per API method per
        workspace per app", the same page)."""
        if tier is not None:
            per_minute = RATE_TIERS[tier]
            per_second = per_minute / 60
            burst = float(per_minute) if burst is None else burst
        if every is None and per_second is None:
            every = 5
        with self._lock:
            self._rate_limits.append(
                _RateLimit(
                    method=method,
                    every=every,
                    per_second=per_second,
                    burst=burst if burst is not None else max(1.0, per_second or 1.0),
                    retry_after=retry_after,
                    team=team,
                )
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._rate_limits.clear()

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    @staticmethod
    def _matches(pattern: str, method: str) -> bool:
        if pattern == "*":
            return method not in ("response_url", "upload_url")
        return pattern == method

    def _take_fault(self, kind: str, call: Call) -> _Fault | None:
        for fault in self._faults:
            if fault.kind != kind or not self._matches(fault.method, call.method):
                continue
            if fault.where is not None and not fault.where(call):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    def _rate_limited(self, call: Call) -> int | None:
        now = time.perf_counter()
        for rl in self._rate_limits:
            if not self._matches(rl.method, call.method) or (rl.team is not None and rl.team != call.team_id):
                continue
            rl.count += 1
            if rl.every is not None and rl.count % rl.every == 0:
                return rl.retry_after
            if rl.per_second:
                key = call.team_id
                tokens, last = rl.buckets.get(key, (rl.burst, now))
                tokens = min(rl.burst, tokens + (now - last) * rl.per_second)
                if tokens < 1:
                    rl.buckets[key] = (tokens, now)
                    return max(1, math.ceil((1 - tokens) / rl.per_second))
                rl.buckets[key] = (tokens - 1, now)
        return None

    # -- ids ----------------------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        n = next(self._seq)
        digits = ""
        while n:
            n, r = divmod(n, 36)
            digits = _ID_CHARS[r] + digits
        return prefix + digits.rjust(10, "0")

    def _new_ts(self) -> str:
        n = next(self._ts_seq)
        return f"{1_700_000_000 + n // 10_000}.{(n % 10_000) * 100:06d}"

    def _new_hash(self) -> str:
        return f"{1_700_000_000 + next(self._seq)}.{''.join(self._rng.choices(string.ascii_letters, k=8))}"

    def _arrive_late(self) -> None:
        if self.late:
            with self._lock:
                seconds = self._late_rng.uniform(0, self.late)
            time.sleep(seconds)

    def _random_block_id(self) -> str:
        return "".join(self._rng.choices(string.ascii_letters + string.digits + "=+/", k=5))

    def issue_trigger_id(
        self, team_id: str | None = None, user_id: str | None = None, *, view_id: str | None = None
    ) -> str:
        """A trigger_id as Slack puts in interactive payloads; views.open/push with it later than
        ``trigger_ttl`` seconds answers ``expired_trigger_id``, a second use ``exchanged_trigger_id``."""
        with self._lock:
            trigger_id = f"{1_700_000_000 + next(self._seq)}.{self._rng.randrange(10**9, 10**10)}."
            trigger_id += "".join(self._rng.choices("0123456789abcdef", k=32))
            self._triggers[trigger_id] = _Trigger(time.perf_counter(), team_id, user_id, view_id)
            return trigger_id

    def new_response_url(
        self, team_id: str | None = None, *, channel_id: str | None = None, user_id: str | None = None
    ) -> str:
        """A response_url whose POSTs are recorded as ``Call(method="response_url")``."""
        with self._lock:
            key = "".join(self._rng.choices(string.ascii_letters + string.digits, k=24))
            self._response_urls[key] = {"team_id": team_id, "channel_id": channel_id, "user_id": user_id}
        return f"{self.root_url}response/{key}"

    def response_url_posts(self, url: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == "response_url" and c.url == url]

    # -- validation hook (also used by SignedClient for what the app answers in acks) -----------------

    def check_message(self, source: str, payload: dict[str, Any], *, require_text: bool = True) -> list[str]:
        errors = message_errors(payload, require_text=require_text)
        self._note(source, errors)
        text = payload.get("text")
        if isinstance(text, str) and MESSAGE_TEXT_TRUNCATED < len(text) <= MESSAGE_TEXT_MAX:
            with self._lock:
                self.warnings.append(f"{source}: text is {len(text)} chars; Slack truncates after 4000")
        if payload.get("blocks") and not text:
            with self._lock:
                self.warnings.append(f"{source}: blocks without a top-level text fallback")
        return errors

    def check_view(self, source: str, view: Any, *, path: str = "/view") -> list[str]:
        errors = view_errors(view, path=path)
        self._note(source, errors)
        return errors

    def _note(self, source: str, errors: list[str]) -> None:
        if errors:
            with self._lock:
                self.violations.extend(f"{source}: {e}" for e in errors)

    # -- HTTP dispatch -------------------------------------------------------------------------------------

    def _dispatch(self, verb: str, raw_path: str, headers: Any, body: bytes) -> _Reply:
        parts = urllib.parse.urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            return self._web_api(verb, path[len("/api/") :], parts.query, headers, body)
        if path.startswith("/response/"):
            return self._response_url(path[len("/response/") :], headers, body)
        if path.startswith("/upload/"):
            return self._upload(path[len("/upload/") :], body)
        return _Reply(404, b"not found", {"Content-Type": "text/plain"})

    def _text_answer(
        self,
        call: Call,
        status: int,
        text: str,
        content_type: str,
        *,
        response: dict[str, Any] | None = None,
        rejected: bool = False,
        wait: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> _Reply:
        """Record `call` as answered with `status` and a plain body, as Slack's webhook and upload
        URLs answer (the Web API answers JSON: _json_reply)."""
        call.status = status
        if response is not None:
            call.response = response
        self._record(call, rejected=rejected)
        return _Reply(status, text.encode(), {"Content-Type": content_type, **(headers or {})}, wait)

    @staticmethod
    def _json_reply(data: dict[str, Any], status: int = 200, **headers: str) -> _Reply:
        return _Reply(
            status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8", **headers}
        )

    @staticmethod
    def _parse_args(query: str, headers: Any, body: bytes) -> dict[str, Any]:
        args: dict[str, Any] = {}

        def add_pairs(pairs: list[tuple[str, str]]) -> None:
            for key, value in pairs:
                if key in args:
                    args[key] = [*args[key], value] if isinstance(args[key], list) else [args[key], value]
                else:
                    args[key] = value

        add_pairs(urllib.parse.parse_qsl(query, keep_blank_values=True))
        content_type = (headers.get("Content-Type") or "").lower()
        if body:
            if content_type.startswith("application/json"):
                data = json.loads(body.decode("utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("json_not_object")
                args.update(data)
            elif content_type.startswith("multipart/form-data"):
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
                )
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    payload = part.get_payload(decode=True)
                    if part.get_filename() is None:
                        args[str(name)] = payload.decode("utf-8") if isinstance(payload, bytes) else payload
                    else:
                        args[str(name)] = payload
            else:
                add_pairs(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for key in _JSON_FIELDS:
            value = args.get(key)
            if isinstance(value, str) and value[:1] in ("[", "{"):
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(value)
        return args

    def _record(self, call: Call, *, rejected: bool = False) -> None:
        with self._changed:
            (self.rejected if rejected else self.calls).append(call)
            self._changed.notify_all()

    def _web_api(self, verb: str, method: str, query: str, headers: Any, body: bytes) -> _Reply:
        try:
            args = self._parse_args(query, headers, body)
        except (ValueError, UnicodeDecodeError) as exc:
            error = "json_not_object" if str(exc) == "json_not_object" else "invalid_json"
            if not (headers.get("Content-Type") or "").lower().startswith("application/json"):
                error = "invalid_form_data"
            return self._json_reply({"ok": False, "error": error})
        auth = headers.get("Authorization") or ""
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
        body_token = args.pop("token", None)
        token = token or (body_token if isinstance(body_token, str) else None)
        if auth.startswith("Basic "):  # oauth.v2.access: the app's credentials, as slack_sdk sends them
            with contextlib.suppress(ValueError):
                client_id, _, secret = base64.b64decode(auth[len("Basic ") :]).decode().partition(":")
                args.setdefault("client_id", client_id)
                args.setdefault("client_secret", secret)

        with self._lock:
            tok = self._tokens.get(token) if token else None
            call = Call(method, args, token, tok.team_id if tok else None, time.time(), http_method=verb)
            auth_error = None
            if method not in ("api.test", "oauth.v2.access"):  # oauth.v2.access: client_id/secret instead
                if not token:
                    auth_error = "not_authed"
                elif tok is None:
                    auth_error = "invalid_auth"
                elif tok.revoked:
                    auth_error = "token_revoked"
                elif tok.expires_at is not None and time.time() + self._clock_offset >= tok.expires_at:
                    auth_error = "token_expired"
            if auth_error:
                call.response = {"ok": False, "error": auth_error}
                self._record(call)
                return self._json_reply(call.response)

            fault = self._take_fault("server_error", call)
            if fault is not None:
                call.status = fault.status
                self._record(call, rejected=True)
                return _Reply(
                    fault.status,
                    b"<html><body>Internal Server Error</body></html>",
                    {"Content-Type": "text/html"},
                )

            retry_after = self._rate_limited(call)
            if retry_after is not None:
                call.status = 429
                call.response = {"ok": False, "error": "ratelimited"}
                self._record(call, rejected=True)
                return self._json_reply(call.response, 429, **{"Retry-After": str(retry_after)})

            fault = self._take_fault("malformed", call)
            if fault is not None:
                self._record(call)
                kind = "application/json" if fault.body.startswith(b"{") else "text/html"
                return _Reply(200, fault.body, {"Content-Type": kind + "; charset=utf-8"})

            fault = self._take_fault("fail", call)
            handler = self._methods.get(method)
            if fault is not None:
                call.response = {"ok": False, "error": fault.error}
            elif handler is None:
                call.response = {"ok": False, "error": "unknown_method"}
            else:
                try:
                    call.response = handler(call, tok)
                except _SlackError as exc:
                    call.response = exc.response()
            self._record(call)
            delay = self._take_fault("delay", call)
            return _Reply(
                200,
                json.dumps(call.response).encode(),
                {"Content-Type": "application/json; charset=utf-8"},
                delay.seconds if delay else 0.0,
            )

    def _response_url(self, key: str, headers: Any, body: bytes) -> _Reply:
        url = f"{self.root_url}response/{key}"
        with self._lock:
            meta = self._response_urls.get(key)
            try:
                payload = json.loads(body.decode("utf-8")) if body else {}
            except (ValueError, UnicodeDecodeError):
                payload = {"_raw": body.decode("utf-8", "replace")}
            if isinstance(payload, dict) and isinstance(payload.get("blocks"), str):
                with contextlib.suppress(ValueError):
                    payload["blocks"] = json.loads(payload["blocks"])
            call = Call(
                "response_url",
                payload if isinstance(payload, dict) else {"_raw": payload},
                None,
                meta["team_id"] if meta else None,
                time.time(),
                url=url,
            )
            if meta is None:
                return self._text_answer(call, 404, "no_service", HTML, response=_error("no_service"))
            fault = self._take_fault("server_error", call)
            if fault is not None:
                return self._text_answer(call, fault.status, "Internal Server Error", HTML, rejected=True)
            retry_after = self._rate_limited(call)
            if retry_after is not None:
                return self._text_answer(
                    call, 429, "rate_limited", HTML, rejected=True, headers={"Retry-After": str(retry_after)}
                )
            fault = self._take_fault("fail", call)
            delay = self._take_fault("delay", call)
            wait = delay.seconds if delay else 0.0
            if fault is not None:
                status = 404 if fault.error in ("expired_url", "used_url", "no_service") else 400
                return self._text_answer(call, status, fault.error, HTML, response=_error(fault.error), wait=wait)
            if "_raw" in call.args:
                return self._text_answer(call, 400, "invalid_payload", HTML, response=_error("invalid_payload"), wait=wait)
            require_text = not call.args.get("delete_original")
            errors = self.check_message("response_url", call.args, require_text=require_text)
            if errors:
                error = "no_text" if errors == ["no_text"] else "invalid_blocks"
                return self._text_answer(call, 400, error, HTML, response={**_error(error), "errors": errors}, wait=wait)
            return self._text_answer(call, 200, "ok", HTML, response={"ok": True}, wait=wait)

    def _upload(self, file_id: str, body: bytes) -> _Reply:
        with self._lock:
            f = self.files.get(file_id)
            call = Call(
                "upload_url",
                {"file_id": file_id, "content": body, "length": len(body)},
                None,
                f.team_id if f else None,
                time.time(),
                url=f"{self.root_url}upload/{file_id}",
            )
            if f is None:
                return self._text_answer(call, 404, "file_not_found", TEXT, response=_error("file_not_found"))
            fault = self._take_fault("server_error", call)
            if fault is not None:
                return self._text_answer(call, fault.status, "Internal Server Error", TEXT, rejected=True)
            f.content = body
            if len(body) != f.length:
                self.warnings.append(
                    f"upload_url: {file_id} declared length {f.length}, got {len(body)} bytes"
                )
            return self._text_answer(call, 200, f"OK - {len(body)}", TEXT, response={"ok": True})

    # -- helpers for the methods -------------------------------------------------------------------------

    def _same_org(self, team_a: str, team_b: str | None) -> bool:
        if team_a == team_b:
            return True
        ent_a = self._teams[team_a].enterprise_id if team_a in self._teams else None
        ent_b = self._teams[team_b].enterprise_id if team_b in self._teams else None
        return ent_a is not None and ent_a == ent_b

    def _dm_for(self, team_id: str, users: tuple[str, ...]) -> str:
        key = (team_id, tuple(sorted(users)))
        if key not in self._dms:
            is_im = len(users) == 1
            channel_id = self._new_id("D" if is_im else "G")
            self._dms[key] = channel_id
            self._channels[channel_id] = _Channel(
                id=channel_id,
                team_id=team_id,
                name=users[0] if is_im else "mpdm-" + "--".join(users) + "-1",
                is_im=is_im,
                is_mpim=not is_im,
                is_private=True,
                user=users[0] if is_im else None,
            )
        return self._dms[key]

    def _channel(self, team_id: str, channel: Any, *, posting: bool) -> str:
        """Resolve a channel argument as Slack does; raise its error."""
        if not isinstance(channel, str) or not channel:
            raise _SlackError("channel_not_found")
        if channel[0] in "UW" and channel[1:].isalnum() and channel.upper() == channel:
            user = self._users.get(channel)
            if user is not None and not self._same_org(user.team_id, team_id):
                raise _SlackError("channel_not_found")
            return self._dm_for(team_id, (channel,))
        found = self._channels.get(channel)
        if found is None or not self._same_org(found.team_id, team_id):
            name = channel.lstrip("#")
            named = [
                c
                for c in self._channels.values()
                if c.name == name and not c.is_im and self._same_org(c.team_id, team_id)
            ]
            if not named:
                raise _SlackError("channel_not_found")
            found = named[0]
        if posting:
            if found.is_archived:
                raise _SlackError("is_archived")
            if not found.is_member and not found.is_im and not found.is_mpim:
                raise _SlackError("not_in_channel")
        return found.id

    def _message_payload_check(self, call: Call, *, require_text: bool = True) -> None:
        errors = self.check_message(call.method, call.args, require_text=require_text)
        blocks = call.args.get("blocks")
        if not errors and call.method in ("chat.postMessage", "chat.update") and isinstance(blocks, list):
            size = blocks_text_length(blocks)
            if size > MESSAGE_BLOCKS_TEXT_MAX:
                self._note(call.method, [f"msg_blocks_too_long: {size} characters of text in blocks"])
                raise _SlackError("msg_blocks_too_long")
        if not errors:
            return
        if "no_text" in errors:
            raise _SlackError("no_text")
        if "msg_too_long" in errors:
            raise _SlackError("msg_too_long")
        raise _SlackError(
            "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
        )

    def _blocks_arg(self, call: Call) -> Any:
        blocks = call.args.get("blocks")
        if isinstance(blocks, str):
            self._note(call.method, ["blocks is not valid JSON"])
            raise _SlackError("invalid_blocks_format")
        return blocks

    def _bot_message(self, tok: _Token, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": tok.user_id,
            "type": "message",
            "ts": ts,
            "bot_id": tok.bot_id,
            "app_id": self.app_id,
            "text": args.get("text") or "",
            "team": tok.team_id,
            "bot_profile": {
                "id": tok.bot_id,
                "app_id": self.app_id,
                "name": "Northline",
                "deleted": False,
                "team_id": tok.team_id,
            },
        }
        blocks = args.get("blocks")
        if blocks:
            message["blocks"] = self._normalize_blocks(copy.deepcopy(blocks))
        if args.get("attachments"):
            message["attachments"] = copy.deepcopy(args["attachments"])
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
            message["parent_user_id"] = tok.user_id
        if args.get("metadata"):
            message["metadata"] = copy.deepcopy(args["metadata"])
        return message

    def _normalize_blocks(self, blocks: Any) -> Any:
        """What Slack does to blocks it stores: fill in block_id/action_id, emoji on plain_text."""
        if not isinstance(blocks, list):
            return blocks
        for block in blocks:
            if not isinstance(block, dict):
                continue
            block.setdefault("block_id", self._random_block_id())
            self._normalize_node(block)
        return blocks

    def _normalize_node(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self._normalize_node(item)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind == "plain_text":
                node.setdefault("emoji", True)
            elif kind == "mrkdwn":
                node.setdefault("verbatim", False)
            elif kind in INTERACTIVE_ELEMENTS:
                node.setdefault("action_id", self._random_block_id())
            for value in node.values():
                if isinstance(value, dict | list):
                    self._normalize_node(value)

    # -- methods --------------------------------------------------------------------------------------------

    def _api_test(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        return {"ok": True, "args": call.args}

    def _auth_test(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        team = self._team(tok.team_id)
        bot = self._users.get(tok.user_id)
        response = {
            "ok": True,
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": bot.name if bot else "northline",
            "team_id": team.id,
            "user_id": tok.user_id,
            "bot_id": tok.bot_id,
            "is_enterprise_install": tok.enterprise_install,
        }
        if tok.enterprise_id:
            response["enterprise_id"] = tok.enterprise_id
        return response

    def _team_info(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        team_id = call.args.get("team") or tok.team_id
        if team_id not in self._teams or not self._same_org(team_id, tok.team_id):
            raise _SlackError("team_not_found")
        team = self._teams[team_id]
        info: dict[str, Any] = {
            "id": team.id,
            "name": team.name,
            "domain": team.domain,
            "email_domain": "example.com",
            "icon": {"image_default": True},
        }
        if team.enterprise_id:
            info["enterprise_id"] = team.enterprise_id
            info["enterprise_name"] = f"Org {team.enterprise_id}"
        return {"ok": True, "team": info}

    def _chat_post_message(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        self._blocks_arg(call)
        channel = self._channel(tok.team_id, call.args.get("channel"), posting=True)
        self._message_payload_check(call)
        ts = self._new_ts()
        message = self._bot_message(tok, call.args, ts)
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        self._blocks_arg(call)
        self._channel(tok.team_id, call.args.get("channel"), posting=True)
        user_id = call.args.get("user")
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if not user_id or (
            user is not None and (user.deleted or not self._same_org(user.team_id, tok.team_id))
        ):
            raise _SlackError("user_not_in_channel")
        self._message_payload_check(call)
        return {"ok": True, "message_ts": self._new_ts()}

    def _chat_update(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        self._blocks_arg(call)
        channel = self._channel(tok.team_id, call.args.get("channel"), posting=False)
        ts = call.args.get("ts")
        stored = self._messages.get((channel, ts))
        if stored is None:
            raise _SlackError("message_not_found")
        if stored.get("bot_id") != tok.bot_id:
            raise _SlackError("cant_update_message")
        self._message_payload_check(call)
        if "text" in call.args:
            stored["text"] = call.args["text"] or ""
        if "blocks" in call.args:
            if call.args["blocks"]:
                stored["blocks"] = self._normalize_blocks(copy.deepcopy(call.args["blocks"]))
            else:
                stored.pop("blocks", None)
        stored["edited"] = {"user": tok.user_id, "ts": self._new_ts()}
        message = {k: copy.deepcopy(v) for k, v in stored.items() if k not in ("ts", "edited")}
        return {"ok": True, "channel": channel, "ts": ts, "text": stored["text"], "message": message}

    def _chat_delete(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel = self._channel(tok.team_id, call.args.get("channel"), posting=False)
        ts = call.args.get("ts")
        stored = self._messages.get((channel, ts))
        if stored is None:
            raise _SlackError("message_not_found")
        if stored.get("bot_id") != tok.bot_id:
            raise _SlackError("cant_delete_message")
        del self._messages[(channel, ts)]
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_get_permalink(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel = self._channel(tok.team_id, call.args.get("channel"), posting=False)
        ts = call.args.get("message_ts")
        if (channel, ts) not in self._messages:
            raise _SlackError("message_not_found")
        domain = self._team(tok.team_id).domain
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://{domain}.slack.com/archives/{channel}/p{str(ts).replace('.', '')}",
        }

    def _chat_schedule_message(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        self._blocks_arg(call)
        channel = self._channel(tok.team_id, call.args.get("channel"), posting=True)
        try:
            post_at = int(call.args.get("post_at"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _SlackError("invalid_time") from None
        if post_at < time.time():
            raise _SlackError("time_in_past")
        if post_at > time.time() + 120 * 86400:
            raise _SlackError("time_too_far")
        self._message_payload_check(call)
        message = self._bot_message(tok, call.args, self._new_ts())
        message.pop("ts")
        return {
            "ok": True,
            "channel": channel,
            "scheduled_message_id": self._new_id("Q"),
            "post_at": post_at,
            "message": message,
        }

    # views

    def _view_arg(self, call: Call, *, home: bool) -> dict[str, Any]:
        view = call.args.get("view")
        if view is None:
            raise _invalid_arguments("missing required field: view")
        if not isinstance(view, dict):
            self._note(call.method, ["view is not a JSON object"])
            raise _invalid_arguments("failed to match all allowed schemas [json-pointer:/view]")
        errors = self.check_view(call.method, view)
        if not errors and home and view.get("type") != "home":
            errors = ["must be one of: home [json-pointer:/view/type]"]
            self._note(call.method, errors)
        if not errors and not home and view.get("type") != "modal":
            errors = ["must be one of: modal [json-pointer:/view/type]"]
            self._note(call.method, errors)
        if errors:
            raise _invalid_arguments(*errors)
        return view

    def _use_trigger(self, call: Call) -> _Trigger | None:
        trigger_id = call.args.get("trigger_id") or call.args.get("interactivity_pointer")
        if not trigger_id:
            raise _invalid_arguments("missing required field: trigger_id")
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            return None
        if trigger.used:
            raise _SlackError("exchanged_trigger_id")
        if self.trigger_ttl is not None and time.perf_counter() - trigger.issued > self.trigger_ttl:
            self._note(call.method, [f"trigger_id used after {self.trigger_ttl}s (expired_trigger_id)"])
            raise _SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _store_view(
        self,
        tok: _Token,
        sent: dict[str, Any],
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        view_id = view_id or self._new_id("V")
        v = self._normalize_view(copy.deepcopy(sent))
        full: dict[str, Any] = {
            "id": view_id,
            "team_id": tok.team_id,
            "type": v.get("type"),
            "blocks": v.get("blocks", []),
            "private_metadata": v.get("private_metadata", ""),
            "callback_id": v.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": v.get("title"),
            "clear_on_close": bool(v.get("clear_on_close", False)),
            "notify_on_close": bool(v.get("notify_on_close", False)),
            "close": v.get("close"),
            "submit": v.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": self.app_id,
            "external_id": v.get("external_id", ""),
            "app_installed_team_id": tok.team_id,
            "bot_id": tok.bot_id,
        }
        if full["type"] == "home" and full["title"] is None:
            full["title"] = {"type": "plain_text", "text": "View Title", "emoji": True}
        if v.get("submit_disabled") is not None:
            full["submit_disabled"] = v["submit_disabled"]
        full["_seq"] = next(self._seq)
        self._views[view_id] = _View(view_id, tok.team_id, user_id, copy.deepcopy(sent), full)
        return _public_view(full)

    def _normalize_view(self, view: dict[str, Any]) -> dict[str, Any]:
        self._normalize_blocks(view.get("blocks"))
        for key in ("title", "submit", "close"):
            self._normalize_node(view.get(key))
        return view

    def _stack_depth(self, view_id: str | None) -> int:
        depth = 0
        while view_id is not None and view_id in self._views:
            depth += 1
            view_id = self._views[view_id].view.get("previous_view_id")
        return depth

    def _views_open(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        view = self._view_arg(call, home=False)
        trigger = self._use_trigger(call)
        return {"ok": True, "view": self._store_view(tok, view, user_id=trigger.user_id if trigger else None)}

    def _views_push(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        view = self._view_arg(call, home=False)
        trigger = self._use_trigger(call)
        previous = trigger.view_id if trigger else None
        if previous is not None and self._views[previous].view.get("type") == "home":
            previous = None
        if previous is not None and self._stack_depth(previous) >= 3:
            raise _SlackError("push_limit_reached")
        root = self._views[previous].view["root_view_id"] if previous else None
        stored = self._store_view(
            tok,
            view,
            root_view_id=root,
            previous_view_id=previous,
            user_id=trigger.user_id if trigger else None,
        )
        return {"ok": True, "view": stored}

    def _find_view(self, call: Call, tok: _Token) -> _View:
        view_id, external_id = call.args.get("view_id"), call.args.get("external_id")
        if not view_id and not external_id:
            raise _invalid_arguments("must provide view_id or external_id")
        for stored in self._views.values():
            if stored.team_id != tok.team_id:
                continue
            if (view_id and stored.id == view_id) or (
                external_id and stored.view.get("external_id") == external_id
            ):
                return stored
        raise _SlackError("not_found")

    def _views_update(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        stored = self._find_view(call, tok)
        home = stored.view.get("type") == "home"
        view = self._view_arg(call, home=home)
        if call.args.get("hash") and call.args["hash"] != stored.view["hash"]:
            raise _SlackError("hash_conflict")
        new = self._store_view(
            tok,
            view,
            view_id=stored.id,
            root_view_id=stored.view["root_view_id"],
            previous_view_id=stored.view["previous_view_id"],
            user_id=stored.user_id,
        )
        return {"ok": True, "view": new}

    def _views_publish(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        user_id = call.args.get("user_id")
        if not user_id:
            raise _invalid_arguments("missing required field: user_id")
        user = self._users.get(user_id)
        if user is not None and not self._same_org(user.team_id, tok.team_id):
            raise _SlackError("user_not_found")
        view = self._view_arg(call, home=True)
        key = (tok.team_id, user_id)
        existing = self._home_views.get(key)
        if existing and call.args.get("hash") and call.args["hash"] != self._views[existing].view["hash"]:
            raise _SlackError("hash_conflict")
        stored = self._store_view(tok, view, view_id=existing, user_id=user_id)
        self._home_views[key] = stored["id"]
        return {"ok": True, "view": stored}

    # users

    def _user_object(self, user: _User) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "fields": None,
            "status_text": user.status_text,
            "status_emoji": user.status_emoji,
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": "g0123456789a",
            "first_name": user.real_name.split(" ")[0] if user.real_name else "",
            "last_name": " ".join(user.real_name.split(" ")[1:]),
            "image_24": f"https://avatars.example.com/{user.id}_24.png",
            "image_32": f"https://avatars.example.com/{user.id}_32.png",
            "image_48": f"https://avatars.example.com/{user.id}_48.png",
            "image_72": f"https://avatars.example.com/{user.id}_72.png",
            "image_192": f"https://avatars.example.com/{user.id}_192.png",
            "image_512": f"https://avatars.example.com/{user.id}_512.png",
            "status_text_canonical": "",
            "team": user.team_id,
        }
        if user.is_bot:
            profile["bot_id"] = user.bot_id
            profile["always_active"] = False
        elif user.email:
            profile["email"] = user.email
        obj: dict[str, Any] = {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "profile": profile,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": not user.is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }
        if not user.deleted:  # Slack leaves these out for deactivated accounts
            offset, label = self._tz_now(user)
            obj.update(
                {
                    "real_name": user.real_name,
                    "tz": user.tz,
                    "tz_label": label,
                    "tz_offset": offset,
                    "is_admin": user.is_admin,
                    "is_owner": user.is_owner,
                    "is_primary_owner": user.is_primary_owner,
                    "is_restricted": user.is_restricted,
                    "is_ultra_restricted": False,
                    "has_2fa": False,
                }
            )
        return obj

    @staticmethod
    def _tz_now(user: _User) -> tuple[int, str]:
        now = datetime.now(UTC).astimezone(ZoneInfo(user.tz))
        offset = user.tz_offset if user.tz_offset is not None else int(now.utcoffset().total_seconds())  # type: ignore[union-attr]
        abbr = now.tzname() or ""
        return offset, _TZ_NAMES.get(abbr, abbr)

    def _visible_user(self, tok: _Token, user_id: Any) -> _User:
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if user is None or not self._same_org(user.team_id, tok.team_id):
            raise _SlackError("user_not_found")
        return user

    def _users_info(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        user = self._visible_user(tok, call.args.get("user"))
        obj = self._user_object(user)
        if str(call.args.get("include_locale", "")).lower() in ("1", "true"):
            obj["locale"] = "en-GB"
        return {"ok": True, "user": obj}

    def _users_lookup_by_email(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        # docs.slack.dev/reference/methods/users.lookupByEmail: "Required scopes: users:read.email",
        # refused as Slack refuses any call a token lacks the scope for.
        if tok.scopes is not None and "users:read.email" not in tok.scopes:
            raise _SlackError("missing_scope", needed="users:read.email", provided=",".join(sorted(tok.scopes)))
        email_arg = call.args.get("email")
        for user in self._users.values():
            if user.email == email_arg and self._same_org(user.team_id, tok.team_id) and not user.is_bot:
                return {"ok": True, "user": self._user_object(user)}
        raise _SlackError("users_not_found")

    def _users_list(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        """Every member of the token's workspace, bots and deactivated people (``deleted: true``)
        included, in pages. As Slack's, the cursor names the next member (``user:U…``, base64), so
        people who join or leave between two pages neither repeat nor shift the rest. ``team_id``
        (which an org-wide Grid token must give) picks a workspace of the token's org; one outside
        it answers ``access_denied``."""
        assert tok is not None
        team_id = call.args.get("team_id") or tok.team_id
        if not isinstance(team_id, str) or not self._same_org(team_id, tok.team_id):
            raise _SlackError("access_denied")
        members = sorted((u for u in self._users.values() if u.team_id == team_id), key=lambda u: u.id)
        raw_limit = call.args.get("limit")
        try:
            limit = int(raw_limit) if raw_limit not in (None, "") else 0
        except (TypeError, ValueError):
            raise _invalid_arguments(f"invalid `limit`: {raw_limit!r}") from None
        if limit <= 0:
            if len(members) > USERS_LIST_MAX_LIMIT:
                raise _SlackError("limit_required")
            limit = len(members) or 1
        limit = min(limit, USERS_LIST_MAX_LIMIT)  # "fewer than the requested number may be returned"
        start = 0
        cursor = call.args.get("cursor")
        if cursor:
            try:
                kind, _, after = base64.b64decode(cursor, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _SlackError("invalid_cursor") from None
            if kind != "user" or not after:
                raise _SlackError("invalid_cursor")
            start = next((i for i, u in enumerate(members) if u.id >= after), len(members))
        page = members[start : start + limit]
        rest = members[start + limit :]
        next_cursor = base64.b64encode(f"user:{rest[0].id}".encode()).decode() if rest else ""
        return {
            "ok": True,
            "members": [self._user_object(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    # conversations

    def _channel_object(self, channel: _Channel) -> dict[str, Any]:
        if channel.is_im:
            user = self._users.get(channel.user or "")
            return {
                "id": channel.id,
                "created": channel.created,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": channel.team_id,
                "updated": channel.created * 1000,
                "user": channel.user,
                "is_user_deleted": bool(user and user.deleted),
                "priority": 0,
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "created": channel.created,
            "is_archived": channel.is_archived,
            "is_general": channel.name == "general",
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": channel.team_id,
            "updated": channel.created * 1000,
            "parent_conversation": None,
            "creator": "U0CREATOR",
            "is_ext_shared": False,
            "shared_team_ids": [channel.team_id],
            "pending_connected_team_ids": [],
            "is_member": channel.is_member,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }

    def _conversations_open(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_arg, users_arg = call.args.get("channel"), call.args.get("users")
        if channel_arg:
            channel_id = self._channel(tok.team_id, channel_arg, posting=False)
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}
        if not users_arg:
            raise _SlackError("users_list_not_supplied")
        users = tuple(
            u.strip() for u in (users_arg if isinstance(users_arg, list) else str(users_arg).split(","))
        )
        if len(users) > 8:
            raise _SlackError("too_many_users")
        for user_id in users:
            user = self._users.get(user_id)
            if user is not None:
                if not self._same_org(user.team_id, tok.team_id):
                    raise _SlackError("user_not_found")
                if user.deleted:
                    raise _SlackError("user_disabled")
        existed = (tok.team_id, tuple(sorted(users))) in self._dms
        channel_id = self._dm_for(tok.team_id, users)
        response: dict[str, Any] = {"ok": True}
        if existed:
            response.update({"no_op": True, "already_open": True})
        if str(call.args.get("return_im", "")).lower() in ("1", "true"):
            response["channel"] = self._channel_object(self._channels[channel_id])
        else:
            response["channel"] = {"id": channel_id}
        return response

    def _conversations_info(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_id = call.args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or not self._same_org(channel.team_id, tok.team_id):
            raise _SlackError("channel_not_found")
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_list(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        types = str(call.args.get("types") or "public_channel").split(",")
        exclude_archived = str(call.args.get("exclude_archived", "")).lower() in ("1", "true")
        found = []
        for c in self._channels.values():
            if c.team_id != tok.team_id or (exclude_archived and c.is_archived):
                continue
            kind = (
                "im"
                if c.is_im
                else "mpim"
                if c.is_mpim
                else "private_channel"
                if c.is_private
                else "public_channel"
            )
            if kind in types and (kind == "public_channel" or c.is_member or c.is_im):
                found.append(self._channel_object(c))
        return {"ok": True, "channels": found, "response_metadata": {"next_cursor": ""}}

    def _conversations_join(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_id = call.args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or channel.team_id != tok.team_id or channel.is_im:
            raise _SlackError("channel_not_found")
        if channel.is_archived:
            raise _SlackError("is_archived")
        if channel.is_private and not channel.is_member:
            raise _SlackError("method_not_supported_for_channel_type")
        already = channel.is_member
        channel.is_member = True
        response: dict[str, Any] = {"ok": True, "channel": self._channel_object(channel)}
        if already:
            response["warning"] = "already_in_channel"
            response["response_metadata"] = {"warnings": ["already_in_channel"]}
        return response

    # files

    def _files_get_upload_url_external(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        filename, length = call.args.get("filename"), call.args.get("length")
        if not filename or length in (None, ""):
            raise _invalid_arguments("missing required field: " + ("filename" if not filename else "length"))
        try:
            size = int(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _SlackError("invalid_arguments") from None
        if size <= 0:
            raise _SlackError("invalid_arguments")
        file_id = self._new_id("F")
        self.files[file_id] = UploadedFile(
            id=file_id,
            team_id=tok.team_id,
            filename=str(filename),
            length=size,
            alt_txt=call.args.get("alt_txt"),
            snippet_type=call.args.get("snippet_type"),
        )
        return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        files = call.args.get("files")
        if not isinstance(files, list) or not files:
            raise _invalid_arguments("missing required field: files")
        channel_id = None
        if call.args.get("channel_id") or call.args.get("channels"):
            target = call.args.get("channel_id") or str(call.args.get("channels")).split(",")[0]
            channel_id = self._channel(tok.team_id, target, posting=True)
        results = []
        for item in files:
            f = self.files.get(item.get("id")) if isinstance(item, dict) else None
            if f is None or f.team_id != tok.team_id or f.content is None:
                raise _SlackError("file_not_found")
            f.title = item.get("title") or f.filename
            f.completed = True
            f.channel_id = channel_id
            f.initial_comment = call.args.get("initial_comment")
            f.thread_ts = call.args.get("thread_ts")
            domain = self._team(tok.team_id).domain
            results.append(
                {
                    "id": f.id,
                    "created": 1_700_000_000,
                    "timestamp": 1_700_000_000,
                    "name": f.filename,
                    "title": f.title,
                    "mimetype": mimetypes.guess_type(f.filename)[0] or "application/octet-stream",
                    "filetype": f.filename.rsplit(".", 1)[-1] if "." in f.filename else "binary",
                    "user": tok.user_id,
                    "user_team": tok.team_id,
                    "size": len(f.content),
                    "is_external": False,
                    "is_public": bool(channel_id and channel_id.startswith("C")),
                    "url_private": f"https://files.slack.com/files-pri/{tok.team_id}-{f.id}/{f.filename}",
                    "permalink": f"https://{domain}.slack.com/files/{tok.user_id}/{f.id}/{f.filename}",
                }
            )
        if channel_id is not None:
            ts = self._new_ts()
            message = self._bot_message(tok, {"text": call.args.get("initial_comment") or ""}, ts)
            message["files"] = [{"id": r["id"], "name": r["name"], "title": r["title"]} for r in results]
            message["upload"] = True
            self._messages[(channel_id, ts)] = message
        return {"ok": True, "files": results}


def _public_view(view: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in view.items() if not k.startswith("_")}
