"""The member cache's rules: what Slack's user object means to us, and when a stored row is too
old to decide from. Pure: the row's age and `now` are given.

Services decide rights and zones from the cached row (bot/services/members.py keeps it);
the listeners ask users.info for one person after ack() when `is_stale` says so
(bot/listeners/members.py), user_change events keep rows without asking, and the background
users.list pass relists a whole workspace ahead of the clock (bot/jobs/people.py, bot/jobs/roster.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
