"""Answers to /okr schedule, /sprint schedule and /okr pause, and the note to a schedule's setter
when Slack made Northline switch it off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.ui.blocks import (
    context,
    section,
)
from bot.ui.dates import people_moment, plain_dates
from bot.ui.posts import (
    day_name,
    fallback,
)

# --- telling a schedule's setter that it was switched off -----------------------------------------


_REASONS = {
    "channel_not_found": "the channel no longer exists (or I can't see it)",
    "not_in_channel": "I'm no longer a member of the channel",
    "is_archived": "the channel was archived",
    "channel_is_archived": "the channel was archived",
}
_WHAT = {"digest": "weekly digest", "sprint": "sprint-planning prompt"}


def schedule_disabled(kind: str, channel_id: str, error: str) -> dict:
    what = _WHAT.get(kind, f"{kind} posts")
    reason = _REASONS.get(error, f"Slack answered `{error}`")
    fix = f"Invite me back with `/invite @Northline` in <#{channel_id}>, then turn it on again with " + (
        "`/okr schedule digest DAY HH:MM`."
        if kind == "digest"
        else "`/sprint schedule LENGTH_WEEKS DAY HH:MM`."
    )
    text = f"I switched off the {what} of <#{channel_id}>: {reason}. {fix}"
    return {"text": text, "blocks": [section(f":warning: {text}")]}


# --- /okr schedule, /sprint schedule, /okr pause ---------------------------------------------------

OKR_SCHEDULE_USAGE = """*`/okr schedule` — when Northline posts for this channel and reminds people*
• `/okr schedule` — show this channel's weekly digest and the check-in reminder time
• `/okr schedule digest fri 16:00` — this channel's weekly digest (in your time zone)
• `/okr schedule checkin mon 10:00` — the workspace's check-in reminder (each owner's own time)
• `/okr schedule off` — no weekly digest in this channel · `/okr schedule checkin off` — no reminders
Days: mon … sun or full names; times: HH:MM on a 24-hour clock."""

SPRINT_SCHEDULE_USAGE = """*`/sprint schedule` — this channel's sprint cadence*
• `/sprint schedule` — show it
• `/sprint schedule 2 fri 10:00` — two-week sprints; the planning prompt is posted Friday 10:00 of \
the sprint's last week (your time zone)
• `/sprint schedule off` — no planning prompts in this channel
Length: 1 to 4 weeks; days: mon … sun or full names; times: HH:MM on a 24-hour clock."""

PAUSE_USAGE = """*`/okr pause` — no check-in reminders for you while you're away*
• `/okr pause` — until you `/okr resume`
• `/okr pause until 2026-12-24` — up to and including that day
• `/okr resume` — reminders again"""


def when(moment: datetime, tz: ZoneInfo) -> str:
    """The day (bot/ui/dates.py: each reader's Slack words it) and "at 16:00", in `tz`."""
    return people_moment(moment, tz=tz)


def both_times(moment: datetime, channel_tz: ZoneInfo, caller_tz: ZoneInfo) -> str:
    """The same moment in the channel's time and in the caller's."""
    shown = f"{when(moment, channel_tz)} ({channel_tz.key})"
    if (
        channel_tz.key != caller_tz.key
        and moment.astimezone(channel_tz).utcoffset() != moment.astimezone(caller_tz).utcoffset()
    ):
        shown += f" — {when(moment, caller_tz)} your time ({caller_tz.key})"
    elif channel_tz.key != caller_tz.key:
        shown += " — the same time where you are"
    return shown


@dataclass
class ScheduleLine:
    """One schedule, described for a person: what, when (weekly), whether on, and the next post."""

    title: str
    weekly: str  # "Fridays at 16:00 (Europe/London)"
    enabled: bool
    next_post: str | None = None  # both_times(...) of the next occurrence
    note: str = ""  # "default", "switched off: I was removed from the channel", …


def schedule_answer(headline: str, lines: Sequence[ScheduleLine], footer: str = "") -> dict:
    blocks = [section(headline)] if headline else []
    text_lines = [headline] if headline else []
    for line in lines:
        state = "" if line.enabled else " — *off*"
        body = f"*{line.title}*: {line.weekly}{state}"
        if line.note:
            body += f"\n_{line.note}_"
        if line.enabled and line.next_post:
            body += f"\nNext: {line.next_post}"
        blocks.append(section(body))
        text_lines.append(plain_dates(body))
    if footer:
        blocks.append(context(footer))
        text_lines.append(plain_dates(footer))
    return {"response_type": "ephemeral", "text": fallback(text_lines), "blocks": blocks}


def weekly(weekday: int, time_of_day: str, tz_name: str | None = None, *, every_weeks: int = 1) -> str:
    every = (
        f"{day_name(weekday)}s" if every_weeks == 1 else f"every {every_weeks} weeks on {day_name(weekday)}"
    )
    where = f" ({tz_name})" if tz_name else ""
    return f"{every} at {time_of_day}{where}"
