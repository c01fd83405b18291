"""Block Kit checks: Slack's limits on messages, views and their blocks, as plain functions
(``message_errors``, ``view_errors``, ``suggestion_errors``) so a unit test of a builder can call
them without a server."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Block Kit limits
MESSAGE_MAX_BLOCKS = 50

VIEW_MAX_BLOCKS = 100

MESSAGE_TEXT_MAX = 40_000

MESSAGE_TEXT_TRUNCATED = 4_000

# chat.postMessage / chat.update refuse a message whose blocks are too long in all, with
# `msg_blocks_too_long`. Slack documents no such limit (its Block Kit pages give 3,000 a section,
# 50 blocks, 12,000 for markdown blocks). What is public:
#   - slackapi/bolt-js #2509 (2025): several blocks refused at about 13,200 characters; markdown
#     blocks alone passed up to 13,297, and one more divider lowered that: the blocks themselves
#     count, not only their text. Slack's answer there: "12,000 text characters with a buffer for
#     block containers".
#   - slackapi/bolt-js #2867 (2026): rich_text + section + header + divider blocks whose `text`
#     strings summed to 11,341 were still refused: a sum of text alone under-counts.
# The model (ours, not Slack's formula, and deliberately not the product's count): every string a
# reader sees (each `text` string, of text objects and of rich_text elements, and each `alt_text`)
# plus BLOCK_CONTAINER_CHARS for each block, refused above 12,000. The 20 per block makes #2867's
# 11,341 characters a refusal from 33 blocks up. respond() through a response_url is not affected
# (#2867: the same blocks went through respond()).
MESSAGE_BLOCKS_TEXT_MAX = 12_000
BLOCK_CONTAINER_CHARS = 20

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

# Selects whose options come from Slack itself (users, conversations, channels).
_OTHER_SELECTS = {
    s for s in _SELECTS | _MULTI_SELECTS if not s.endswith(("static_select", "external_select"))
}

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

    def element(self, el: Any, path: str, allowed: set[str], action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.err("must provide an object", path)
            return
        kind = el.get("type")
        if kind not in allowed:
            self.err(f"unsupported element type: {kind!r}", path + "/type")
            return
        if kind in INTERACTIVE_ELEMENTS:
            self._action_id(el.get("action_id"), path + "/action_id", action_ids)
        self.confirm(el.get("confirm"), path + "/confirm")
        check = _ELEMENT_CHECKS.get(kind)
        if check is not None:
            check(self, el, path)

    def _action_id(self, action_id: Any, path: str, action_ids: set[str]) -> None:
        self.string(action_id, path, 255, min_len=1)
        if isinstance(action_id, str):
            if action_id in action_ids:
                self.err(f"duplicate action_id: {action_id}", path)
            action_ids.add(action_id)

    def _button(self, el: dict[str, Any], path: str) -> None:
        self.text(el.get("text"), path + "/text", 75, plain=True)
        self.string(el.get("value"), path + "/value", 2000)
        self.string(el.get("url"), path + "/url", 3000)
        self.string(el.get("accessibility_label"), path + "/accessibility_label", 75)
        if el.get("style") not in (None, "primary", "danger"):
            self.err("must be one of: primary, danger", path + "/style")

    def _image(self, obj: dict[str, Any], path: str) -> None:
        """The image element; the image block checks the same fields and a title."""
        if obj.get("image_url") is None and obj.get("slack_file") is None:
            self.err("must provide image_url or slack_file", path)
        self.string(obj.get("image_url"), path + "/image_url", 3000)
        self.string(obj.get("alt_text"), path + "/alt_text", 2000, required=True, min_len=1)

    def _static_select(self, el: dict[str, Any], path: str) -> None:
        self.placeholder(el, path)
        self._options_or_groups(el, path)

    def _external_select(self, el: dict[str, Any], path: str) -> None:
        self.placeholder(el, path)
        if "initial_option" in el:
            self.option(el["initial_option"], path + "/initial_option")

    def _overflow(self, el: dict[str, Any], path: str) -> None:
        options = self.items(el.get("options"), path + "/options", 5, min_items=1)
        for i, o in enumerate(options):
            self.option(o, f"{path}/options/{i}", url=True)

    def _choices(self, el: dict[str, Any], path: str) -> None:
        """radio_buttons and checkboxes."""
        options = self.items(el.get("options"), path + "/options", 10, min_items=1)
        for i, o in enumerate(options):
            self.option(o, f"{path}/options/{i}", plain=False)
        self._initial_options_match(el, options, path)

    def _datepicker(self, el: dict[str, Any], path: str) -> None:
        self.placeholder(el, path)
        d = el.get("initial_date")
        if d is not None and not (isinstance(d, str) and _DATE.match(d)):
            self.err("must match format YYYY-MM-DD", path + "/initial_date")

    def _timepicker(self, el: dict[str, Any], path: str) -> None:
        self.placeholder(el, path)
        t = el.get("initial_time")
        if t is not None and not (isinstance(t, str) and _TIME.match(t)):
            self.err("must match format HH:mm", path + "/initial_time")

    def _plain_text_input(self, el: dict[str, Any], path: str) -> None:
        self.placeholder(el, path)
        max_len = el.get("max_length", 3000)
        if not isinstance(max_len, int) or not 1 <= max_len <= 3000:
            self.err("must be between 1 and 3000", path + "/max_length")
            max_len = 3000
        min_len = el.get("min_length", 0)
        if not isinstance(min_len, int) or not 0 <= min_len <= 3000:
            self.err("must be between 0 and 3000", path + "/min_length")
        self.string(el.get("initial_value"), path + "/initial_value", max_len)

    def _number_input(self, el: dict[str, Any], path: str) -> None:
        self.placeholder(el, path)
        if not isinstance(el.get("is_decimal_allowed"), bool):
            self.err("missing required field: is_decimal_allowed", path)
        for key in ("initial_value", "min_value", "max_value"):
            if key in el and not isinstance(el[key], str):
                self.err("must be a string", f"{path}/{key}")

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
            self._block_id(block_id, path + "/block_id", seen_block_ids)
        check = _BLOCK_CHECKS.get(kind)
        if check is not None:
            check(self, b, path, set())

    def _block_id(self, block_id: Any, path: str, seen_block_ids: set[str]) -> None:
        self.string(block_id, path, 255, min_len=1)
        if isinstance(block_id, str):
            if block_id in seen_block_ids:
                self.err(f"duplicate block_id: {block_id}", path)
            seen_block_ids.add(block_id)

    def _section_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        if b.get("text") is None and b.get("fields") is None:
            self.err("must provide text or fields", path)
        self.text(b.get("text"), path + "/text", 3000, required=False)
        if b.get("fields") is not None:
            fields = self.items(b.get("fields"), path + "/fields", 10, min_items=1)
            for i, f in enumerate(fields):
                self.text(f, f"{path}/fields/{i}", 2000)
        if b.get("accessory") is not None:
            self.element(b["accessory"], path + "/accessory", _ACCESSORY_ELEMENTS, action_ids)

    def _header_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        self.text(b.get("text"), path + "/text", 150, plain=True)

    def _image_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        self._image(b, path)
        self.text(b.get("title"), path + "/title", 2000, plain=True, required=False)

    def _context_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        elements = self.items(b.get("elements"), path + "/elements", 10, min_items=1)
        for i, el in enumerate(elements):
            e_path = f"{path}/elements/{i}"
            if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                self.text(el, e_path, 3000)
            else:
                self.element(el, e_path, {"image"}, action_ids)

    def _actions_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        elements = self.items(b.get("elements"), path + "/elements", 25, min_items=1)
        for i, el in enumerate(elements):
            self.element(el, f"{path}/elements/{i}", _ACTIONS_ELEMENTS, action_ids)

    def _input_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        self.text(b.get("label"), path + "/label", 2000, plain=True)
        self.text(b.get("hint"), path + "/hint", 2000, plain=True, required=False)
        for flag in ("dispatch_action", "optional"):
            if flag in b and not isinstance(b[flag], bool):
                self.err("must be a boolean", f"{path}/{flag}")
        if b.get("element") is None:
            self.err("missing required field: element", path)
        else:
            self.element(b["element"], path + "/element", _INPUT_ELEMENTS, action_ids)
            self._dispatch_action_config(b["element"], path + "/element")

    def _dispatch_action_config(self, el: Any, path: str) -> None:
        """When a text input sends block_actions (Block Kit reference, "Dispatch action
        configuration object"): trigger_actions_on, one or both of on_enter_pressed and
        on_character_entered; only the text inputs take it."""
        if not isinstance(el, dict) or "dispatch_action_config" not in el:
            return
        path += "/dispatch_action_config"
        if el.get("type") not in _DISPATCHING_INPUTS:
            self.err(f"not supported on {el.get('type')!r}", path)
            return
        config = el["dispatch_action_config"]
        if not isinstance(config, dict):
            self.err("must provide an object", path)
            return
        triggers = self.items(config.get("trigger_actions_on"), path + "/trigger_actions_on", 2, min_items=1)
        for i, trigger in enumerate(triggers):
            if trigger not in ("on_enter_pressed", "on_character_entered"):
                self.err(
                    "must be one of: on_enter_pressed, on_character_entered", f"{path}/trigger_actions_on/{i}"
                )

    def _markdown_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        self.string(b.get("text"), path + "/text", 12_000, required=True, min_len=1)

    def _rich_text_block(self, b: dict[str, Any], path: str, action_ids: set[str]) -> None:
        self.items(b.get("elements"), path + "/elements", 10_000)


_DISPATCHING_INPUTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}

# What each element type checks beyond its action_id and confirm; a type not listed (a
# datetimepicker, a file_input, ...) has nothing more to check.
_ELEMENT_CHECKS: dict[str, Callable[[_Checker, dict[str, Any], str], None]] = {
    "button": _Checker._button,
    "image": _Checker._image,
    "static_select": _Checker._static_select,
    "multi_static_select": _Checker._static_select,
    "external_select": _Checker._external_select,
    "multi_external_select": _Checker._external_select,
    **dict.fromkeys(_OTHER_SELECTS, _Checker.placeholder),
    "overflow": _Checker._overflow,
    "radio_buttons": _Checker._choices,
    "checkboxes": _Checker._choices,
    "datepicker": _Checker._datepicker,
    "timepicker": _Checker._timepicker,
    "plain_text_input": _Checker._plain_text_input,
    "number_input": _Checker._number_input,
    "email_text_input": _Checker.placeholder,
    "url_text_input": _Checker.placeholder,
}

# What each block type checks beyond its block_id, given the block's set of action_ids; a type
# not listed (divider, file, ...) has nothing more to check.
_BLOCK_CHECKS: dict[str, Callable[[_Checker, dict[str, Any], str, set[str]], None]] = {
    "section": _Checker._section_block,
    "header": _Checker._header_block,
    "image": _Checker._image_block,
    "context": _Checker._context_block,
    "actions": _Checker._actions_block,
    "input": _Checker._input_block,
    "markdown": _Checker._markdown_block,
    "rich_text": _Checker._rich_text_block,
}


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


# A message's top-level `text` is its notification and, beside blocks, the fallback a screen reader
# reads: "If you're using blocks, this is used as a fallback string to display in notifications"
# (https://docs.slack.dev/reference/methods/chat.postMessage#text_usage; mobile notifications show
# message.text alone, docs.slack.dev changelog 2026-07-13). Slack takes any text; the suite holds
# the app to Slack's guidance: a `text` must say something in words, never only emoji (":tada:",
# "🎉") or only a progress bar ("▓▓▓░░░░░░░ 30%"), which a lock screen shows as squares and a
# screen reader as "black square, black square…".
_SHORTCODE = re.compile(r":[a-z0-9_+'-]+:")
_LETTER = re.compile(r"[^\W\d_]")
_BAR_CELLS = "▓░"


def fallback_text_errors(payload: dict[str, Any]) -> list[str]:
    """The suite's refusal of a message whose `text` has no word in it (only emoji, shortcodes or
    characters, a progress bar, numbers or punctuation), or carries a progress bar's cells."""
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        return []
    if _LETTER.search(_SHORTCODE.sub("", text)):
        # A bar's cells are read aloud one by one ("dark shade, dark shade, …"): words and "73%" only.
        if any(cell in text for cell in _BAR_CELLS):
            return [
                f"text_with_progress_bar: the notification and screen-reader text {text[:80]!r} has a bar"
            ]
        return []
    only = "a progress bar" if any(cell in text for cell in _BAR_CELLS) else "emoji"
    return [f"text_without_words: the notification and screen-reader text {text[:80]!r} is only {only}"]


def blocks_text_length(blocks: Any) -> int:
    """What the emulator counts towards msg_blocks_too_long (see MESSAGE_BLOCKS_TEXT_MAX): the text
    a reader sees, plus BLOCK_CONTAINER_CHARS for each block."""
    count = len(blocks) if isinstance(blocks, list) else 0
    return _seen_text(blocks) + BLOCK_CONTAINER_CHARS * count


_SEEN_KEYS = ("text", "alt_text")


def _seen_text(node: Any) -> int:
    total = 0
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    total += len(value) if key in _SEEN_KEYS else 0
                else:
                    stack.append(value)
    return total


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
