"""The assistant panel (docs.slack.dev/ai/developing-ai-apps): threads a person opens with the app,
assistant.threads.setSuggestedPrompts / setStatus / setTitle, and the events Slack sends for them
(assistant_thread_started, assistant_thread_context_changed, and message.im for what is typed).

Shapes from docs.slack.dev/reference/events/assistant_thread_started,
.../assistant_thread_context_changed, .../events/message.im and
.../methods/assistant.threads.setSuggestedPrompts (at most four prompts, each a title and a
message), .../setStatus and .../setTitle (each needs assistant:write; the thread must be one of
the app's assistant threads).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.slack.records import Call, _invalid_arguments, _SlackError, _Token

MAX_PROMPTS = 4


@dataclass
class AssistantThread:
    """One thread of the panel: the DM with the app, its root message's ts, and what the app set."""

    team_id: str
    user_id: str
    channel_id: str  # the person's DM with the app (D…)
    thread_ts: str
    context: dict[str, Any] = field(default_factory=dict)
    prompts: list[dict[str, str]] | None = None
    status: str = ""
    statuses: list[str] = field(default_factory=list)  # every status set, in order
    title: str = ""


class AssistantApi:
    """Mixed into ``SlackEmulator``; ``self`` is the emulator."""

    def open_assistant_thread(
        self, team_id: str, user_id: str, context_channel_id: str | None = None
    ) -> tuple[AssistantThread, dict[str, Any]]:
        """A person opens the panel: a new thread in their DM with the app. Returns the thread and
        the ``assistant_thread_started`` event Slack sends for it."""
        with self._lock:
            channel_id = self._dm_for(team_id, (user_id,))
            thread_ts = self._new_ts()
            context = _context(team_id, context_channel_id, self._team(team_id).enterprise_id)
            thread = AssistantThread(team_id, user_id, channel_id, thread_ts, context)
            self._assistant_threads[(channel_id, thread_ts)] = thread
            self._messages[(channel_id, thread_ts)] = {
                "type": "message",
                "subtype": "assistant_app_thread",
                "user": user_id,
                "text": "New chat",
                "ts": thread_ts,
                "thread_ts": thread_ts,
                "team": team_id,
            }
        return thread, {"type": "assistant_thread_started", "assistant_thread": _event_thread(thread)}

    def move_assistant_context(
        self, thread: AssistantThread, context_channel_id: str | None
    ) -> dict[str, Any]:
        """The person moves to another channel with the panel open: the event Slack sends."""
        with self._lock:
            thread.context = _context(
                thread.team_id, context_channel_id, self._team(thread.team_id).enterprise_id
            )
        return {"type": "assistant_thread_context_changed", "assistant_thread": _event_thread(thread)}

    def type_in_assistant_thread(self, thread: AssistantThread, text: str) -> dict[str, Any]:
        """The person sends ``text`` in the thread: stored, and the ``message`` event (channel_type
        "im") Slack delivers for it. ``text`` is what Slack sends: mentions as <@U…>/<#C…|name>,
        and &, < and > of typed text escaped."""
        with self._lock:
            ts = self._new_ts()
            message = {
                "type": "message",
                "user": thread.user_id,
                "text": text,
                "ts": ts,
                "thread_ts": thread.thread_ts,
                "parent_user_id": thread.user_id,
                "team": thread.team_id,
                "blocks": [
                    {
                        "type": "rich_text",
                        "block_id": self._random_block_id(),
                        "elements": [
                            {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                        ],
                    }
                ],
            }
            self._messages[(thread.channel_id, ts)] = message
        return {**copy.deepcopy(message), "channel": thread.channel_id, "channel_type": "im", "event_ts": ts}

    def thread_replies(self, thread: AssistantThread) -> list[dict[str, Any]]:
        """The app's replies in the thread, oldest first."""
        return [
            m
            for m in self.channel_messages(thread.channel_id)
            if m.get("thread_ts") == thread.thread_ts and m["ts"] != thread.thread_ts and m.get("bot_id")
        ]

    def _assistant_thread(self, call: Call, tok: _Token) -> AssistantThread:
        if tok.scopes is not None and "assistant:write" not in tok.scopes:
            raise _SlackError(
                "missing_scope", needed="assistant:write", provided=",".join(sorted(tok.scopes))
            )
        channel_id, thread_ts = call.args.get("channel_id"), call.args.get("thread_ts")
        if not channel_id or not thread_ts:
            raise _invalid_arguments("missing required field: channel_id or thread_ts")
        thread = self._assistant_threads.get((channel_id, thread_ts))
        if thread is None or thread.team_id != tok.team_id:
            raise _SlackError("channel_not_found")
        return thread

    def _assistant_set_suggested_prompts(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        thread = self._assistant_thread(call, tok)
        prompts = call.args.get("prompts")
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= MAX_PROMPTS:
            raise _invalid_arguments(f"prompts must be a list of 1 to {MAX_PROMPTS} prompts")
        for prompt in prompts:
            if not isinstance(prompt, dict) or not prompt.get("title") or not prompt.get("message"):
                raise _invalid_arguments("each prompt needs a title and a message")
        thread.prompts = copy.deepcopy(prompts)
        return {"ok": True}

    def _assistant_set_status(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        thread = self._assistant_thread(call, tok)
        status = call.args.get("status")
        if not isinstance(status, str):
            raise _invalid_arguments("missing required field: status")
        thread.status = status
        thread.statuses.append(status)
        return {"ok": True}

    def _assistant_set_title(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        thread = self._assistant_thread(call, tok)
        title = call.args.get("title")
        if not isinstance(title, str) or not title:
            raise _invalid_arguments("missing required field: title")
        thread.title = title
        return {"ok": True}

    def _clear_assistant_status(self, channel_id: str, thread_ts: str | None) -> None:
        """Slack clears a thread's status when the app replies in it."""
        thread = self._assistant_threads.get((channel_id, thread_ts or ""))
        if thread is not None:
            thread.status = ""


def _context(team_id: str, channel_id: str | None, enterprise_id: str | None) -> dict[str, Any]:
    if not channel_id:
        return {}
    return {"channel_id": channel_id, "team_id": team_id, "enterprise_id": enterprise_id}


def _event_thread(thread: AssistantThread) -> dict[str, Any]:
    return {
        "user_id": thread.user_id,
        "context": copy.deepcopy(thread.context),
        "channel_id": thread.channel_id,
        "thread_ts": thread.thread_ts,
    }
