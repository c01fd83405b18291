"""conversations.history: reading a conversation back, with the messages' metadata on request.

As Slack documents it (https://docs.slack.dev/reference/methods/conversations.history, and the
Web API OpenAPI schema in /work/shared/slack/web_api_openapi_v2.json):

- one history scope per conversation type: ``channels:history``, ``groups:history``,
  ``im:history``, ``mpim:history``; a token without it gets ``missing_scope`` (with ``needed``
  and ``provided``);
- messages newest first, strictly between ``oldest`` and ``latest`` unless ``inclusive``;
  ``limit`` (default 100, at most 999) a page, ``has_more`` and ``response_metadata.next_cursor``
  for the next one; ``pin_count``, ``channel_actions_ts`` and ``channel_actions_count`` always;
- a message's ``metadata`` (``event_type``, ``event_payload``) only with ``include_all_metadata``
  (https://docs.slack.dev/messaging/message-metadata);
- a conversation of another workspace is ``channel_not_found``; a channel the bot is not in,
  ``not_in_channel``.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from tests.slack.records import Call, _SlackError, _Token

HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 999


def _history_scope(channel: Any) -> str:
    if channel.is_im:
        return "im:history"
    if channel.is_mpim:
        return "mpim:history"
    return "groups:history" if channel.is_private else "channels:history"


def _ts_arg(value: Any, error: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _SlackError(error) from None


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


class HistoryApi:
    """conversations.history. Mixed into ``SlackEmulator``; ``self`` is the emulator."""

    def _conversations_history(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_id = call.args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or not self._same_org(channel.team_id, tok.team_id):
            raise _SlackError("channel_not_found")
        needed = _history_scope(channel)
        if tok.scopes is not None and needed not in tok.scopes:
            raise _SlackError("missing_scope", needed=needed, provided=",".join(sorted(tok.scopes)))
        if not (channel.is_member or channel.is_im or channel.is_mpim):
            raise _SlackError("not_in_channel")
        oldest = _ts_arg(call.args.get("oldest"), "invalid_ts_oldest")
        latest = _ts_arg(call.args.get("latest"), "invalid_ts_latest")
        inclusive = _flag(call.args.get("inclusive"))
        limit = max(1, min(int(call.args.get("limit") or HISTORY_DEFAULT_LIMIT), HISTORY_MAX_LIMIT))
        skip = int(base64.b64decode(call.args["cursor"]).decode()) if call.args.get("cursor") else 0

        def within(ts: float) -> bool:
            after = oldest is None or ts > oldest or (inclusive and ts == oldest)
            before = latest is None or ts < latest or (inclusive and ts == latest)
            return after and before

        found = sorted(
            (m for (ch, _), m in self._messages.items() if ch == channel.id and within(float(m["ts"]))),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        page = [copy.deepcopy(m) for m in found[skip : skip + limit]]
        if not _flag(call.args.get("include_all_metadata")):
            for message in page:
                message.pop("metadata", None)
        has_more = skip + limit < len(found)
        answer: dict[str, Any] = {
            "ok": True,
            "messages": page,
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if has_more:
            next_cursor = base64.b64encode(str(skip + limit).encode()).decode()
            answer["response_metadata"] = {"next_cursor": next_cursor}
        return answer
