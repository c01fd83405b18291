"""`/okr export`: the workspace's KRAs, KPIs, objectives, key results and check-ins as a CSV,
sent to the person who asked as a file in their DM with the app.

The /okr router acks and then calls export_command; register(app) adds it to that router.
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot import outbound
from bot.domain.clock import utc_now
from bot.errors import NorthlineError, Usage
from bot.listeners.common import unit_of_work
from bot.listeners.router import Invocation
from bot.services.export import channels_in, export_rows, to_csv, with_channel_names
from bot.slack_client import channel_names
from bot.ui.blocks import ephemeral
from bot.ui.dates import people_date

log = logging.getLogger(__name__)

USAGE = (
    "`/okr export` sends you a CSV of this workspace's KRAs, KPIs, objectives, key results and "
    "check-ins in a DM. It takes no options."
)


USAGE_LINE = "• `/okr export` — a CSV of the workspace's KRAs, KPIs, OKRs and check-ins, sent to you in a DM"


def register(app: App) -> None:
    """Adds `/okr export` to the /okr router (the okr listener owns the command itself)."""
    from bot.listeners import okr

    okr.ROUTER.add("export", export_command, USAGE_LINE)


def export_command(call: Invocation) -> None:
    # The /okr router has acked already; everything here is the slow part.
    if call.rest.strip().lower() not in ("", "csv"):
        raise Usage(USAGE)
    who = call.who
    with unit_of_work(call.db, who) as (session, workspace):
        rows = export_rows(session, workspace)
        team = workspace.team_id
    rows = with_channel_names(rows, channel_names(call.client, channels_in(rows)))
    if not rows:
        call.respond(**ephemeral("There is nothing to export yet: this workspace has no KRAs or objectives."))
        return
    csv_text = to_csv(rows)
    now = utc_now()
    today = now.date().isoformat()  # the file's name sorts by day
    # A file's title and the comment that notifies of it are shown as they are: the plain day.
    day = people_date(now, mrkdwn=False)
    counts = _counts(rows)
    failed = outbound.send_to_dm(
        call.client,
        who.user_id,
        files=[
            {
                "content": csv_text,
                "filename": export_filename(team, today),
                "title": f"Northline export {day}",
                "initial_comment": f"Your Northline export of {day}: {counts}.",
            }
        ],
        what="send the export",
    )
    if failed:
        raise NorthlineError(
            f"I couldn't send you the export (Slack said `{failed}`). Nothing was changed; try again in a moment."
        )
    call.respond(**ephemeral(f"Sent you the export in a DM: {counts}."))


def export_filename(team_id: str, day: str) -> str:
    return f"northline-export-{team_id}-{day}.csv"


def _counts(rows: list[dict]) -> str:
    names = {
        "kra": ("KRA", "KRAs"),
        "kpi": ("KPI", "KPIs"),
        "objective": ("objective", "objectives"),
        "key_result": ("key result", "key results"),
        "check_in": ("check-in", "check-ins"),
    }
    tally = dict.fromkeys(names, 0)
    for row in rows:
        if row["record"] in tally:
            tally[row["record"]] += 1
    return ", ".join(f"{n} {names[k][0] if n == 1 else names[k][1]}" for k, n in tally.items())
