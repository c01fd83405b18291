"""`/sprint` and its modals: parse, ack, hand over to services, answer.

Who may change a sprint is decided (and documented) in bot.services.sprints: anyone in the
channel starts one; its creator, the owner of a key result it serves, or a workspace admin
changes its goal and links and ends it.

ROUTER (listeners/router.py) holds the subcommands and generates the help; another module adds
its own with `ROUTER.add(name, handler, usage_line)`, a handler taking one Invocation. Every
subcommand runs only in a team channel; in a DM the person is told where sprints live and
nothing is stored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.domain.channels import is_team_channel
from bot.errors import Invalid, Usage
from bot.forms.sprint import SprintMetadata, parse_metadata, parse_review, parse_start
from bot.ids import Action, Callback
from bot.listeners import homes
from bot.listeners.common import Caller, caller, refresh_member, unit_of_work
from bot.listeners.router import Invocation, Router
from bot.services import sprints
from bot.ui import sprint as ui
from bot.ui.blocks import ephemeral

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/sprint")(ROUTER)
    app.view(Callback.SPRINT_START)(submit_start)
    app.view(Callback.SPRINT_END)(submit_end)
    app.action(Action.PLAN_SPRINT)(plan_from_button)
    app.action(Action.REVIEW_SPRINT)(review_from_button)


def _open_plan(
    client: WebClient, db: Database, who: Caller, channel_id: str, trigger_id: str, name: str = ""
) -> None:
    with unit_of_work(db, who) as (session, workspace):
        plan = sprints.plan(session, workspace, who.user_id, channel_id)
    view = ui.start_modal(
        name=name[:150] or plan.name,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        candidates=plan.candidates,
        private_metadata=SprintMetadata(channel_id).dumps(),
    )
    outbound.open_view(client, trigger_id, view)


def _start(call: Invocation) -> None:
    _open_plan(
        call.client,
        call.db,
        call.who,
        call.channel_id,
        call.trigger_id,
        call.rest.strip(),
    )


def _goal(call: Invocation) -> None:
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        detail = sprints.set_goal(session, workspace, who.user_id, call.channel_id, call.rest)
    answer = ephemeral(ui.goal_set(detail))
    call.respond(**answer)
    homes.refresh(call.db, call.client, who, who.user_id)


def _link(call: Invocation) -> None:
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        detail, key_result = sprints.link(session, workspace, who.user_id, call.channel_id, call.rest)
    answer = ephemeral(ui.linked(detail, f"KR-{key_result.number}", key_result.title))
    call.respond(**answer)
    homes.refresh(call.db, call.client, who, who.user_id, key_result.owner_id)


def _unlink(call: Invocation) -> None:
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        detail, key_result = sprints.unlink(session, workspace, who.user_id, call.channel_id, call.rest)
    answer = ephemeral(ui.unlinked(detail, f"KR-{key_result.number}", key_result.title))
    call.respond(**answer)
    homes.refresh(call.db, call.client, who, who.user_id, key_result.owner_id)


def _show(call: Invocation) -> None:
    if call.rest.strip():
        raise Usage("`/sprint show` takes nothing: it shows this channel's current sprint.")
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        page = sprints.current_page(session, workspace, who.user_id, call.channel_id)
    call.respond(**ui.sprint_show(page.detail, page.standings, page.today))


def _open_review(
    client: WebClient, db: Database, who: Caller, channel_id: str, trigger_id: str, sprint_id=None
) -> None:
    with unit_of_work(db, who) as (session, workspace):
        page = sprints.review_page(session, workspace, who.user_id, channel_id, sprint_id)
    detail = page.detail
    metadata = SprintMetadata(detail.sprint.channel_id, detail.sprint.id).dumps()
    outbound.open_view(client, trigger_id, ui.review_modal(detail, page.standings, page.today, metadata))


def _end(call: Invocation) -> None:
    if call.rest.strip():
        raise Usage("`/sprint end` takes nothing: it opens the review of this channel's current sprint.")
    _open_review(call.client, call.db, call.who, call.channel_id, call.trigger_id)


def _not_in_a_channel(command: dict) -> str | None:
    if is_team_channel(command.get("channel_id"), command.get("channel_name")):
        return None
    return sprints.NOT_IN_A_CHANNEL


ROUTER = Router(
    "/sprint",
    "*`/sprint` — this channel's sprint and the key results its goal serves*",
    guard=_not_in_a_channel,
)
ROUTER.add(
    "start",
    _start,
    "• `/sprint start` — plan a sprint (opens a form: name, dates, goal, key results it serves)",
    "new",
    "plan",
)
ROUTER.add("goal", _goal, "• `/sprint goal TEXT` — set the current sprint's goal")
ROUTER.add("link", _link, "• `/sprint link KR-12` · `/sprint unlink KR-12` — the key results the goal serves")
ROUTER.add("unlink", _unlink)
ROUTER.add("show", _show, "• `/sprint show` — the goal, days left, the key results it serves and their pace")
ROUTER.add(
    "end",
    _end,
    "• `/sprint end` — close the sprint with a review (met, partly, missed, a note)",
    "close",
    "review",
)


def submit_start(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_start(view)
    metadata = parse_metadata(view, needs_sprint=False)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        started = sprints.start(session, workspace, who.user_id, metadata.channel_id, form)
    detail, standings = started.detail, started.standings
    ack()
    text, blocks = ui.started_message(detail, standings, started.today, who.user_id)
    posted = outbound.post(client, detail.sprint.channel_id, text, blocks)
    confirmation = f"Started `{ui.sprint_ref(detail.sprint)}` {ui.user_text(detail.sprint.name, 150)} in <#{detail.sprint.channel_id}>."
    if not detail.aligned:
        confirmation += "\n:bulb: Its goal serves no key result yet: `/sprint link KR-12` in the channel makes it aligned."
    outbound.dm(
        client,
        who.user_id,
        confirmation if posted else confirmation + "\n" + ui.not_announced(detail.sprint.channel_id),
    )
    homes.refresh(db, client, who, *detail.editor_ids)


def submit_end(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_review(view)
    metadata = parse_metadata(view, needs_sprint=True)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        ended = sprints.end_sprint(session, workspace, who.user_id, metadata, form)
    ack()
    text, blocks = ui.ended_message(ended.detail, ended.standings, who.user_id)
    posted = outbound.post(client, ended.detail.sprint.channel_id, text, blocks)
    confirmation = ui.ended_confirmation(ended.detail)
    outbound.dm(
        client,
        who.user_id,
        confirmation if posted else confirmation + "\n" + ui.not_announced(metadata.channel_id),
    )
    homes.refresh(db, client, who, who.user_id, *ended.detail.editor_ids)


def plan_from_button(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """The *Plan next sprint* button (planning prompt, end-of-sprint post): value is the channel id."""
    ack()
    value = ((body.get("actions") or [{}])[0].get("value") or "").strip()
    channel_id = value or (body.get("channel") or {}).get("id")
    sprints.require_team_channel(channel_id)
    refresh_member(db, client, caller(context))  # a button has no router to do it
    _open_plan(client, db, caller(context), channel_id, body["trigger_id"])


def review_from_button(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """The *Review sprint* button: value is "<channel id>:<sprint id>" (see ui.sprint.review_button)."""
    ack()
    value = ((body.get("actions") or [{}])[0].get("value") or "").strip()
    channel_id, _, sprint = value.partition(":")
    if not sprint.isdigit() or len(sprint) > 12:
        raise Invalid("This button is out of date; run `/sprint end` in the team's channel.")
    sprints.require_team_channel(channel_id)
    refresh_member(db, client, caller(context))  # a button has no router to do it
    _open_review(client, db, caller(context), channel_id, body["trigger_id"], int(sprint))
