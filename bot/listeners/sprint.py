"""`/sprint` and its modals: parse, ack, hand over to services, answer.

Who may change a sprint is decided (and documented) in bot.services.sprints: anyone in the
channel starts one; its creator, the owner of a key result it serves, or a workspace admin
changes its goal and links and ends it.

SUBCOMMANDS is open for extension: another module may add e.g. `SUBCOMMANDS["schedule"] = …`
with the same signature `(rest, *, command, respond, client, context, db)`. Every subcommand runs
only in a team channel; in a DM the person is told where sprints live and nothing is stored.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.slack_text import split_command
from bot.errors import Invalid, Usage
from bot.forms.sprint import SprintMetadata, parse_metadata, parse_review, parse_start
from bot.ids import Action, Callback
from bot.listeners.common import Caller, caller, unit_of_work
from bot.services import home, sprints
from bot.services.workspaces import STORED_ONLY
from bot.ui import sprint as ui
from bot.ui.blocks import ephemeral
from storage.db import Database

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/sprint")(sprint_command)
    app.view(Callback.SPRINT_START)(submit_start)
    app.view(Callback.SPRINT_END)(submit_end)
    app.action(Action.PLAN_SPRINT)(plan_from_button)
    app.action(Action.REVIEW_SPRINT)(review_from_button)


def sprint_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database):
    ack()
    subcommand, rest = split_command(command.get("text") or "")
    handler = SUBCOMMANDS.get(subcommand)
    in_channel = sprints.is_team_channel(command.get("channel_id"), command.get("channel_name"))
    if handler is None:
        prefix = "" if in_channel else sprints.NOT_IN_A_CHANNEL + "\n\n"
        if subcommand not in ("", "help"):
            prefix += f"I don't know `/sprint {subcommand[:30]}`.\n"
        respond(**ephemeral(prefix + ui.USAGE))
        return
    if not in_channel:
        respond(**ephemeral(sprints.NOT_IN_A_CHANNEL))
        return
    handler(rest, command=command, respond=respond, client=client, context=context, db=db)


def _open_plan(client: WebClient, db: Database, who: Caller, channel_id: str, trigger_id: str, name: str = "") -> None:
    with unit_of_work(db, who) as (session, workspace):
        plan = sprints.plan(session, client, workspace, who.user_id, channel_id)
        view = ui.start_modal(
            name=name[:150] or plan.name,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            candidates=plan.candidates,
            private_metadata=SprintMetadata(channel_id).dumps(),
        )
    client.views_open(trigger_id=trigger_id, view=view)


def _start(rest: str, *, command: dict, client: WebClient, context: BoltContext, db: Database, **_) -> None:
    _open_plan(client, db, caller(context), command["channel_id"], command["trigger_id"], rest.strip())


def _goal(rest: str, *, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_):
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        detail = sprints.set_goal(session, client, workspace, who.user_id, command["channel_id"], rest)
        answer = ephemeral(ui.goal_set(detail))
    respond(**answer)
    home.refresh(db, client, who, who.user_id)


def _link(rest: str, *, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_):
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        detail, key_result = sprints.link(session, client, workspace, who.user_id, command["channel_id"], rest)
        answer = ephemeral(ui.linked(detail, f"KR-{key_result.number}", key_result.title))
    respond(**answer)
    home.refresh(db, client, who, who.user_id, key_result.owner_id)


def _unlink(rest: str, *, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_):
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        detail, key_result = sprints.unlink(session, client, workspace, who.user_id, command["channel_id"], rest)
        answer = ephemeral(ui.unlinked(detail, f"KR-{key_result.number}", key_result.title))
    respond(**answer)
    home.refresh(db, client, who, who.user_id, key_result.owner_id)


def _show(rest: str, *, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_):
    if rest.strip():
        raise Usage("`/sprint show` takes nothing: it shows this channel's current sprint.")
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        detail = sprints.find_current(session, workspace, command["channel_id"])
        today = sprints.local_today(session, client, workspace, who.user_id)
        answer = ui.sprint_show(detail, sprints.standings_of(detail, workspace), today)
    respond(**answer)


def _open_review(client: WebClient, db: Database, who: Caller, channel_id: str, trigger_id: str, sprint_id=None) -> None:
    with unit_of_work(db, who) as (session, workspace):
        detail = sprints.prepare_review(session, client, workspace, who.user_id, channel_id, sprint_id)
        today = sprints.local_today(session, client, workspace, who.user_id)
        metadata = SprintMetadata(detail.sprint.channel_id, detail.sprint.id).dumps()
        view = ui.review_modal(detail, sprints.standings_of(detail, workspace), today, metadata)
    client.views_open(trigger_id=trigger_id, view=view)


def _end(rest: str, *, command: dict, client: WebClient, context: BoltContext, db: Database, **_) -> None:
    if rest.strip():
        raise Usage("`/sprint end` takes nothing: it opens the review of this channel's current sprint.")
    _open_review(client, db, caller(context), command["channel_id"], command["trigger_id"])


SUBCOMMANDS = {
    "start": _start,
    "new": _start,
    "plan": _start,
    "goal": _goal,
    "link": _link,
    "unlink": _unlink,
    "show": _show,
    "end": _end,
    "close": _end,
    "review": _end,
}


def submit_start(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_start(view)
    metadata = parse_metadata(view, needs_sprint=False)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        detail = sprints.start_sprint(session, workspace, who.user_id, metadata.channel_id, form)
        standings = sprints.standings_of(detail, workspace)
    ack()
    with unit_of_work(db, who) as (session, workspace):
        today = sprints.local_today(session, client, workspace, who.user_id)
    text, blocks = ui.started_message(detail, standings, today, who.user_id)
    posted = outbound.post(client, detail.sprint.channel_id, text, blocks)
    confirmation = f"Started `{ui.sprint_ref(detail.sprint)}` {ui.user_text(detail.sprint.name, 150)} in <#{detail.sprint.channel_id}>."
    if not detail.aligned:
        confirmation += "\n:bulb: Its goal serves no key result yet: `/sprint link KR-12` in the channel makes it aligned."
    outbound.dm(client, who.user_id, confirmation if posted else confirmation + "\n" + ui.not_announced(detail.sprint.channel_id))
    home.refresh(db, client, who, *detail.editor_ids)


def submit_end(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_review(view)
    metadata = parse_metadata(view, needs_sprint=True)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        ended = sprints.end_sprint(session, STORED_ONLY, workspace, who.user_id, metadata, form)
    ack()
    text, blocks = ui.ended_message(ended.detail, ended.standings, who.user_id)
    posted = outbound.post(client, ended.detail.sprint.channel_id, text, blocks)
    confirmation = ui.ended_confirmation(ended.detail)
    outbound.dm(client, who.user_id, confirmation if posted else confirmation + "\n" + ui.not_announced(metadata.channel_id))
    home.refresh(db, client, who, who.user_id, *ended.detail.editor_ids)


def plan_from_button(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """The *Plan next sprint* button (planning prompt, end-of-sprint post): value is the channel id."""
    ack()
    value = ((body.get("actions") or [{}])[0].get("value") or "").strip()
    channel_id = value or (body.get("channel") or {}).get("id")
    sprints.require_team_channel(channel_id)
    _open_plan(client, db, caller(context), channel_id, body["trigger_id"])


def review_from_button(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """The *Review sprint* button: value is "<channel id>:<sprint id>" (see ui.sprint.review_button)."""
    ack()
    value = ((body.get("actions") or [{}])[0].get("value") or "").strip()
    channel_id, _, sprint = value.partition(":")
    if not sprint.isdigit() or len(sprint) > 12:
        raise Invalid("This button is out of date; run `/sprint end` in the team's channel.")
    sprints.require_team_channel(channel_id)
    _open_review(client, db, caller(context), channel_id, body["trigger_id"], int(sprint))
