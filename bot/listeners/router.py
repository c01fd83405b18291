"""One router per slash command (`/kra`, `/okr`, `/sprint`): its subcommands, their aliases and
usage lines are registered in one place, and its help is generated from them.

A subcommand handler takes one Invocation and runs after ack(). Extensions living in other
modules (`/okr export`, `/sprint schedule`, `/kra report`, …) register through the same `add`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.slack_text import split_command, user_text
from bot.listeners.members import FRESH_MEMBERS, refresh_member
from bot.services.members import is_admin
from bot.services.workspaces import Caller, unit_of_work
from bot.ui import help as help_ui
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


def put_caller(context: BoltContext) -> None:
    """Who is asking, from where, put into the context once for every listener."""
    context[CALLER] = caller_of(context)


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
    weekly: list[str] = field(default_factory=list)  # the short help's lines, in order
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, action id) under them
    admin_lines: set[str] = field(default_factory=set)  # shown in `help all` to admins only
    admin_names: set[str] = field(default_factory=set)  # never suggested to others

    def add(
        self,
        name: str,
        handler: Handler,
        usage: str | None = None,
        *aliases: str,
        weekly: bool = False,
        admin: bool = False,
    ) -> None:
        """`name` and its aliases run `handler`; `usage` (one line) joins the help, once.
        `weekly` puts the line in the short help too; `admin` shows it to admins only."""
        for key in (name, *aliases):
            self.handlers[key.lower()] = handler
            if admin:
                self.admin_names.add(key.lower())
        if usage and usage not in self.lines:
            self.lines.append(usage)
        if usage and weekly and usage not in self.weekly:
            self.weekly.append(usage)
        if usage and admin:
            self.admin_lines.add(usage)

    def usage(self, *, admin: bool = True) -> str:
        """Every line (the admins' too unless `admin` is False), as one text."""
        return help_ui.full_help(self.name, self.title, self._lines(admin))["text"]

    def _lines(self, admin: bool) -> list[str]:
        return [line for line in self.lines if admin or line not in self.admin_lines]

    def closest(self, word: str, *, admin: bool) -> str | None:
        names = [n for n in self.handlers if admin or n not in self.admin_names]
        found = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
        return found[0] if found else None

    def help_answer(self, subcommand: str, rest: str, refusal: str | None, admin: bool) -> dict:
        """What to answer when no subcommand runs: a typo's guess, the full list, or the short one."""
        prefix = refusal or ""
        if subcommand not in ("", "help"):
            guess = None if refusal else self.closest(subcommand, admin=admin)
            if guess is not None:
                return help_ui.did_you_mean(self.name, user_text(subcommand, 30), guess)
            prefix = "\n\n".join(
                p for p in (prefix, f"I don't know `{self.name} {user_text(subcommand, 30)}`.") if p
            )
        if subcommand == "help" and rest.strip().lower() == "all":
            return help_ui.full_help(self.name, self.title, self._lines(admin), prefix)
        buttons = [] if refusal else self.buttons
        return help_ui.short_help(self.name, self.title, self.weekly or self.lines, buttons, prefix)

    def _is_admin(self, db: Database, client: WebClient, context: BoltContext) -> bool:
        who = caller_of(context)
        refresh_member(db, client, who, known=context.get(FRESH_MEMBERS))
        with unit_of_work(db, who) as (session, workspace):
            return is_admin(session, workspace, who.user_id)

    def __call__(
        self, ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database
    ) -> None:
        ack()
        subcommand, rest = split_command(command.get("text") or "")
        handler = self.handlers.get(subcommand)
        refusal = self.guard(command) if self.guard is not None else None
        if handler is None:
            # A refused place (a DM for /sprint) stores nothing, not even the workspace.
            admin = False if refusal else self._is_admin(db, client, context)
            outbound.answer(respond, **self.help_answer(subcommand, rest, refusal, admin))
            return
        if refusal:
            outbound.answer(respond, **ephemeral(refusal))
            return
        # Services decide rights from the member cache; bring the caller's row up to date here,
        # after ack() and before any transaction.
        refresh_member(db, client, caller_of(context), known=context.get(FRESH_MEMBERS))
        handler(Invocation(rest, command, outbound.responder(respond), client, context, db))
