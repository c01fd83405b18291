"""`/okr schedule`, `/okr digest`, `/okr pause`, `/okr resume` and `/sprint schedule`.

These are subcommands of /okr and /sprint; ``register(app)`` adds them to those commands'
routers (idempotent). Every handler takes one Invocation (listeners/router.py) and runs after ack().

Every answer shows the resulting schedule in the channel's time and in the caller's. Anything
that does not parse (``/okr schedule digest funday 25:00``) is answered with the usage and
changes nothing.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from slack_bolt import App

from bot import outbound
from bot.domain.channels import is_team_channel
from bot.domain.clock import utc_now
from bot.domain.schedule_time import (
    CHECKIN_DEFAULT,
    DIGEST_DEFAULT,
    SPRINT_PROMPT_TIME,
    WeeklySlot,
    WorkCalendar,
    format_time,
    next_occurrence,
    parse_time,
    parse_weekday,
    workspace_digest_slot,
    zone,
)
from bot.errors import Invalid, Usage
from bot.listeners.common import unit_of_work
from bot.listeners.router import Invocation
from bot.services import schedules
from bot.services.schedules import ScheduleKind
from bot.ui import schedules as schedules_ui
from bot.ui.blocks import ephemeral
from bot.ui.dates import people_date

if TYPE_CHECKING:
    from bot.jobs.digest import DigestNowResult
    from storage.models import Schedule, Workspace

log = logging.getLogger(__name__)

PAUSE_FOREVER = date(9999, 12, 31)
MAX_SPRINT_WEEKS = 4


def register(app: App) -> None:
    """Adds the subcommands to /okr and /sprint (their listeners own the commands themselves)."""
    from bot.listeners import okr, sprint

    for name, handler in okr_subcommands().items():
        okr.ROUTER.add(name, handler, OKR_USAGE_LINES.get(name))
    sprint.ROUTER.add("schedule", sprint_schedule, SPRINT_USAGE_LINE)


def okr_subcommands() -> dict:
    return {"schedule": okr_schedule, "digest": okr_digest, "pause": okr_pause, "resume": okr_resume}


SPRINT_USAGE_LINE = "• `/sprint schedule [LENGTH_WEEKS DAY HH:MM | off]` — the channel's sprint cadence"
OKR_USAGE_LINES = {
    "schedule": "• `/okr schedule [digest DAY HH:MM | checkin DAY HH:MM | off]` — when digests and reminders go out",
    "digest": "• `/okr digest [again]` — post this channel's digest now",
    "pause": "• `/okr pause [until YYYY-MM-DD]` · `/okr resume` — pause your reminders while you're away",
}


# --- /okr schedule --------------------------------------------------------------------------------


def okr_schedule(call: Invocation) -> None:
    channel_id = call.channel_id
    change, headline = _okr_schedule_change(call.rest, channel_id)
    who = call.who
    here = channel_id if is_team_channel(channel_id) else None
    with unit_of_work(call.db, who) as (session, workspace):
        shown = schedules.okr_schedule(session, workspace, who.user_id, here, change)
    outbound.announce(call.client, shown.told)
    call.respond(**_okr_schedule_answer(shown.view, workspace, here, headline))


def _okr_schedule_change(rest: str, channel_id: str) -> tuple[schedules.ScheduleChange | None, str]:
    """`/okr schedule`'s words → (the change asked for, None to just show; the answer's headline)."""
    words = rest.split()
    lowered = [w.lower() for w in words]
    if lowered in ([], ["show"]):
        return None, ""
    if lowered in (["off"], ["digest", "off"]):
        _require_channel(channel_id, "/okr schedule off")
        off = schedules.ScheduleChange(
            ScheduleKind.DIGEST, channel_id=channel_id, off=True, default=(*DIGEST_DEFAULT, None)
        )
        return off, (
            f"No more weekly digests in <#{channel_id}>. `/okr schedule digest fri 16:00` turns them back on."
        )
    if lowered in (["checkin", "off"], ["check-in", "off"]):
        off = schedules.ScheduleChange(ScheduleKind.CHECKIN, off=True, default=(*CHECKIN_DEFAULT, None))
        return off, (
            "No more weekly check-in reminders in this workspace. "
            "`/okr schedule checkin mon 10:00` turns them back on."
        )
    if len(lowered) == 3 and lowered[0] in ("digest", "checkin", "check-in"):
        weekday, time_of_day = _day_and_time(words[1], words[2], schedules_ui.OKR_SCHEDULE_USAGE)
        if lowered[0] == "digest":
            _require_channel(channel_id, "/okr schedule digest")
            digest = schedules.ScheduleChange(
                ScheduleKind.DIGEST, weekday, time_of_day, channel_id=channel_id
            )
            return digest, f"The weekly digest of <#{channel_id}> is set."
        checkin = schedules.ScheduleChange(ScheduleKind.CHECKIN, weekday, time_of_day)
        return checkin, "The weekly check-in reminder is set."
    raise Usage(_usage_prefix(rest, "/okr schedule") + schedules_ui.OKR_SCHEDULE_USAGE)


def _okr_schedule_answer(
    view: schedules.OkrScheduleView, workspace: Workspace, here: str | None, headline: str
) -> dict:
    now = utc_now()
    caller_tz = view.reader_tz
    calendar = WorkCalendar.of_workspace(workspace)
    lines = []
    if here:
        lines.append(_digest_line(view.digest, workspace, calendar, caller_tz, now, here))
    lines.append(_checkin_line(view.checkin, calendar, caller_tz, now))
    paused = view.paused_until
    footer = ""
    if paused is not None and paused >= now.astimezone(caller_tz).date():
        footer = "Your own reminders are paused " + (
            "until you `/okr resume`." if paused == PAUSE_FOREVER else f"until {people_date(paused)}."
        )
    return schedules_ui.schedule_answer(headline, lines, footer)


def _digest_line(
    row: Schedule | None, workspace: Workspace, calendar, caller_tz, now, channel_id
) -> schedules_ui.ScheduleLine:
    if row is None:
        tz = zone(workspace.timezone)
        weekday, time_of_day = workspace_digest_slot(workspace.digest_weekday, workspace.digest_time)
        note = "the workspace's default (`/okr settings`), for channels with objectives"
        enabled = True
    else:
        tz = zone(row.timezone, workspace.timezone)
        weekday, time_of_day, enabled = row.weekday, row.time_of_day, row.enabled
        note = "" if row.enabled else _switched_off(row.paused_reason)
        if row.enabled and row.set_by:
            note = f"set by <@{row.set_by}>"
    upcoming = next_occurrence(WeeklySlot(weekday, time_of_day, tz.key), calendar, now)
    return schedules_ui.ScheduleLine(
        title=f"Weekly digest in <#{channel_id}>",
        weekly=schedules_ui.weekly(weekday, time_of_day, tz.key),
        enabled=enabled,
        next_post=schedules_ui.both_times(upcoming.due, tz, caller_tz),
        note=note,
    )


def _checkin_line(row: Schedule | None, calendar, caller_tz, now) -> schedules_ui.ScheduleLine:
    weekday, time_of_day = (row.weekday, row.time_of_day) if row else CHECKIN_DEFAULT
    enabled = row.enabled if row else True
    upcoming = next_occurrence(WeeklySlot(weekday, time_of_day, caller_tz.key), calendar, now)
    note = "" if enabled else "switched off"
    return schedules_ui.ScheduleLine(
        title="Check-in reminders",
        weekly=schedules_ui.weekly(weekday, time_of_day) + ", in each owner's own time zone",
        enabled=enabled,
        next_post=f"{schedules_ui.when(upcoming.due, caller_tz)} your time ({caller_tz.key})",
        note=note,
    )


# --- /sprint schedule -----------------------------------------------------------------------------


def sprint_schedule(call: Invocation) -> None:
    channel_id = call.channel_id
    _require_channel(channel_id, "/sprint schedule")
    change, headline = _sprint_schedule_change(call.rest, channel_id)
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        shown = schedules.sprint_schedule(session, workspace, who.user_id, channel_id, change, utc_now())
    outbound.announce(call.client, shown.told)
    call.respond(**_sprint_schedule_answer(shown.view, workspace, channel_id, headline))


def _sprint_schedule_change(rest: str, channel_id: str) -> tuple[schedules.ScheduleChange | None, str]:
    """`/sprint schedule`'s words → (the change asked for, None to just show; the headline)."""
    words = rest.split()
    lowered = [w.lower() for w in words]
    if lowered in ([], ["show"]):
        return None, ""
    if lowered == ["off"]:
        off = schedules.ScheduleChange(
            ScheduleKind.SPRINT, channel_id=channel_id, off=True, default=(5, SPRINT_PROMPT_TIME, 2)
        )
        return off, f"No more sprint-planning prompts in <#{channel_id}>."
    if len(words) == 3:
        length = words[0].lower().removesuffix("w").removesuffix("weeks").removesuffix("week")
        if not length.isdigit() or not 1 <= int(length) <= MAX_SPRINT_WEEKS:
            raise Usage(
                f"Sprints last 1 to {MAX_SPRINT_WEEKS} weeks; “{words[0][:20]}” isn't one of those.\n\n"
                + schedules_ui.SPRINT_SCHEDULE_USAGE
            )
        weekday, time_of_day = _day_and_time(words[1], words[2], schedules_ui.SPRINT_SCHEDULE_USAGE)
        cadence = schedules.ScheduleChange(
            ScheduleKind.SPRINT, weekday, time_of_day, channel_id=channel_id, length_weeks=int(length)
        )
        return cadence, f"The sprint cadence of <#{channel_id}> is set."
    raise Usage(_usage_prefix(rest, "/sprint schedule") + schedules_ui.SPRINT_SCHEDULE_USAGE)


def _sprint_schedule_answer(
    view: schedules.SprintScheduleView, workspace: Workspace, channel_id: str, headline: str
) -> dict:
    row, upcoming, caller_tz = view.cadence, view.upcoming, view.reader_tz
    if row is None:
        tz = zone(workspace.timezone)
        line = schedules_ui.ScheduleLine(
            title=f"Sprint-planning prompt in <#{channel_id}>",
            weekly=f"on the last day of each sprint at {SPRINT_PROMPT_TIME} ({tz.key})",
            enabled=True,
            note="no cadence set: prompts follow the sprints started with `/sprint start`",
        )
    else:
        tz = zone(row.timezone, workspace.timezone)
        line = schedules_ui.ScheduleLine(
            title=f"Sprint-planning prompt in <#{channel_id}>",
            weekly=f"{row.length_weeks or 2}-week sprints; prompt "
            + schedules_ui.weekly(row.weekday, row.time_of_day, tz.key, every_weeks=row.length_weeks or 2),
            enabled=row.enabled,
            note=(_switched_off(row.paused_reason) if not row.enabled and row.paused_reason else ""),
        )
    if upcoming.cadence is not None:
        line.next_post = schedules_ui.both_times(upcoming.cadence, tz, caller_tz)
    lines = [line]
    if upcoming.sprint_ends_on is not None:
        ends = upcoming.sprint_ends_on
        sprint_line = schedules_ui.ScheduleLine(
            title=f"Active sprint `{upcoming.sprint_ref}`",
            weekly=f"ends {people_date(ends)}; its planning prompt comes on its last work day",
            enabled=True,
        )
        if upcoming.sprint_prompt is not None:
            sprint_line.next_post = schedules_ui.both_times(upcoming.sprint_prompt, tz, caller_tz)
        lines.append(sprint_line)
    return schedules_ui.schedule_answer(headline, lines)


# --- /okr pause, /okr resume ----------------------------------------------------------------------


def okr_pause(call: Invocation) -> None:
    words = call.rest.split()
    if words and words[0].lower() == "until":
        words = words[1:]
        if not words:
            raise Usage(schedules_ui.PAUSE_USAGE)
    if len(words) > 1:
        raise Usage(schedules_ui.PAUSE_USAGE)
    until = PAUSE_FOREVER
    if words:
        try:
            until = date.fromisoformat(words[0])
        except ValueError:
            raise Usage(
                f"“{words[0][:20]}” is not a date like 2026-12-24.\n\n" + schedules_ui.PAUSE_USAGE
            ) from None
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        schedules.pause(session, workspace, who.user_id, until, utc_now())
    if until == PAUSE_FOREVER:
        text = "Your check-in reminders are paused until you `/okr resume`."
    else:
        text = f"Your check-in reminders are paused up to and including {people_date(until)}. `/okr resume` ends the pause early."
    call.respond(**ephemeral(text))


def okr_resume(call: Invocation) -> None:
    if call.rest.strip():
        raise Usage(schedules_ui.PAUSE_USAGE)
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        resumed = schedules.okr_resume(session, workspace, who.user_id)
    text = (
        "Welcome back: your check-in reminders are on again."
        if resumed.was_paused
        else "Your reminders weren't paused; nothing changed."
    )
    call.respond(**_okr_schedule_answer(resumed.view, workspace, None, text))


# --- /okr digest ------------------------------------------------------------------------------------


DIGEST_AGAIN = "again"


def okr_digest(call: Invocation) -> None:
    """Posts the channel's digest now; when one already went out this week, asks first (the
    second word `again` confirms) and says when the last one went."""
    again = call.rest.strip().lower() == DIGEST_AGAIN
    if call.rest.strip() and not again:
        raise Usage(
            "`/okr digest` posts this channel's digest now; `/okr digest again` posts it even when "
            "this week's already went out."
        )
    channel_id = call.channel_id
    _require_channel(channel_id, "/okr digest")
    who = call.who
    now = utc_now()
    with unit_of_work(call.db, who) as (session, workspace):
        workspace_id = workspace.id
        ask = schedules.digest_ask(session, workspace, who.user_id, channel_id, now)
    if ask.this_week and not again:
        call.respond(
            **ephemeral(
                f"<#{channel_id}>'s digest already went out this week, {schedules_ui.when(ask.last_at, ask.reader_tz)} your time. "
                f"`/okr digest again` posts another one now."
            )
        )
        return
    # Imported here: the delivery engine and charts are the clock's and the workers'; a web worker
    # loads them only when someone asks for a digest now (docs/operations.md, "Web process memory").
    from bot.jobs import digest

    result = digest.post_digest_now(call.db, call.client, workspace_id, channel_id, requested_by=who.user_id)
    call.respond(**ephemeral(_digest_now_text(result)))


def _digest_now_text(result: DigestNowResult) -> str:
    from bot.jobs.digest import DigestNow  # loaded already: okr_digest imported it to post

    channel = f"<#{result.channel_id}>"
    match result.outcome:
        case DigestNow.POSTED:
            return f"Posted the digest in {channel}."
        case DigestNow.POSTED_IN_PART:
            return (
                f"Posted the digest in {channel}, but Slack refused {result.refused_replies} of its thread "
                f"replies ({result.error}), so part of the details are missing."
            )
        case DigestNow.NOTHING_TO_DIGEST:
            return (
                f"{channel} has no active objectives yet, so there is nothing to digest. `/okr new` adds one."
            )
        case DigestNow.NOT_IN_CHANNEL:
            return f"I can't post in {channel}: invite me with `/invite @Northline` first."
    return f"Slack didn't take the digest ({result.error}); nothing was posted. Try again in a minute."


# --- parsing helpers ----------------------------------------------------------------------------------


def _day_and_time(day: str, time_text: str, usage: str) -> tuple[int, str]:
    problems = []
    weekday = time_of_day = None
    try:
        weekday = parse_weekday(day)
    except ValueError as error:
        problems.append(str(error))
    try:
        time_of_day = format_time(parse_time(time_text))
    except ValueError as error:
        problems.append(str(error))
    if problems:
        raise Usage(". ".join(problems) + ".\n\n" + usage)
    return weekday, time_of_day  # type: ignore[return-value]


def _usage_prefix(rest: str, command: str) -> str:
    shown = rest.strip()[:40]
    return f"I don't understand `{command} {shown}`.\n\n" if shown else ""


def _require_channel(channel_id: str, what: str) -> None:
    if not is_team_channel(channel_id):
        raise Invalid(f"Run `{what}` in the team's channel; a direct message has no digest or sprints.")


def _switched_off(reason: str | None) -> str:
    """ "switched off by @bob", "switched off: Slack answered not_in_channel": said once."""
    if not reason:
        return "switched off"
    return reason if reason.startswith("switched off") else f"switched off: {reason}"
