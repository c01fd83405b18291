"""Every Slack effect a listener causes goes out here: channel posts, DMs, files, App Home and
a command's ephemeral answers.

Call these after the database transaction has committed, never inside `with db.session()`, or
queue them there with `storage.db.after_commit(session, …)`, which runs them once the commit has
succeeded and never after a rollback: the change stands whatever Slack answers, so each is best
effort, with one logged failure path. Nothing else in bot/ calls Slack's chat.* or views.*
(tests/conformance/test_outbound_only.py).
The retry policy is the web client's own (bot/slack_client.py), one for every call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

if TYPE_CHECKING:
    from bot.services.schedules import Announcement

log = logging.getLogger(__name__)


def attempt(what: str, call: Callable[[], object]) -> str | None:
    """Run one Slack call: None when Slack took it, else Slack's error code (logged here, once)."""
    try:
        call()
    except SlackApiError as error:
        reason = (error.response.get("error") if error.response is not None else None) or "unknown_error"
        log.warning("could not %s: %s", what, reason)
        return reason
    return None


def post(client: WebClient, channel_id: str, text: str, blocks: list[dict] | None = None) -> bool:
    """A message in a channel; True when Slack took it."""
    return (
        attempt(
            f"post in {channel_id}",
            lambda: client.chat_postMessage(channel=channel_id, text=text, blocks=blocks),
        )
        is None
    )


def dm(client: WebClient, user_id: str, text: str, blocks: list[dict] | None = None) -> bool:
    """A direct message from the app (its Messages tab), e.g. the answer to a modal submission."""
    return (
        attempt(f"DM {user_id}", lambda: client.chat_postMessage(channel=user_id, text=text, blocks=blocks))
        is None
    )


def dm_message(client: WebClient, user_id: str, what: str, **message: Any) -> str | None:
    """A direct message built whole (text, blocks, metadata): None when Slack took it, else its error."""
    return attempt(what, lambda: client.chat_postMessage(channel=user_id, **message))


def update(client: WebClient, channel_id: str, ts: str, text: str, blocks: list[dict] | None = None) -> bool:
    """Replace a message the app posted (chat.update), e.g. a reminder after a click in it."""
    return (
        attempt(
            f"update message {ts} in {channel_id}",
            lambda: client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks),
        )
        is None
    )


def publish_home(client: WebClient, user_id: str, view: dict) -> bool:
    return (
        attempt(f"publish the Home of {user_id}", lambda: client.views_publish(user_id=user_id, view=view))
        is None
    )


def open_view(client: WebClient, trigger_id: str, view: dict | Any) -> bool:
    """A modal (views.open). A trigger_id lives three seconds: an expired one is logged, not raised."""
    return attempt("open a modal", lambda: client.views_open(trigger_id=trigger_id, view=view)) is None


def push_view(client: WebClient, trigger_id: str, view: dict | Any) -> bool:
    """A modal on top of the open one (views.push)."""
    return attempt("push a modal", lambda: client.views_push(trigger_id=trigger_id, view=view)) is None


def update_view(
    client: WebClient, view_id: str | None, view: dict | Any, view_hash: str | None = None
) -> bool:
    """Redraw an open modal (views.update); with its hash, a stale redraw is refused by Slack."""
    return (
        attempt(
            f"update view {view_id}", lambda: client.views_update(view_id=view_id, hash=view_hash, view=view)
        )
        is None
    )


def announce(client: WebClient, announcement: Announcement | None) -> None:
    """A schedule or calendar change, told where it applies: in its channel, or to each admin."""
    if announcement is None:
        return
    for target in [announcement.channel_id] if announcement.channel_id else announcement.user_ids:
        post(client, target, announcement.text)


def send_to_dm(
    client: WebClient,
    user_id: str,
    messages: list[dict] = (),
    files: list[dict] = (),
    *,
    what: str = "send a DM",
) -> str | None:
    """Messages (text, blocks) then files (files_upload_v2's arguments) in the person's DM with the
    app, stopping at the first failure: None when all went, else Slack's error code."""

    def send() -> None:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        for message in messages:
            client.chat_postMessage(channel=channel, text=message["text"], blocks=message.get("blocks"))
        for file in files:
            client.files_upload_v2(channel=channel, **file)

    return attempt(f"{what} to {user_id}", send)


def answer(respond: Callable[..., Any], **message: Any) -> bool:
    """A command's answer through its response_url (Bolt's respond); True when Slack took it."""
    try:
        sent = respond(**message)
    except OSError as error:  # the connection itself failed (urllib's URLError is an OSError)
        log.warning("could not answer through the response_url: %s", error)
        return False
    status = getattr(sent, "status_code", 200)
    if status >= 400:
        log.warning("could not answer through the response_url: %s %s", status, getattr(sent, "body", ""))
        return False
    return True


def responder(respond: Callable[..., Any]) -> Callable[..., bool]:
    """`respond` for a subcommand handler, its answers sent through answer()."""
    return lambda **message: answer(respond, **message)


# --- Ask Northline: the assistant panel's thread (docs.slack.dev/ai/developing-ai-apps) ------------------


def thread_reply(client: WebClient, channel_id: str, thread_ts: str, text: str, blocks: list[dict]) -> bool:
    """A reply in a thread (an assistant thread, or a digest's): True when Slack took it."""
    return (
        attempt(
            f"reply in {channel_id}",
            lambda: client.chat_postMessage(
                channel=channel_id, thread_ts=thread_ts, text=text, blocks=blocks
            ),
        )
        is None
    )


def thread_reply_ts(
    client: WebClient, channel_id: str, thread_ts: str, text: str, blocks: list[dict]
) -> str | None:
    """A reply in a thread that will be updated in steps (a streamed answer): its ts, or None."""
    posted: dict[str, str] = {}

    def send() -> None:
        posted["ts"] = client.chat_postMessage(
            channel=channel_id, thread_ts=thread_ts, text=text, blocks=blocks
        )["ts"]

    return posted.get("ts") if attempt(f"reply in {channel_id}", send) is None else None


def _done(what: str, call) -> bool:
    """True when Slack took the assistant-panel call (`attempt` logs and swallows a refusal)."""
    return attempt(what, call) is None


def suggest_prompts(client: WebClient, channel_id: str, thread_ts: str, prompts: list[dict]) -> bool:
    return _done(
        f"suggest prompts in {channel_id}",
        lambda: client.assistant_threads_setSuggestedPrompts(
            channel_id=channel_id, thread_ts=thread_ts, prompts=prompts
        ),
    )


def assistant_status(client: WebClient, channel_id: str, thread_ts: str, status: str) -> bool:
    """The panel's "Northline is looking it up…" line; an empty status clears it."""
    return _done(
        f"set the assistant status in {channel_id}",
        lambda: client.assistant_threads_setStatus(channel_id=channel_id, thread_ts=thread_ts, status=status),
    )


def assistant_title(client: WebClient, channel_id: str, thread_ts: str, title: str) -> bool:
    return _done(
        f"title the assistant thread in {channel_id}",
        lambda: client.assistant_threads_setTitle(channel_id=channel_id, thread_ts=thread_ts, title=title),
    )
