"""What the clock knows of a person: Slack's facts (time zone, deactivated, status) cached in
Member, read for planning (whether they may be reached today is bot/domain/members.py's rule).

The cache is fed by user_change events as people change (bot/listeners/events.py), by commands
(bot/listeners/members.py), and by a background users.list pass per workspace (bot/jobs/roster.py
decides when; `refresh_workspace` here does it). Planning reads the cache only."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.clock import stored_now
from bot.domain.members import Person, is_person
from bot.jobs.pacing import Pacer
from bot.services.members import member_row
from storage.db import Database
from storage.models import Member, Workspace
from storage.repositories import members as members_repo

log = logging.getLogger("northline.jobs.people")

# users.list is Tier 2 (about 20 pages a minute per workspace): https://docs.slack.dev/apis/web-api/rate-limits
LIST_METHOD = "users.list"
PAGE_SIZE = 200  # Slack recommends asking users.list for no more than 200 at a time


def people_facts(
    db: Database, workspace: Workspace, owners, cached: dict[str, Member] | None = None
) -> dict[str, Person]:
    """What the database knows of every owner; never a call to Slack (planning asks the database
    only). The rows are kept by user_change events, by commands (bot/listeners/members.py) and by
    the background pass of `refresh_workspace` (bot/jobs/roster.py). Someone never seen yet is
    planned in the workspace's time zone, reachable: a reminder is never held back for Slack."""
    if cached is None:
        with db.session() as session:
            cached = members_repo.members(session, workspace.id, owners)
            session.expunge_all()
    people: dict[str, Person] = {}
    for user_id in owners:
        member = cached.get(user_id)
        people[user_id] = _person(member) if member is not None else never_seen(user_id, workspace)
    return people


def never_seen(user_id: str, workspace: Workspace) -> Person:
    """A person no refresh, event or command has told us of yet: the workspace's zone, reachable."""
    return Person(user_id, workspace.timezone or "UTC", False, "", "", None, None)


@dataclass(frozen=True)
class Pass:
    """What one users.list pass over a workspace came to."""

    pages: int
    people: int
    complete: bool
    error: str | None = None


def refresh_workspace(
    db: Database,
    client: WebClient,
    workspace: Workspace,
    *,
    pacer: Pacer | None = None,
    stop: threading.Event | None = None,
) -> Pass:
    """One users.list pass over the whole workspace, page by page, each page paced by the
    workspace's Tier 2 bucket and stored in one statement (everyone on it, deactivated people
    with ``deleted: true``). A failing page (after the client's 429 retries) ends the pass and
    keeps what earlier pages stored; people not reached keep their facts, however old."""
    # An org-wide Grid install's token must say which workspace to list; naming our own is harmless.
    team = {"team_id": workspace.team_id} if workspace.enterprise_id else {}
    cursor: str | None = None
    pages = people = 0
    while True:
        if pacer is not None and not pacer.wait(workspace.team_id, LIST_METHOD, stop):
            return Pass(pages, people, False, "stopped")
        try:
            answer = client.users_list(limit=PAGE_SIZE, cursor=cursor or None, **team)
        except SlackApiError as error:
            code = (error.response.get("error") if error.response is not None else None) or "unknown_error"
            log.warning("users.list failed for %s after %d page(s): %s", workspace.team_id, pages, code)
            return Pass(pages, people, False, code)
        except Exception as error:  # noqa: BLE001 - a network hiccup: keep what we have
            log.warning(
                "users.list failed for %s after %d page(s): %s",
                workspace.team_id,
                pages,
                type(error).__name__,
            )
            return Pass(pages, people, False, type(error).__name__)
        pages += 1
        page_now = stored_now()
        # Keyed by id: one upsert statement may not touch a row twice (PostgreSQL refuses).
        rows = list(
            {
                user["id"]: member_row(user, page_now)
                for user in answer.get("members") or []
                if isinstance(user, dict) and is_person(user)
            }.values()
        )
        members_repo.upsert_members(db, workspace.id, rows)  # one statement a page
        people += len(rows)
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            log.info("users.list: %d page(s), %d people in %s", pages, people, workspace.team_id)
            return Pass(pages, people, True)


def _person(member: Member) -> Person:
    return Person(
        user_id=member.user_id,
        tz=member.tz,
        is_deleted=member.is_deleted,
        status_text=member.status_text,
        status_emoji=member.status_emoji,
        paused_until=member.paused_until,
        refreshed_at=member.refreshed_at,
    )
