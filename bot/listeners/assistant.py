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

from slack_bolt import App, Assistant, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.ai import model, prompt
from bot.domain.ask import Intent, Question, mentioned_channel, parse_question, suggested_prompts
from bot.listeners.common import Caller, unit_of_work
from bot.services import ask
from bot.ui import assistant as ui

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from bot.ai.model import ModelEndpoint
    from bot.services.ask import Answer
    from bot.settings import Settings
    from storage.db import Database
    from storage.models import Workspace

log = logging.getLogger(__name__)


def register(app: App) -> None:
    assistant = Assistant()
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
    worded: Callable[[], dict] | None = None
    with unit_of_work(db, who) as (session, workspace):
        found = ask.answer(session, workspace, user_id, question)
        message = ui.answer_message(found)
        if endpoint is not None and ask.may_use_model(workspace):
            worded = _wording(session, workspace, user_id, question, text, found, message, endpoint)
    outbound.assistant_title(client, channel_id, thread_ts, ui.thread_title(text))
    if worded is not None:
        outbound.assistant_status(client, channel_id, thread_ts, ui.WRITING)
        message = worded()
    # Posting in the thread clears the status (Slack does it on the app's reply).
    outbound.thread_reply(client, channel_id, thread_ts, message["text"], message["blocks"])


def _wording(
    session: Session,
    workspace: Workspace,
    user_id: str,
    question: Question,
    text: str,
    found: Answer,
    message: dict,
    endpoint: ModelEndpoint,
) -> Callable[[], dict] | None:
    """What the model is asked for this question, read now (inside the transaction), and called
    later (after it): a free question's facts, or the brief's. None: the answer stays as it is."""
    if question.intent is Intent.UNKNOWN:
        facts = ask.grounding(session, workspace, user_id, mentioned_channel(text))
        cycle = facts[0][1].cycle if facts else ""
        messages = prompt.free_question(text, cycle, facts)
        return lambda: _ask_model(
            endpoint, messages, message, lambda said: ui.worded_message(said, ui.WORDED_HEADING)
        )
    if question.intent is Intent.BRIEF and found.brief is not None and found.brief.objective_count:
        messages = prompt.brief(found.brief, found.cycle)
        brief = found.brief
        return lambda: _ask_model(endpoint, messages, message, lambda said: ui.worded_brief(said, brief))
    return None


def _ask_model(
    endpoint: ModelEndpoint, messages: list[dict], fallback: dict, render: Callable[[str], dict]
) -> dict:
    """The model's wording, rendered; or the deterministic answer with a short note."""
    try:
        said = model.complete(endpoint, messages)
    except model.ModelError as error:
        return ui.with_fallback_note(fallback, timed_out=error.timed_out)
    return render(said)


def other_message() -> None:
    return None
