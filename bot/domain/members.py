"""The member cache's rules: what Slack's user object means to us, when a stored row is too old
to decide from, and whether the person it describes may be reached today (not deactivated, paused
or away). Pure: the row, its age and `now` are given.

Services decide rights and zones from the cached row (bot/services/members.py keeps it);
the listeners ask users.info for one person after ack() when `is_stale` says so
(bot/listeners/members.py), user_change events keep rows without asking, and the background
users.list pass relists a whole workspace ahead of the clock (bot/jobs/people.py, bot/jobs/roster.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MAX_AGE = timedelta(hours=24)  # a row this old is asked for again before a command decides from it
SLACKBOT = "USLACKBOT"
STATUS_TEXT_MAX = 255  # the cache's column sizes
STATUS_EMOJI_MAX = 100


def is_person(user: dict) -> bool:
    """A human member (users.list and user_change also carry bots and Slackbot, never reminded)."""
    return (
        isinstance(user.get("id"), str)
        and bool(user["id"])
        and not user.get("is_bot")
        and user["id"] != SLACKBOT
    )


def is_stale(refreshed_at: datetime | None, now: datetime) -> bool:
    """Whether a row last refreshed at `refreshed_at` (None: never) must be asked for again."""
    return refreshed_at is None or now - refreshed_at >= MAX_AGE


def fresh_until(refreshed_at: datetime) -> datetime:
    """Until when a row refreshed at `refreshed_at` may be decided from without asking again."""
    return refreshed_at + MAX_AGE


def facts(user: dict) -> dict[str, object]:
    """What the cache keeps of a users.info / users.list / user_change user object (its id aside):
    name, time zone, admin flag, deactivation and status."""
    profile = user.get("profile") or {}
    return {
        "name": user.get("real_name") or profile.get("real_name") or user.get("name") or user.get("id"),
        "tz": user.get("tz") or "UTC",
        "tz_offset": int(user.get("tz_offset") or 0),
        "is_admin": bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        "is_deleted": bool(user.get("deleted")),
        "status_text": (profile.get("status_text") or "")[:STATUS_TEXT_MAX],
        "status_emoji": (profile.get("status_emoji") or "")[:STATUS_EMOJI_MAX],
    }


# --- whether a person may be reached today, from the cached facts ---------------------------------

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


DEACTIVATED = "deactivated"  # for good: the engine records it (the others may change by tomorrow)


def unreachable(person: Person, today: date) -> str | None:
    """Why `person` must not be reminded today (deactivated, paused, away), or None."""
    if person.is_deleted:
        return DEACTIVATED
    if person.paused_until is not None and person.paused_until >= today:
        return f"paused until {person.paused_until}"
    if is_away(person.status_text, person.status_emoji):
        return "shows an away status"
    return None
