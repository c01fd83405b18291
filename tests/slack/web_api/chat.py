"""chat.* and response_url messages, and what a test reads of the channels' history."""

from __future__ import annotations

import copy
import string
import time
from typing import Any

from tests.slack.blockkit import INTERACTIVE_ELEMENTS, MESSAGE_BLOCKS_TEXT_MAX, blocks_text_length
from tests.slack.records import Call, _SlackError, _Token

# "You can use a response_url to publish a message up to five times within 30 minutes of receiving
# it" (docs.slack.dev/interactivity/handling-user-interaction, "Message responses").
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


class ChatApi:
    """chat.* and response_url messages, and what a test reads of the channels' history. Mixed into
    ``SlackEmulator``; ``self`` is the emulator."""

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

    def new_response_url(
        self, team_id: str | None = None, *, channel_id: str | None = None, user_id: str | None = None
    ) -> str:
        """A response_url whose POSTs are recorded as ``Call(method="response_url")``. As Slack's
        does, it takes RESPONSE_URL_USES posts within RESPONSE_URL_SECONDS of being issued
        (on the emulator's clock, see ``advance()``); after that it answers 404 ``used_url`` or
        ``expired_url``."""
        with self._lock:
            key = "".join(self._rng.choices(string.ascii_letters + string.digits, k=24))
            self._response_urls[key] = {
                "team_id": team_id,
                "channel_id": channel_id,
                "user_id": user_id,
                "issued": self.now(),
                "uses": 0,
            }
        return f"{self.root_url}response/{key}"

    def response_url_posts(self, url: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == "response_url" and c.url == url]

    def _message_payload_check(self, call: Call, *, require_text: bool = True) -> None:
        errors = self.check_message(call.method, call.args, require_text=require_text)
        blocks = call.args.get("blocks")
        if not errors and call.method in ("chat.postMessage", "chat.update") and isinstance(blocks, list):
            size = blocks_text_length(blocks)
            if size > MESSAGE_BLOCKS_TEXT_MAX:
                self._note(call.method, [f"msg_blocks_too_long: {size} characters counted in blocks"])
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

    def _chat_post_message(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        self._blocks_arg(call)
        channel = self._channel(tok.team_id, call.args.get("channel"), posting=True)
        self._message_payload_check(call)
        ts = self._new_ts()
        message = self._bot_message(tok, call.args, ts)
        self._messages[(channel, ts)] = message
        self._clear_assistant_status(channel, call.args.get("thread_ts"))
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
        found = self._channels.get(channel)
        if found is not None and found.is_archived:
            # An archived channel's messages cannot be edited: chat.update's error enum in
            # /work/shared/slack/web_api_openapi_v2.json ("/chat.update") names it is_inactive.
            raise _SlackError("is_inactive")
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
