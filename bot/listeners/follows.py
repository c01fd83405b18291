"""`/okr follow OBJ-3 [#channel]`, `/okr unfollow OBJ-3 [#channel]` and the *Follow* /
*Unfollow* button of `/okr show`: parse, ack, services.follows, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.slack_text import parse_channel_mention
from bot.errors import Usage
from bot.ids import Action
from bot.listeners import okr
from bot.listeners.buttons import Click, button
from bot.listeners.common import caller, unit_of_work
from bot.listeners.router import Invocation
from bot.services import follows
from bot.ui import follows as ui

if TYPE_CHECKING:
    from storage.db import Database

FOLLOW_USAGE = (
    "• `/okr follow OBJ-3` — its weekly movement in your check-in reminder · "
    "`/okr follow OBJ-3 #channel` — it joins that channel's digest"
)
UNFOLLOW_USAGE = "• `/okr unfollow OBJ-3 [#channel]` — stop following it"
HOW = "Follow one objective, like `/okr follow OBJ-3` or `/okr follow OBJ-3 #leadership`."


def register(app: App) -> None:
    okr.ROUTER.add("follow", _follow, FOLLOW_USAGE)
    okr.ROUTER.add("unfollow", _unfollow, UNFOLLOW_USAGE)
    app.action(Action.FOLLOW_OBJECTIVE)(follow_button)
    app.action(Action.UNFOLLOW_OBJECTIVE)(unfollow_button)


def arguments(rest: str, verb: str) -> tuple[str, str | None]:
    """`OBJ-3` or `OBJ-3 #channel` (Slack sends the channel as <#C…|name>)."""
    parts = rest.split()
    if not parts or len(parts) > 2:
        raise Usage(HOW.replace("/okr follow", f"/okr {verb}"))
    channel = None
    if len(parts) == 2:
        channel = parse_channel_mention(parts[1])
        if channel is None:
            raise Usage(f"Name the channel with #, like `/okr {verb} {parts[0]} #leadership`.")
    return parts[0], channel


def _follow(call: Invocation) -> None:
    reference, channel = arguments(call.rest, "follow")
    with unit_of_work(call.db, call.who) as (session, workspace):
        result = follows.follow(
            session, workspace, call.who.user_id, reference, channel_id=channel, invoked_in=call.channel_id
        )
    answer = ui.followed(result)
    call.respond(**answer)


def _unfollow(call: Invocation) -> None:
    reference, channel = arguments(call.rest, "unfollow")
    with unit_of_work(call.db, call.who) as (session, workspace):
        result = follows.unfollow(
            session, workspace, call.who.user_id, reference, channel_id=channel, invoked_in=call.channel_id
        )
    answer = ui.unfollowed(result)
    call.respond(**answer)


@button
def follow_button(click: Click) -> None:
    """*Follow* on `/okr show`: the person follows the objective shown."""
    with unit_of_work(click.db, click.who) as (session, workspace):
        result = follows.follow(session, workspace, click.who.user_id, click.value)
    outbound.answer(click.respond, replace_original=False, **ui.followed(result))


def unfollow_button(
    ack: Ack, action: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database
) -> None:
    """*Unfollow* on `/okr show`."""
    ack()
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        result = follows.unfollow(session, workspace, who.user_id, action.get("value") or "")
    outbound.answer(respond, replace_original=False, **ui.unfollowed(result))
