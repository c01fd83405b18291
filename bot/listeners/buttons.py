"""Buttons and menus outside a router: `@button` does what each of them must do first.

A command's router acks and refreshes the caller's member row before its handler runs; a button
or a row's menu has no router, so `@button` does the same for it: ack(), who is clicking, and
refresh_member (users.info after the ack, outside any transaction, when their row is stale).
The handler then takes one `Click` and does only its own part.

Bolt hands a listener what its parameters name, read from the function's signature: the listener
`@button` returns keeps one fixed signature (no functools.wraps, whose __wrapped__ Bolt would
follow to the handler's), and carries the handler's name and docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.common import Caller, caller, refresh_member

if TYPE_CHECKING:
    from storage.db import Database


@dataclass(frozen=True)
class Click:
    """One click on a button, or one option picked in a menu, by a person whose row is fresh."""

    who: Caller
    body: dict
    action: dict
    respond: Respond
    client: WebClient
    db: Database

    @property
    def trigger_id(self) -> str:
        return self.body["trigger_id"]

    @property
    def value(self) -> str:
        """The button's value ("" when it has none)."""
        return self.action.get("value") or ""

    @property
    def picked(self) -> str:
        """The value of the option picked in a menu ("" when none)."""
        return (self.action.get("selected_option") or {}).get("value") or ""

    @property
    def channel(self) -> dict:
        """The channel of the message clicked ({} on App Home or in a modal)."""
        return self.body.get("channel") or {}

    @property
    def channel_id(self) -> str:
        return self.channel.get("id") or ""


def button(handler: Callable[[Click], None]) -> Callable[..., None]:
    """A Bolt action listener that acks, refreshes the clicker's member row, then calls `handler`."""

    def listener(
        ack: Ack,
        body: dict,
        action: dict,
        respond: Respond,
        client: WebClient,
        context: BoltContext,
        db: Database,
    ) -> None:
        ack()
        who = caller(context)
        refresh_member(db, client, who)  # a button has no router to do it
        handler(Click(who, body, action, respond, client, db))

    listener.__name__ = handler.__name__
    listener.__qualname__ = handler.__qualname__
    listener.__doc__ = handler.__doc__
    listener.__module__ = handler.__module__
    return listener


__all__ = ["Click", "button"]
