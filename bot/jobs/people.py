"""What the clock knows of a person: Slack's facts (time zone, deactivated, status) cached in
Member, and whether they may be reached today (not deactivated, paused or away).

The cache is fed by user_change events as people change (bot/listeners/events.py), and refreshed
here when older than a day: with users.info for a few people, in users.list pages for many."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.workspaces import MEMBER_MAX_AGE, is_person, member_row
from storage.db import Database
from storage.models import Member, Workspace
from storage.repositories import members as members_repo

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
    refreshed_at: datetime | None = None  # naive UTC: when Slack last told us (users.info or an event)


def unreachable(person: Person, today: date) -> str | None:
    """Why `person` must not be reminded today (deactivated, paused, away), or None."""
    if person.is_deleted:
        return "deactivated"
    if person.paused_until is not None and person.paused_until >= today:
        return f"paused until {person.paused_until}"
    if is_away(person.status_text, person.status_emoji):
        return "shows an away status"
    return None


# users.info is Tier 4 (about 100 calls a minute per workspace), users.list Tier 2 (about 20 pages
# a minute, PAGE_SIZE people each): https://docs.slack.dev/apis/web-api/rate-limits
INFO_PER_MINUTE = 100
LIST_PER_MINUTE = 20
PAGE_SIZE = 200  # Slack recommends asking users.list for no more than 200 at a time
# Up to this many stale people are asked about one by one: fewer calls than a big workspace's pages.
FEW_STALE = 20


def people_facts(
    db: Database, client: WebClient, workspace: Workspace, owners, cached: dict[str, Member] | None = None
) -> dict[str, Person]:
    """Slack's facts for every owner: the cache when younger than a day, else Slack's answer.

    The cache is kept fresh by user_change events; a few stale people are asked about with
    users.info, more than FEW_STALE with users.list pages (see `_list_stale`)."""
    if cached is None:
        with db.session() as session:
            cached = members_repo.members(session, workspace.id, owners)
            session.expunge_all()
    wall_now = _wall_now()
    people: dict[str, Person] = {}
    stale: list[str] = []
    for user_id in owners:
        member = cached.get(user_id)
        if member is not None and timedelta(0) <= wall_now - member.refreshed_at < MEMBER_MAX_AGE:
            people[user_id] = _person(member)
        else:
            stale.append(user_id)
    ask = stale
    if len(stale) > FEW_STALE:
        listed, ask = _list_stale(db, client, workspace, stale, cached)
        people.update(listed)
    people.update(_ask_one_by_one(db, client, workspace, ask, cached, wall_now))
    return people


def refresh(
    db: Database, client: WebClient, workspace: Workspace, user_ids: list[str], cached: dict[str, Member]
) -> dict[str, Person]:
    """Ask Slack again about `user_ids` now, whatever the cache's age (a reminder due today must
    not trust a vacation status read yesterday). Same paths and rate budget as `people_facts`."""
    if not user_ids:
        return {}
    found: dict[str, Person] = {}
    ask = list(user_ids)
    if len(ask) > FEW_STALE:
        found, ask = _list_stale(db, client, workspace, ask, cached)
    found.update(_ask_one_by_one(db, client, workspace, ask, cached, _wall_now()))
    return found


def _list_stale(
    db: Database, client: WebClient, workspace: Workspace, stale: list[str], cached: dict[str, Member]
) -> tuple[dict[str, Person], list[str]]:
    """Refresh many stale people from users.list pages; returns who was refreshed (or kept from a
    stale cache) and who is still to be asked with users.info.

    Every person on a page is stored, not only the stale owners: the page is paid for already, it
    costs one statement whatever its size, and whoever becomes an owner later is then fresh too
    (user_change events keep them so). Paging stops as soon as every stale owner has been seen,
    and once it has cost as much of the workspace's rate limit as asking each one would have, so
    a huge workspace with a few dozen stale owners never pays for all its pages; who was not
    reached by then is asked with users.info. A failing page (after the client's 429 retries)
    keeps what earlier pages stored, and the people not seen yet keep their stale facts."""
    wanted = set(stale)
    budget = max(1, len(stale) * LIST_PER_MINUTE // INFO_PER_MINUTE)  # pages worth `stale` users.info calls
    found: dict[str, Person] = {}
    # An org-wide Grid install's token must say which workspace to list; naming our own is harmless.
    team = {"team_id": workspace.team_id} if workspace.enterprise_id else {}
    cursor: str | None = None
    pages = 0
    complete = failed = False
    while wanted and pages < budget:
        try:
            answer = client.users_list(limit=PAGE_SIZE, cursor=cursor or None, **team)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            log.warning("users.list failed for %s after %d page(s): %s", workspace.team_id, pages, code)
            failed = True
            break
        except Exception as error:  # noqa: BLE001 - a network hiccup: keep what we have
            log.warning(
                "users.list failed for %s after %d page(s): %s",
                workspace.team_id,
                pages,
                type(error).__name__,
            )
            failed = True
            break
        pages += 1
        page_now = _wall_now()
        # Keyed by id: one upsert statement may not touch a row twice (PostgreSQL refuses).
        rows = list(
            {
                user["id"]: member_row(user, page_now)
                for user in answer.get("members") or []
                if isinstance(user, dict) and is_person(user)
            }.values()
        )
        members_repo.upsert_members(
            db, workspace.id, rows
        )  # one statement a page; kept if a later page fails
        for row in rows:
            if row["user_id"] in wanted:
                wanted.discard(row["user_id"])
                member = cached.get(row["user_id"])
                found[row["user_id"]] = _person_from_row(
                    row, member.paused_until if member is not None else None
                )
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            complete = True
            break
    log.info(
        "users.list: %d page(s) for %d stale people in %s, %d not listed",
        pages,
        len(stale),
        workspace.team_id,
        len(wanted),
    )
    ask: list[str] = []
    for user_id in stale:
        if user_id not in wanted:
            continue
        member = cached.get(user_id)
        if (complete or failed) and member is not None:
            # Not listed (or not reached before a failure): only Slack saying "deleted" means gone,
            # so a stale answer beats none.
            found[user_id] = _person(member)
        else:
            ask.append(user_id)  # never seen, or paging stopped at its budget: ask about them alone
    return found, ask


def _ask_one_by_one(
    db: Database,
    client: WebClient,
    workspace: Workspace,
    user_ids: list[str],
    cached: dict[str, Member],
    wall_now: datetime,
) -> dict[str, Person]:
    """users.info for each of a few people; the fresh answers stored in one statement."""
    people: dict[str, Person] = {}
    fresh: list[dict] = []
    for user_id in user_ids:
        member = cached.get(user_id)
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
        row = member_row({**user, "id": user_id}, wall_now)
        fresh.append(row)
        people[user_id] = _person_from_row(row, member.paused_until if member is not None else None)
    members_repo.upsert_members(db, workspace.id, fresh)
    return people


def _wall_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _person_from_row(row: dict, paused_until: date | None) -> Person:
    return Person(
        user_id=row["user_id"],
        tz=row["tz"],
        is_deleted=row["is_deleted"],
        status_text=row["status_text"],
        status_emoji=row["status_emoji"],
        paused_until=paused_until,
        refreshed_at=row.get("refreshed_at"),
    )


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
