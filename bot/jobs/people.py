"""What the clock knows of a person: users.info facts (time zone, deactivated, status) cached in
Member, and whether they may be reached today (not deactivated, paused or away)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.workspaces import MEMBER_MAX_AGE, apply_user_info
from storage.db import Database
from storage.models import Member, Workspace
from storage.repositories import schedules as repo

log = logging.getLogger("northline.jobs.people")

AWAY_EMOJI = frozenset(
    {
        ":palm_tree:",
        ":airplane:",
        ":airplane_departure:",
        ":airplane_arriving:",
        ":small_airplane:",
        ":beach_with_umbrella:",
        ":desert_island:",
        ":luggage:",
        ":face_with_thermometer:",
        ":sick:",
        ":thermometer:",
        ":face_with_head_bandage:",
        ":mask:",
        ":nauseated_face:",
        ":sneezing_face:",
        ":hospital:",
        ":baby:",
        ":vacation:",
        ":ooo:",
        ":out_of_office:",
    }
)
_AWAY_TEXT = re.compile(
    r"\b(vacation\w*|vacay|holidays?|out\s+of\s+(the\s+)?office|o\.?o\.?o|pto|leave|sick|parental|annual\s+leave)\b",
    re.IGNORECASE,
)


def is_away(status_text: str | None, status_emoji: str | None) -> bool:
    """A Slack status that says "not here": a vacation/sick emoji or words like OOO, PTO, leave."""
    emoji = (status_emoji or "").strip().lower()
    if emoji in AWAY_EMOJI:
        return True
    return bool(_AWAY_TEXT.search(status_text or ""))


@dataclass(frozen=True)
class Person:
    """What users.info (cached in Member) says about one person, detached from any session."""

    user_id: str
    tz: str
    is_deleted: bool
    status_text: str
    status_emoji: str
    paused_until: date | None


def unreachable(person: Person, today: date) -> str | None:
    """Why `person` must not be reminded today (deactivated, paused, away), or None."""
    if person.is_deleted:
        return "deactivated"
    if person.paused_until is not None and person.paused_until >= today:
        return f"paused until {person.paused_until}"
    if is_away(person.status_text, person.status_emoji):
        return "shows an away status"
    return None


def people_facts(
    db: Database, client: WebClient, workspace: Workspace, owners, cached: dict[str, Member] | None = None
) -> dict[str, Person]:
    """users.info facts for every owner: the cache when younger than a day, else Slack's answer."""
    if cached is None:
        with db.session() as session:
            cached = repo.members(session, workspace.id, owners)
            session.expunge_all()
    wall_now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    people: dict[str, Person] = {}
    fresh: list[dict] = []
    for user_id in owners:
        member = cached.get(user_id)
        if member is not None and timedelta(0) <= wall_now - member.refreshed_at < MEMBER_MAX_AGE:
            people[user_id] = _person(member)
            continue
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            if code in ("user_not_found", "account_inactive", "user_disabled"):
                user = {"id": user_id, "deleted": True}
            elif member is not None:
                people[user_id] = _person(member)  # a stale answer beats none
                continue
            else:
                log.warning("users.info failed for %s: %s", user_id, code)
                user = {"id": user_id}
        except Exception as error:  # noqa: BLE001 - a network hiccup: use what we have
            log.warning("users.info failed for %s: %s", user_id, type(error).__name__)
            if member is not None:
                people[user_id] = _person(member)
            continue
        target = Member(workspace_id=workspace.id, user_id=user_id)
        apply_user_info(target, user, wall_now)
        fresh.append({c: getattr(target, c) for c in ("user_id", *repo.MEMBER_COLUMNS)})
        people[user_id] = Person(
            user_id=user_id,
            tz=target.tz,
            is_deleted=target.is_deleted,
            status_text=target.status_text,
            status_emoji=target.status_emoji,
            paused_until=member.paused_until if member is not None else None,
        )
    repo.upsert_members(db, workspace.id, fresh)
    return people


def _person(member: Member) -> Person:
    return Person(
        user_id=member.user_id,
        tz=member.tz,
        is_deleted=member.is_deleted,
        status_text=member.status_text,
        status_emoji=member.status_emoji,
        paused_until=member.paused_until,
    )
