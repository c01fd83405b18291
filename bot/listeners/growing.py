"""The buttons of the forms that grow (New objective, New KRA): *Add …* shows one more group,
*More options* shows every group's less used fields. Both redraw the form with views.update; each
form says how it is drawn, this module how a click changes what it shows (forms/state.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import outbound
from bot.forms.state import grown_rows, options_shown, shown_rows
from bot.listeners.common import Caller, caller

if TYPE_CHECKING:
    from storage.db import Database

# The form redrawn from the view as Slack holds it (what was typed is in its state), the groups
# it is to show and whether it shows their options, for the person who clicked.
Redraw = Callable[[dict, int, bool, Caller, "Database"], dict]
Listener = Callable[[Ack, dict, WebClient, BoltContext, "Database"], None]


def buttons(maximum: int, redraw: Redraw) -> tuple[Listener, Listener]:
    """The *Add …* and *More options* listeners of a form that shows up to `maximum` groups."""

    def add_group(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
        """One more group (up to `maximum`), the options shown as they were."""
        ack()
        view = body.get("view") or {}
        _update(
            client, view, redraw(view, grown_rows(view, maximum), options_shown(view), caller(context), db)
        )

    def more_options(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
        """The same groups, each with its options."""
        ack()
        view = body.get("view") or {}
        _update(client, view, redraw(view, shown_rows(view, maximum), True, caller(context), db))

    return add_group, more_options


def _update(client: WebClient, view: dict, redrawn: dict) -> None:
    # Every block keeps its block_id, so Slack keeps what was typed. A second click before the
    # first redraw arrived carries a stale hash: Slack refuses it (hash_conflict) and the form
    # stays as the first click left it.
    outbound.update_view(client, view.get("id"), redrawn, view.get("hash"))
