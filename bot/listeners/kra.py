"""`/kra` and its modals: parse, ack, hand over to services, answer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.domain.clock import stored_now
from bot.domain.limits import MAX_KPIS
from bot.domain.numbers import parse_number
from bot.domain.references import RefKind, parse_ref
from bot.domain.slack_text import (
    mention,
    mention_label,
    parse_channel_mention,
    parse_user_mention,
)
from bot.errors import Invalid, Usage
from bot.forms.kra import parse_kpi_log, parse_kra, parse_review, typed_kra
from bot.forms.state import rows_metadata
from bot.ids import Action, Callback
from bot.listeners import growing, homes
from bot.listeners.buttons import Click, button
from bot.listeners.common import Caller, caller, creation_key, unit_of_work
from bot.listeners.router import Invocation, Router
from bot.services import kras, review_pack
from bot.ui import kra as ui
from bot.ui.blocks import ephemeral

if TYPE_CHECKING:
    from storage.db import Database


def register(app: App) -> None:
    app.command("/kra")(ROUTER)
    app.view(Callback.KRA_NEW)(submit_new)
    app.view(Callback.KRA_EDIT)(submit_edit)
    app.view(Callback.KRA_REVIEW)(submit_review)
    app.action(Action.HOME_NEW_KRA)(open_new_from_home)
    app.view(Callback.KPI_LOG)(submit_kpi_log)
    app.action(Action.LOG_KPI)(open_kpi_log_from_button)
    app.action(Action.EDIT_KRA)(edit_from_button)
    app.action(Action.KPI_LOG_PICK)(repick_kpi)
    app.action(Action.ADD_KPI)(add_kpi)
    app.action(Action.KPI_MORE_OPTIONS)(more_kpi_options)
    app.action(Action.KRA_ROW)(row_menu)
    app.action(Action.SHOW_KRA)(show_from_button)


def _add(call: Invocation) -> None:
    view = ui.kra_modal(owner_id=call.who.user_id, title=call.rest, private_metadata=rows_metadata(1))
    outbound.open_view(call.client, call.trigger_id, view)


def _list(call: Invocation) -> None:
    who = call.who
    target = call.rest.strip()
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
    with unit_of_work(call.db, who) as (session, workspace):
        listed = kras.kra_list(session, workspace, who.user_id, owner_id=owner_id, channel_id=channel_id)
    page = listed.page
    call.respond(
        **ui.kra_list(
            title, page.kras, page.kpis, page.total, reader_id=who.user_id, editable=listed.editable
        )
    )


def _show(call: Invocation) -> None:
    call.respond(**show_answer(call.db, call.who, _one_reference(call.rest, "show")))


def show_answer(db: Database, who: Caller, reference: str) -> dict:
    """One KRA with what the reader may do with it (`/kra show`, or *Show* on a row of `/kra list`)."""
    with unit_of_work(db, who) as (session, workspace):
        card = kras.kra_card(session, workspace, who.user_id, reference)
    d = card.detail
    return ui.kra_detail(
        d.kra,
        d.kpis,
        d.measurements,
        d.objectives,
        d.last_review,
        card.tz,
        may_log=d.kra.owner_id == who.user_id,
        may_edit=card.may_edit,
    )


def _edit(call: Invocation) -> None:
    open_edit(call.client, call.db, call.who, call.trigger_id, _one_reference(call.rest, "edit"))


def open_edit(client: WebClient, db: Database, who: Caller, trigger_id: str, reference: str) -> None:
    """The edit form of one KRA (also for the first week's *Add KPIs* button)."""
    with unit_of_work(db, who) as (session, workspace):
        kra, kpis = kras.kra_to_edit(session, workspace, who.user_id, reference)
    view = ui.kra_modal(
        owner_id=kra.owner_id, kra=kra, kpis=kpis, private_metadata=json.dumps({"kra": kra.number})
    )
    outbound.open_view(client, trigger_id, view)


def _archive(call: Invocation) -> None:
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        kra = kras.archive_kra(session, workspace, who.user_id, _one_reference(call.rest, "archive"))
    answer = ephemeral(
        f"Archived *`{ui.kra_ref(kra)}` {ui.user_text(kra.title, 150)}*. Its KPIs and history are kept."
    )
    call.respond(**answer)
    homes.refresh(call.db, call.client, who, kra.owner_id)


def _kpi(call: Invocation) -> None:
    parts = call.rest.split(maxsplit=2)
    if len(parts) < 2:
        # No value: the form, with the named KPI (if any) picked.
        if parts and not _is_kpi_ref(parts[0]):
            raise Usage("Log a KPI value like `/kra kpi KPI-7 42 [note]`, or `/kra kpi` for the form.")
        if not open_kpi_log_modal(
            call.client, call.db, call.who, call.trigger_id, parts[0] if parts else None
        ):
            call.respond(**ephemeral(ui.no_kpis_to_log()))
        return
    try:
        value = parse_number(parts[1])
    except ValueError as error:
        raise Usage(f"{error}. Log a KPI value like `/kra kpi KPI-7 42 [note]`.") from None
    note = parts[2].strip() if len(parts) > 2 else ""
    if len(note) > 3000:
        raise Invalid("Keep the note under 3,000 characters.")
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        # trigger_id is unique to one invocation: a replay of the same signed request logs nothing.
        dedupe = f"cmd:{call.command['trigger_id']}" if call.command.get("trigger_id") else None
        kpi, kra = kras.log_measurement(
            session, workspace, who.user_id, parts[0], value, note, dedupe_key=dedupe
        )
    answer = ephemeral(f"Logged {ui.kpi_line(kpi).removeprefix('• ')} in `{ui.kra_ref(kra)}`.")
    call.respond(**answer)
    homes.refresh(call.db, call.client, who, kra.owner_id)


def _is_kpi_ref(word: str) -> bool:
    try:
        parse_ref(word, RefKind.KPI)
    except ValueError:
        return False
    return True


def open_kpi_log_modal(
    client: WebClient, db: Database, who: Caller, trigger_id: str, reference: str | None = None
) -> bool:
    """The Log a value form; False (nothing opened) when the person has no active KPI. With a
    KPI's `reference` (`/kra kpi KPI-7`, *Log a value* beside a KPI), that KPI picked and its last
    value prefilled, once it is checked again: still there, active, and the person's to log."""
    with unit_of_work(db, who) as (session, workspace):
        if reference:
            kpis, selected = kras.kpi_to_log(session, workspace, who.user_id, reference)
        else:
            kpis = kras.loggable_kpis(session, workspace, who.user_id)
            if not kpis:
                return False
            selected = kpis[0][0].number
    view = ui.kpi_log_modal(kpis, selected)
    outbound.open_view(client, trigger_id, view)
    return True


def _review(call: Invocation) -> None:
    if call.rest.strip():
        raise Usage("`/kra review` takes nothing: it opens the review of all your active KRAs.")
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        form = review_pack.review_form(session, workspace, who.user_id, stored_now())
    page, stable = form.page, form.stability
    if not page.kras:
        call.respond(**ephemeral("You have no active KRAs to review. Declare one with `/kra add`."))
        return
    view = ui.review_modal(page.kras, page.kpis, standing=stable.standing, churning=stable.churning)
    outbound.open_view(call.client, call.trigger_id, view)


ROUTER = Router("/kra", "*`/kra` — your Key Result Areas and the KPIs that measure them*")
ROUTER.add("add", _add, "• `/kra add [title]` — declare a KRA (opens a form)", "new", weekly=True)
ROUTER.add(
    "list",
    _list,
    "• `/kra list [@person | #channel | all]` — KRAs with their KPIs (default: yours)",
    "ls",
    weekly=True,
)
ROUTER.add("show", _show, "• `/kra show KRA-3` — one KRA: KPIs, their history, its objectives", weekly=True)
ROUTER.add("edit", _edit, "• `/kra edit KRA-3` · `/kra archive KRA-3`")
ROUTER.add("archive", _archive)
ROUTER.add("kpi", _kpi, "• `/kra kpi KPI-7 42 [note]` — log a KPI measurement", weekly=True)
ROUTER.buttons += [("Log a value", Action.LOG_KPI), ("New KRA", Action.HOME_NEW_KRA)]
ROUTER.add(
    "review", _review, "• `/kra review` — the quarterly review: keep, change or retire each of your KRAs"
)


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
    homes.refresh(db, client, who, who.user_id, saved.kra.owner_id)


def submit_edit(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    form = parse_kra(view)
    try:
        number = parse_ref(f"KRA-{json.loads(view.get('private_metadata') or '{}')['kra']}", RefKind.KRA)
    except (ValueError, KeyError, TypeError):
        raise Invalid("This form is out of date; run `/kra edit` again.") from None
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        saved = kras.update_kra(session, workspace, who.user_id, number, form)
    ack()
    outbound.dm(client, who.user_id, ui.saved_message("Updated", saved.kra, saved.notes))
    homes.refresh(db, client, who, who.user_id, saved.kra.owner_id)


def submit_review(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    items = parse_review(view)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        done = kras.record_review(session, workspace, who.user_id, items)
    ack()
    outbound.dm(client, who.user_id, ui.review_recorded(done))
    homes.refresh(db, client, who, who.user_id)


def submit_kpi_log(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    entry = parse_kpi_log(view)
    who = caller(context)
    # One view is submitted once; Slack may deliver that submission twice.
    dedupe = f"view:{view['id']}:{view.get('hash', '')}" if view.get("id") else None
    with unit_of_work(db, who) as (session, workspace):
        kpi, kra = kras.log_measurement(
            session, workspace, who.user_id, f"KPI-{entry.number}", entry.value, entry.note, dedupe_key=dedupe
        )
    message = f"Logged {ui.kpi_line(kpi).removeprefix('• ')} in `{ui.kra_ref(kra)}`."
    ack()
    outbound.dm(client, who.user_id, message)
    homes.refresh(db, client, who, who.user_id, kra.owner_id)


@button
def open_kpi_log_from_button(click: Click) -> None:
    """*Log a value* on Home, in help, under `/kra list` or `/kra show` (its value: a KPI-n to pick)."""
    value = click.value
    picked = value if _is_kpi_ref(value) else None
    if not open_kpi_log_modal(click.client, click.db, click.who, click.trigger_id, picked):
        outbound.dm(click.client, click.who.user_id, ui.no_kpis_to_log())


@button
def show_from_button(click: Click) -> None:
    """*Show* beside a KRA of `/kra list`: its card, as `/kra show` answers, below the list."""
    answer = show_answer(click.db, click.who, click.value)
    outbound.answer(click.respond, replace_original=False, **answer)


@button
def row_menu(click: Click) -> None:
    """The menu on a KRA's row of `/kra list`: Show, Edit, or Log a value for one of its KPIs. The
    list may be old: each is checked again (rights, the KRA and KPI still active) as the command
    would, and a refusal is answered below the list."""
    verb, _, reference = click.picked.partition(" ")
    if verb == ui.ROW_SHOW:
        answer = show_answer(click.db, click.who, reference)
        outbound.answer(click.respond, replace_original=False, **answer)
    elif verb == ui.ROW_EDIT:
        open_edit(click.client, click.db, click.who, click.trigger_id, reference)
    elif verb == ui.ROW_LOG and _is_kpi_ref(reference):
        open_kpi_log_modal(click.client, click.db, click.who, click.trigger_id, reference)
    else:
        raise Usage("That menu is out of date; run `/kra list` again.")


@button
def edit_from_button(click: Click) -> None:
    """*Edit* under `/kra show`: rights and state checked again, as for `/kra edit`."""
    open_edit(click.client, click.db, click.who, click.trigger_id, click.value)


def repick_kpi(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """Another KPI picked in the form: redraw it with that KPI's last value and unit."""
    ack()
    view = body.get("view") or {}
    picked = ((body.get("actions") or [{}])[0].get("selected_option") or {}).get("value", "")
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        kpis = kras.loggable_kpis(session, workspace, who.user_id)
    redrawn = ui.kpi_log_modal(kpis, int(picked) if picked.isdigit() else None)
    outbound.update_view(client, view.get("id"), redrawn, view.get("hash"))


def open_new_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    view = ui.kra_modal(owner_id=context.user_id, private_metadata=rows_metadata(1))
    outbound.open_view(client, body["trigger_id"], view)


def _redraw_new_kra(view: dict, rows: int, options: bool, who: Caller, db: Database) -> dict:
    """The New KRA form with `rows` KPI groups, what was typed carried over as initial values."""
    return ui.kra_modal(
        owner_id=who.user_id,
        rows=rows,
        options=options,
        typed=typed_kra(view),
        private_metadata=rows_metadata(rows, options=options),
    )


# *Add KPI* and *More options* in the New KRA form.
add_kpi, more_kpi_options = growing.buttons(MAX_KPIS, _redraw_new_kra)
