"""`/kra report`, `/kra reviewer` and the first week's Home buttons: parse, ack, hand over.

The /kra router acks before it calls a subcommand, so everything here is the slow part: the
pack is gathered, laid out and its chart drawn in this listener's thread, then sent by DM.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.clock import stored_now
from bot.domain.slack_text import parse_user_mention
from bot.errors import NorthlineError, Usage
from bot.ids import Action
from bot.listeners import kra as kra_listener
from bot.listeners import okr as okr_listener
from bot.listeners.common import caller, refresh_member, unit_of_work
from bot.listeners.members import FRESH_MEMBERS
from bot.listeners.router import Invocation
from bot.services import review_pack as service
from bot.ui import kra as kra_ui
from bot.ui import review_pack as ui
from bot.ui.blocks import ephemeral
from bot.ui.kpi_chart import render_kpi_png

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

REPORT_USAGE = (
    "`/kra report [@person] [period]` sends you a KRA review pack by DM: each KRA with its KPIs, the "
    "objectives inside it, check-ins and review decisions, and a chart of the KPIs against their targets. "
    "A period is a quarter (`2026-Q4`), a fiscal year (`FY2026`, `last fiscal year`) or `last 12 months`; "
    "the default is this quarter. E.g. `/kra report @jane last 12 months`."
)
REVIEWER_USAGE = (
    "`/kra reviewer @someone` lets them have your KRA review pack (`/kra report @you`); "
    "`/kra reviewer remove @someone` takes that back; `/kra reviewer` lists yours."
)
USAGE_LINES = (
    "• `/kra report [@person] [period]` — a review pack for a performance conversation, sent by DM",
    "• `/kra reviewer @someone` — let someone (your manager) have your review pack",
)


def register(app: App) -> None:
    """Adds `report` and `reviewer` to the /kra router, and the guide's buttons."""
    kra_listener.ROUTER.add("report", report_command, USAGE_LINES[0])
    kra_listener.ROUTER.add("reviewer", reviewer_command, USAGE_LINES[1])
    app.action(Action.GUIDE_NEW_KRA)(guide_new_kra)
    app.action(Action.GUIDE_ADD_KPIS)(guide_add_kpis)
    app.action(Action.GUIDE_NEW_OBJECTIVE)(guide_new_objective)


def _subject(rest: str, user_id: str) -> tuple[str, str]:
    """("whose pack", "the period's text") from `[@person] [period]`."""
    first, _, after = rest.strip().partition(" ")
    mentioned = parse_user_mention(first)
    if mentioned:
        return mentioned, after.strip()
    if first.lower() in ("me", "mine"):
        return user_id, after.strip()
    return user_id, rest.strip()


def report_command(call: Invocation) -> None:
    who = call.who
    if call.rest.strip().lower() in ("help", "?"):
        call.respond(**ephemeral(REPORT_USAGE))
        return
    person, period_text = _subject(call.rest, who.user_id)
    now = stored_now()
    # The pack's title names them.
    refresh_member(call.db, call.client, who, person, known=call.context.get(FRESH_MEMBERS))
    try:
        with unit_of_work(call.db, who) as (session, workspace):
            requested = service.requested_pack(session, workspace, who.user_id, person, period_text, now)
    except Usage as error:  # the period is not one
        raise Usage(f"{error}\n{REPORT_USAGE}") from None
    pack, tz = requested.pack, requested.tz
    period = pack.period
    own = person == who.user_id
    if not pack.kras:
        whose = "You" if own else f"<@{person}>"
        call.respond(
            **ephemeral(f"{whose} had no KRAs in {period.label}, so there is no review pack to send.")
        )
        return
    messages = ui.pack_messages(pack, tz)
    chart = ui.chart_of(pack)
    png = render_kpi_png(chart) if chart.bars else None
    files = []
    if png is not None:
        files.append(
            {
                "content": png,
                "filename": f"kra-review-{person}-{_slug(period.label)}.png",
                "title": chart.title,
                "alt_txt": chart.title,
                "initial_comment": ui.chart_comment(chart),
            }
        )
    failed = outbound.send_to_dm(
        call.client, who.user_id, messages, files, what=f"send the review pack of {person}"
    )
    if failed:
        raise NorthlineError(
            f"I couldn't send you the review pack (Slack said `{failed}`). Try again in a moment."
        )
    call.respond(**ephemeral(ui.sent_summary(pack, messages, png is not None, own=own)))


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower() or "period"


def reviewer_command(call: Invocation) -> None:
    who = call.who
    words = call.rest.split()
    removing = bool(words) and words[0].lower() in ("remove", "rm", "drop", "delete")
    if removing:
        words = words[1:]
    if not words and not removing:
        with unit_of_work(call.db, who) as (session, workspace):
            named = service.reviewers(session, workspace, who.user_id)
        if not named:
            call.respond(**ephemeral("You have named no reviewer. " + REVIEWER_USAGE))
        else:
            people = ", ".join(f"<@{r}>" for r in named)
            call.respond(
                **ephemeral(
                    f"Your reviewers: {people}. They can have your review pack with `/kra report @you`."
                )
            )
        return
    reviewer = parse_user_mention(words[0]) if len(words) == 1 else None
    if reviewer is None:
        raise Usage(REVIEWER_USAGE)
    with unit_of_work(call.db, who) as (session, workspace):
        if removing:
            changed = service.drop_reviewer(session, workspace, who.user_id, reviewer)
        else:
            changed = service.name_reviewer(session, workspace, who.user_id, reviewer, stored_now())
    if removing:
        text = (
            f"<@{reviewer}> can no longer have your review pack."
            if changed
            else f"<@{reviewer}> was not one of your reviewers; nothing changed."
        )
        call.respond(**ephemeral(text))
        return
    if not changed:
        call.respond(**ephemeral(f"<@{reviewer}> is already one of your reviewers."))
        return
    call.respond(
        **ephemeral(f"<@{reviewer}> can now have your KRA review pack: `/kra report <@{who.user_id}>`.")
    )
    outbound.dm(
        call.client,
        reviewer,
        f"<@{who.user_id}> named you a reviewer of their KRAs. For their review pack, run "
        f"`/kra report <@{who.user_id}> [period]`.",
    )


# --- the first week's buttons on App Home ------------------------------------------------------------


def _button_value(body: dict) -> str:
    return ((body.get("actions") or [{}])[0].get("value") or "").strip()


def guide_new_kra(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    outbound.open_view(
        client,
        body["trigger_id"],
        kra_ui.kra_modal(owner_id=context.user_id, title=_button_value(body)[:150]),
    )


def guide_add_kpis(
    ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext, db: Database
) -> None:
    """Opens the edit form of the KRA the button names, where its KPIs go (same checks as /kra edit)."""
    ack()
    value = _button_value(body)
    if not value.isdigit() or len(value) > 9:
        raise Usage("This button is out of date; run `/kra edit KRA-n` for the KRA that needs KPIs.")
    kra_listener.open_edit(client, db, caller(context), body["trigger_id"], f"KRA-{value}")


def guide_new_objective(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    ack()
    okr_listener.open_objective_modal(client, db, caller(context), body["trigger_id"])
