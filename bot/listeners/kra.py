"""`/kra` and its modals: parse, ack, hand over to services, answer."""

from __future__ import annotations

import json

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.numbers import parse_number
from bot.domain.references import RefKind, parse_ref
from bot.domain.slack_text import (
    mention,
    mention_label,
    parse_channel_mention,
    parse_user_mention,
    split_command,
)
from bot.errors import Invalid, Usage
from bot.forms.kra import parse_kra, parse_review
from bot.ids import Action, Callback
from bot.listeners.common import caller, creation_key, reader_zone, unit_of_work
from bot.services import home, kras, review_pack
from bot.services.workspaces import STORED_ONLY, require_owner_or_admin
from bot.ui import kra as ui
from bot.ui.blocks import ephemeral
from storage.db import Database
from storage.models import Status, _now
from storage.repositories import kras as repo


def register(app: App) -> None:
    app.command("/kra")(kra_command)
    app.view(Callback.KRA_NEW)(submit_new)
    app.view(Callback.KRA_EDIT)(submit_edit)
    app.view(Callback.KRA_REVIEW)(submit_review)
    app.action(Action.HOME_NEW_KRA)(open_new_from_home)


def kra_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database):
    ack()
    subcommand, rest = split_command(command.get("text") or "")
    handler = SUBCOMMANDS.get(subcommand)
    if handler is None:
        prefix = f"I don't know `/kra {ui.user_text(subcommand, 30)}`.\n" if subcommand not in ("", "help") else ""
        respond(**ephemeral(prefix + ui.USAGE))
        return
    handler(rest, command=command, respond=respond, client=client, context=context, db=db)


def _add(rest: str, *, command: dict, client: WebClient, context: BoltContext, **_) -> None:
    view = ui.kra_modal(owner_id=context.user_id, title=rest)
    client.views_open(trigger_id=command["trigger_id"], view=view)


def _list(rest: str, *, respond: Respond, context: BoltContext, db: Database, **_) -> None:
    who = caller(context)
    target = rest.strip()
    owner_id = channel_id = None
    if not target or target.lower() in ("mine", "me"):
        owner_id, title = who.user_id, "Your KRAs"
    elif target.lower() == "all":
        title = "All KRAs"
    elif user := parse_user_mention(target):
        owner_id, title = user, f"KRAs of {mention('@', user, mention_label(target))}"
    elif channel := parse_channel_mention(target):
        channel_id, title = channel, f"KRAs of {mention('#', channel, mention_label(target))}"
    else:
        raise Usage("`/kra list` takes nothing, `@person`, `#channel` or `all`, e.g. `/kra list all`.")
    with unit_of_work(db, who) as (session, workspace):
        page = repo.list_kras(session, workspace.id, owner_id=owner_id, channel_id=channel_id)
        answer = ui.kra_list(title, page.kras, page.kpis, page.total)
    respond(**answer)


def _show(rest: str, *, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_) -> None:
    who = caller(context)
    tz = reader_zone(db, client, who)
    with unit_of_work(db, who) as (session, workspace):
        kra = kras.find_kra(session, workspace, _one_reference(rest, "show"))
        kpis = repo.kpis_of(session, [kra.id]).get(kra.id, [])
        answer = ui.kra_detail(
            kra,
            kpis,
            repo.recent_measurements(session, [k.id for k in kpis]),
            repo.objectives_in_kra(session, kra.id),
            repo.last_review(session, kra.id),
            tz,
        )
    respond(**answer)


def _edit(rest: str, *, command: dict, client: WebClient, context: BoltContext, db: Database, **_) -> None:
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        kra = kras.find_kra(session, workspace, _one_reference(rest, "edit"))
        if kra.status != Status.ACTIVE:
            raise Invalid(f"{ui.kra_ref(kra)} is archived; archived KRAs keep their history unchanged.")
        require_owner_or_admin(session, client, workspace, who.user_id, kra.owner_id, kra.created_by)
        kpis = repo.kpis_of(session, [kra.id]).get(kra.id, [])
        view = ui.kra_modal(owner_id=kra.owner_id, kra=kra, kpis=kpis, private_metadata=json.dumps({"kra": kra.number}))
    client.views_open(trigger_id=command["trigger_id"], view=view)


def _archive(rest: str, *, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_) -> None:
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        kra = kras.archive_kra(session, client, workspace, who.user_id, _one_reference(rest, "archive"))
        answer = ephemeral(f"Archived *`{ui.kra_ref(kra)}` {ui.user_text(kra.title, 150)}*. Its KPIs and history are kept.")
    respond(**answer)
    home.refresh(db, client, who, kra.owner_id)


def _kpi(
    rest: str, *, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_
) -> None:
    parts = rest.split(maxsplit=2)
    if len(parts) < 2:
        raise Usage("Log a KPI value like `/kra kpi KPI-7 42 [note]`.")
    try:
        value = parse_number(parts[1])
    except ValueError as error:
        raise Usage(f"{error}. Log a KPI value like `/kra kpi KPI-7 42 [note]`.") from None
    note = parts[2].strip() if len(parts) > 2 else ""
    if len(note) > 3000:
        raise Invalid("Keep the note under 3,000 characters.")
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        # trigger_id is unique to one invocation: a replay of the same signed request logs nothing.
        dedupe = f"cmd:{command['trigger_id']}" if command.get("trigger_id") else None
        kpi, kra = kras.log_measurement(
            session, client, workspace, who.user_id, parts[0], value, note, dedupe_key=dedupe
        )
        answer = ephemeral(f"Logged {ui.kpi_line(kpi).removeprefix('• ')} in `{ui.kra_ref(kra)}`.")
    respond(**answer)
    home.refresh(db, client, who, kra.owner_id)


def _review(rest: str, *, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_):
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        page = kras.active_kras_of(session, workspace, who.user_id)
        stable = review_pack.stability(session, workspace, who.user_id, page.kras, _now())
        view = ui.review_modal(page.kras, page.kpis, standing=stable.standing, churning=stable.churning) if page.kras else None
    if view is None:
        respond(**ephemeral("You have no active KRAs to review. Declare one with `/kra add`."))
        return
    client.views_open(trigger_id=command["trigger_id"], view=view)


SUBCOMMANDS = {
    "add": _add,
    "new": _add,
    "list": _list,
    "ls": _list,
    "show": _show,
    "edit": _edit,
    "archive": _archive,
    "kpi": _kpi,
    "review": _review,
}


def _one_reference(rest: str, verb: str) -> str:
    parts = rest.split()
    if len(parts) != 1:
        raise Usage(f"Name one KRA, like `/kra {verb} KRA-3`. `/kra list` shows yours.")
    return parts[0]


def submit_new(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_kra(view)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        saved = kras.create_kra(session, workspace, who.user_id, form, creation_key=creation_key(view))
    ack()
    outbound.dm(client, who.user_id, ui.saved_message("Created", saved.kra, saved.notes))
    home.refresh(db, client, who, who.user_id, saved.kra.owner_id)


def submit_edit(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_kra(view)
    try:
        number = parse_ref(f"KRA-{json.loads(view.get('private_metadata') or '{}')['kra']}", RefKind.KRA)
    except (ValueError, KeyError, TypeError):
        raise Invalid("This form is out of date; run `/kra edit` again.") from None
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        saved = kras.update_kra(session, STORED_ONLY, workspace, who.user_id, number, form)
    ack()
    outbound.dm(client, who.user_id, ui.saved_message("Updated", saved.kra, saved.notes))
    home.refresh(db, client, who, who.user_id, saved.kra.owner_id)


def submit_review(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    items = parse_review(view)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        done = kras.record_review(session, workspace, who.user_id, items)
    ack()
    outbound.dm(client, who.user_id, ui.review_recorded(done))
    home.refresh(db, client, who, who.user_id)


def open_new_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=ui.kra_modal(owner_id=context.user_id))
