"""`/okr sync KR-n` (or `KPI-n`): read the bound data source now. Added to the /okr router with
`add_subcommand`; the router has acked, so the source's network time is after the ack."""

from __future__ import annotations

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot.errors import Usage
from bot.listeners.common import caller, unit_of_work
from bot.sources import bindings
from bot.sources.sync import sync_binding
from bot.ui import sources as ui
from storage.db import Database
from storage.models import _now

USAGE_LINE = "• `/okr sync KR-7` — read a key result's (or KPI's) data source now"


def register(app: App) -> None:
    from bot.listeners import okr

    okr.add_subcommand("sync", sync_command, USAGE_LINE)


def sync_command(
    rest: str, *, respond: Respond, client: WebClient, context: BoltContext, db: Database, **_
) -> None:
    parts = rest.split()
    if len(parts) != 1:
        raise Usage(ui.USAGE)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        ref, binding = bindings.binding_to_sync(session, client, workspace, who.user_id, parts[0])
        binding_id = binding.id if binding is not None else None
    if binding_id is None:
        respond(**ui.not_bound_message(ref))
        return
    # The person asking sees the failure here, so no DM; the clock's next failure still tells the owner.
    result = sync_binding(db, lambda _workspace: client, binding_id, _now(), notify=False)
    if result.skipped:
        respond(**ui.failed_message(ref, "it is closed or archived"))
    elif not result.ok:
        respond(**ui.failed_message(ref, result.error or "unknown error"))
    else:
        respond(**ui.synced_message(ref, result.value, result.unit, result.recorded, result.previous))
