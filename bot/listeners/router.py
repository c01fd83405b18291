"""One router per slash command (`/kra`, `/okr`, `/sprint`): its subcommands, their aliases and
usage lines are registered in one place, and its help is generated from them.

A subcommand handler takes one Invocation and runs after ack(). Extensions living in other
modules (`/okr export`, `/sprint schedule`, `/kra report`, …) register through the same `add`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.slack_text import split_command, user_text
from bot.listeners.members import FRESH_MEMBERS, refresh_member
from bot.services.workspaces import Caller
from bot.ui.blocks import ephemeral

if TYPE_CHECKING:
    from storage.db import Database

CALLER = "caller"  # the context key the caller middleware fills


def caller_of(context: BoltContext) -> Caller:
    known = context.get(CALLER)
    if isinstance(known, Caller):
        return known
    return Caller(
        team_id=context.team_id or "",
        enterprise_id=context.enterprise_id,
        user_id=context.user_id or "",
        channel_id=context.channel_id,
    )


def put_caller(context: BoltContext, next: Callable[[], Any]) -> None:  # noqa: A002 - Bolt's name
    """Middleware: who is asking, from where, put into the context once for every listener."""
    context[CALLER] = caller_of(context)
    next()


@dataclass(frozen=True)
class Invocation:
    """One run of a subcommand: what followed its name, who asked, and how to answer."""

    rest: str
    command: dict
    respond: Respond
    client: WebClient
    context: BoltContext
    db: Database

    @property
    def who(self) -> Caller:
        return caller_of(self.context)

    @property
    def channel_id(self) -> str:
        return self.command.get("channel_id") or ""

    @property
    def trigger_id(self) -> str:
        return self.command["trigger_id"]


Handler = Callable[[Invocation], None]
# Runs before any subcommand (help included); returns a message that ends the run, e.g. "not in a DM".
Guard = Callable[[dict], str | None]


@dataclass
class Router:
    name: str  # "/kra"
    title: str  # the help's first line
    handlers: dict[str, Handler] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    guard: Guard | None = None

    def add(self, name: str, handler: Handler, usage: str | None = None, *aliases: str) -> None:
        """`name` and its aliases run `handler`; `usage` (one line) joins the help, once."""
        for key in (name, *aliases):
            self.handlers[key.lower()] = handler
        if usage and usage not in self.lines:
            self.lines.append(usage)

    def usage(self) -> str:
        return "\n".join([self.title, *self.lines, f"• `{self.name} help` — this text"])

    def __call__(
        self, ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database
    ) -> None:
        ack()
        subcommand, rest = split_command(command.get("text") or "")
        handler = self.handlers.get(subcommand)
        refusal = self.guard(command) if self.guard is not None else None
        if handler is None:
            prefix = refusal + "\n\n" if refusal else ""
            if subcommand not in ("", "help"):
                prefix += f"I don't know `{self.name} {user_text(subcommand, 30)}`.\n"
            outbound.answer(respond, **ephemeral(prefix + self.usage()))
            return
        if refusal:
            outbound.answer(respond, **ephemeral(refusal))
            return
        # Services decide rights from the member cache; bring the caller's row up to date here,
        # after ack() and before any transaction.
        refresh_member(db, client, caller_of(context), known=context.get(FRESH_MEMBERS))
        handler(Invocation(rest, command, outbound.responder(respond), client, context, db))
