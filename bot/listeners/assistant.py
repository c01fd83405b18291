"""Ask Northline, in Slack's assistant panel (Bolt's `Assistant`): suggested prompts when a thread
opens or the person moves to another channel, and an answer to each question typed in the thread.

Bolt acknowledges these events before the listeners run; each answer reads in one transaction
(bot.services.ask), then goes out through bot.outbound.

With the operator's language model (docs/ai.md) and the workspace's switch on, a question the
grammar does not know, and the week's brief, are worded by the model from facts read in that same
transaction; the call is made after it, and any failure falls back to the deterministic answer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import App, Assistant, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot import outbound
from bot.ai import model, prompt
from bot.domain.ask import Intent, Question, mentioned_channel, parse_question, suggested_prompts
from bot.listeners.common import Caller, unit_of_work
from bot.services import ask
from bot.ui import assistant as ui

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.ai.model import ModelEndpoint
    from bot.services.ask import Asked
    from bot.settings import Settings
    from storage.db import Database

log = logging.getLogger(__name__)


class EventsAssistant(Assistant):
    """Bolt's Assistant, which runs as a global middleware and matches its four listeners against
    every request, slash commands and clicks included. Only an event (`event_callback`) can be an
    assistant thread's, so anything else goes straight on (a 2% share of a loaded worker's CPU)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next):  # noqa: A002 - Bolt's name
        if req.body.get("type") != "event_callback":
            return next()
        return super().process(req=req, resp=resp, next=next)


def register(app: App) -> None:
    assistant = EventsAssistant()
    assistant.thread_started(thread_started)
    assistant.thread_context_changed(context_changed)
    assistant.user_message(question_asked)
    app.assistant(assistant)
    # Every other message event in the app's DMs (its own replies, edits, a message outside a
    # thread) is delivered too, because of message.im: nothing to do, but answered 200.
    app.event("message")(other_message)


def thread_started(payload: dict, client: WebClient) -> None:
    _suggest(client, payload.get("assistant_thread") or {})


def context_changed(payload: dict, client: WebClient) -> None:
    _suggest(client, payload.get("assistant_thread") or {})


def _suggest(client: WebClient, thread: dict) -> None:
    channel_id, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
    if not channel_id or not thread_ts:
        return
    where = (thread.get("context") or {}).get("channel_id")
    outbound.suggest_prompts(client, channel_id, thread_ts, ui.prompts(suggested_prompts(where)))


def question_asked(
    payload: dict, client: WebClient, context: BoltContext, db: Database, settings: Settings
) -> None:
    channel_id, thread_ts, user_id = payload.get("channel"), payload.get("thread_ts"), payload.get("user")
    if not channel_id or not thread_ts or not user_id or not context.team_id:
        return
    text = payload.get("text") or ""
    outbound.assistant_status(client, channel_id, thread_ts, ui.THINKING)
    who = Caller(context.team_id, context.enterprise_id, user_id, channel_id)
    question = parse_question(text)
    endpoint = settings.ai if settings is not None else None
    worded: Callable[[_Reply], dict] | None = None
    with unit_of_work(db, who) as (session, workspace):
        asked = ask.ask_question(
            session,
            workspace,
            user_id,
            question,
            channel_id=mentioned_channel(text),
            with_model=endpoint is not None,
        )
    message = ui.answer_message(asked.answer)
    if endpoint is not None and asked.may_word:
        worded = _wording(question, text, asked, message, endpoint)
    outbound.assistant_title(client, channel_id, thread_ts, ui.thread_title(text))
    # Posting in the thread clears the status (Slack does it on the app's reply).
    if worded is None:
        outbound.thread_reply(client, channel_id, thread_ts, message["text"], message["blocks"])
        return
    outbound.assistant_status(client, channel_id, thread_ts, ui.WRITING)
    reply = _Reply(client, channel_id, thread_ts)
    reply.final(worded(reply))


def _wording(
    question: Question, text: str, asked: Asked, message: dict, endpoint: ModelEndpoint
) -> Callable[[_Reply], dict] | None:
    """What the model is asked for this question, from what the transaction read (a free
    question's facts, or the brief's), called after it. None: the answer stays as it is."""
    found = asked.answer
    if question.intent is Intent.UNKNOWN:
        facts = asked.grounding
        cycle = facts[0][1].cycle if facts else ""
        messages = prompt.free_question(text, cycle, facts)
        return lambda reply: _ask_model(
            endpoint, messages, message, lambda said: ui.worded_message(said, ui.WORDED_HEADING), reply
        )
    if question.intent is Intent.BRIEF and found.brief is not None and found.brief.objective_count:
        messages = prompt.brief(found.brief, found.cycle)
        brief = found.brief
        return lambda reply: _ask_model(
            endpoint, messages, message, lambda said: ui.worded_brief(said, brief), reply
        )
    return None


def _ask_model(
    endpoint: ModelEndpoint,
    messages: list[dict],
    fallback: dict,
    render: Callable[[str], dict],
    reply: _Reply,
) -> dict:
    """The model's wording, streamed into `reply` as it comes, rendered whole at the end; or the
    deterministic answer with a short note."""
    try:
        said = model.complete(endpoint, messages, on_text=lambda so_far: reply.step(so_far, render))
    except model.ModelError as error:
        return ui.with_fallback_note(fallback, timed_out=error.timed_out)
    return render(said)


class _Reply:
    """The answer in the thread, streamed by chat.update in steps: posted once the model has
    written STREAM_STEP characters, updated each STREAM_STEP more (at most STREAM_UPDATES times),
    and replaced by the whole answer (or the fallback) at the end. Each step is rendered like the
    final answer, through the one user-text rule."""

    def __init__(self, client: WebClient, channel_id: str, thread_ts: str):
        self.client, self.channel_id, self.thread_ts = client, channel_id, thread_ts
        self.ts: str | None = None
        self.shown = 0
        self.updates = 0

    def step(self, so_far: str, render: Callable[[str], dict]) -> None:
        if len(so_far) - self.shown < ui.STREAM_STEP or self.updates >= ui.STREAM_UPDATES:
            return
        self.shown = len(so_far)
        message = render(so_far + " …")
        if self.ts is None:
            self.ts = outbound.thread_reply_ts(
                self.client, self.channel_id, self.thread_ts, message["text"], message["blocks"]
            )
            return
        self.updates += 1
        outbound.update(self.client, self.channel_id, self.ts, message["text"], message["blocks"])

    def final(self, message: dict) -> None:
        if self.ts is None:
            outbound.thread_reply(
                self.client, self.channel_id, self.thread_ts, message["text"], message["blocks"]
            )
        else:
            outbound.update(self.client, self.channel_id, self.ts, message["text"], message["blocks"])


def other_message() -> None:
    return None
