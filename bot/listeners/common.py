"""What every listener needs: who is asking, in which workspace, and how to answer them."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.slack_text import unescape
from bot.services.workspaces import Caller, unit_of_work

__all__ = ["Caller", "caller", "tell", "unescape_command_text", "unit_of_work"]

log = logging.getLogger(__name__)


def caller(context: BoltContext) -> Caller:
    return Caller(
        team_id=context.team_id or "",
        enterprise_id=context.enterprise_id,
        user_id=context.user_id or "",
        channel_id=context.channel_id,
    )


def tell(client: WebClient, user_id: str, text: str, blocks: list[dict] | None = None) -> None:
    """A direct message from the app (its Messages tab), for answers to modal submissions."""
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("could not DM %s: %s", user_id, error.response.get("error"))


def unescape_command_text(body: dict, next) -> None:  # noqa: A002 - Bolt injects by this name
    """Slack sends a slash command's text with &, < and > escaped (&amp;, &lt;, &gt;), keeping its
    own markup (<@U1|jane>). Undo that once, here at the edge, so every handler, limit and stored
    value sees what the person typed; ui's user_text() escapes it again on the way out."""
    if body.get("command") and isinstance(body.get("text"), str):
        body["text"] = unescape(body["text"])  # the same dict Bolt hands listeners as `command`
    next()
