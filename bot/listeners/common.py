"""What every listener needs: who is asking, in which workspace, and how to answer them."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import BoltContext

from bot.domain.slack_text import unescape
from bot.listeners.members import refresh_member
from bot.listeners.router import caller_of
from bot.services import okrs
from bot.services.workspaces import Caller, unit_of_work
from bot.ui.text import mrkdwn_to_text

if TYPE_CHECKING:
    from storage.db import Database

__all__ = [
    "Caller",
    "caller",
    "creation_key",
    "modal_text",
    "refresh_member",
    "unescape_command_text",
    "unit_of_work",
]

_MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

log = logging.getLogger(__name__)


def caller(context: BoltContext) -> Caller:
    """Who is asking: what the caller middleware (listeners/router.put_caller) put in the context."""
    return caller_of(context)


def unescape_command_text(body: dict) -> None:
    """Slack sends a slash command's text with &, < and > escaped (&amp;, &lt;, &gt;), keeping its
    own markup (<@U1|jane>). Undo that once, here at the edge, so every handler, limit and stored
    value sees what the person typed; ui's user_text() escapes it again on the way out."""
    if body.get("command") and isinstance(body.get("text"), str):
        body["text"] = unescape(body["text"])  # the same dict Bolt hands listeners as `command`


def modal_text(db: Database | None, who: Caller, message: str) -> str:
    """A message for a modal's field error, which Slack shows as plain text: no backticks or
    asterisks, and people by the names they go by ("@Bob Diaz"), never "<@U0BOB>".

    The one read outside an action's own transaction: the error handler calls it after the
    action's transaction has rolled back (its session is gone), so the names are read in a
    transaction of their own, and only when the message mentions someone."""
    mentioned = _MENTIONED.findall(message)
    names: dict[str, str] = {}
    if mentioned and db is not None and who.team_id:
        with unit_of_work(db, who) as (session, workspace):
            names = okrs.stored_names(session, workspace, mentioned)
    return unescape(mrkdwn_to_text(message, names))  # plain text shows < and & as they are


def creation_key(view: dict) -> str | None:
    """One New KRA / New objective form, one creation: Slack may deliver a submission twice, both
    with the same view id."""
    return f"view:{view['id']}"[:200] if view.get("id") else None
