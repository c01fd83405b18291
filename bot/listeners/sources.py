"""`/okr sync KR-n` (or `KPI-n`): read the bound data source now; `/okr source KR-n`: the form that
binds one. Added to the /okr router with `okr.ROUTER.add`; the router has acked, so the source's
network time is after the ack and the result goes back through the command's response_url, however
long the read takes (up to its deadline)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.domain.clock import stored_now
from bot.errors import Invalid, Usage
from bot.ids import Callback
from bot.listeners.common import caller, unit_of_work
from bot.listeners.router import Invocation
from bot.sources import bindings
from bot.sources.form import block_of, parse_source
from bot.sources.read import SourceError
from bot.sources.reading import VALIDATE_SECONDS, needs_trial, try_spec
from bot.sources.window import window_for
from bot.ui import sources as ui

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.sources.connections import SourceConfig
    from storage.db import Database

USAGE_LINE = "• `/okr sync KR-7` — read a key result's (or KPI's) data source now"
SOURCE_LINE = (
    "• `/okr source KR-7` — where its number comes from, over a connection the operator declared (admin)"
)


def register(app: App) -> None:
    from bot.listeners import okr

    okr.ROUTER.add("sync", sync_command, USAGE_LINE)
    okr.ROUTER.add("source", source_command, SOURCE_LINE, admin=True)
    app.view(Callback.SOURCE)(submit_source)


def source_command(call: Invocation) -> None:
    parts = call.rest.split()
    if len(parts) != 1:
        raise Usage("Name one key result or KPI, like `/okr source KR-7`.")
    who = call.who
    sources: SourceConfig = call.context["settings"].sources
    declared = [(c.name, c.kind) for c in sources.connections.for_team(who.team_id)]
    with unit_of_work(call.db, who) as (session, workspace):
        ref, binding = bindings.binding_to_edit(session, workspace, who.user_id, parts[0])
    view = ui.source_modal(ref, binding, declared, json.dumps({"ref": ref}))
    outbound.open_view(call.client, call.trigger_id, view)


def submit_source(
    ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database, settings: Settings
) -> None:
    """Checked, then (a ready connector) run once outside any transaction within VALIDATE_SECONDS,
    so its number or the provider's error is known before anything is saved; then saved."""
    who = caller(context)
    sources = settings.sources
    spec = parse_source(view, sources.connections, who.team_id)
    try:
        ref = str(json.loads(view.get("private_metadata") or "{}")["ref"])
    except (ValueError, KeyError, TypeError):
        raise Invalid("This form is out of date; run `/okr source` again.") from None
    value = None
    connection = sources.connections.find(spec.connection, who.team_id) if spec is not None else None
    if spec is not None and connection is not None and needs_trial(connection):
        with unit_of_work(db, who) as (session, workspace):
            # Who may bind is checked before the provider is asked anything.
            bindings.binding_to_edit(session, workspace, who.user_id, ref)
            window = window_for(stored_now().date(), workspace.fiscal_year_start_month or 1)
        try:
            value = try_spec(spec, who.team_id, sources, window, timeout=VALIDATE_SECONDS)
        except SourceError as failed:
            message = ui.trial_failed(failed.message)
            raise Invalid(
                message, fields={block_of(failed.field or ui.main_field(connection.kind)): message}
            ) from None
    with unit_of_work(db, who) as (session, workspace):
        # Checked again on submit: the form's private_metadata is only a hint, never trusted.
        bindings.bind_reference(
            session,
            workspace,
            who.user_id,
            ref,
            spec,
            connections=sources.connections,
            max_sources=sources.max_sources,
        )
    ack()
    outbound.dm(
        client, who.user_id, ui.bound_message(ref, spec, connection.kind if connection else None, value)
    )


def sync_command(call: Invocation) -> None:
    parts = call.rest.split()
    if len(parts) != 1:
        raise Usage(ui.USAGE)
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        ref, binding = bindings.binding_to_sync(session, workspace, who.user_id, parts[0])
        binding_id = binding.id if binding is not None else None
    if binding_id is None:
        call.respond(**ui.not_bound_message(ref))
        return
    # The person asking sees the failure here, so no DM; the clock's next failure still tells the owner.
    sources: SourceConfig = call.context["settings"].sources
    # Imported here: the fetchers and database drivers are the clock's; a web worker loads them
    # only when someone syncs by hand (docs/operations.md, "Web process memory").
    from bot.sources.sync import sync_binding

    result = sync_binding(
        call.db, lambda _workspace: call.client, binding_id, stored_now(), config=sources, notify=False
    )
    if result.skipped:
        call.respond(**ui.failed_message(ref, "it is closed or archived"))
    elif not result.ok:
        call.respond(**ui.failed_message(ref, result.error or "unknown error"))
    else:
        call.respond(**ui.synced_message(ref, result.value, result.unit, result.recorded, result.previous))
