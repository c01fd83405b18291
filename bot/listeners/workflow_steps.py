"""Northline's Workflow Builder steps (custom steps: manifest.yml `functions`).

Slack sends `function_executed` with the step's inputs and a token for this run; Bolt acks it at
once (auto_acknowledge), Bolt's attaching_function_token middleware puts the run's token on
`client`, and the listener ends every run with `complete(outputs)` or, through the one error
handler (bot/app.py: a typed error becomes `fail(message)`), with functions.completeError. So a run
never hangs: whatever goes wrong, Slack is told, and Slackbot tells whoever ran the workflow.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext, Complete
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import outbound
from bot.domain.references import RefKind, format_ref
from bot.errors import Invalid, NorthlineError
from bot.ids import Step
from bot.listeners import homes
from bot.listeners.common import Caller, caller, refresh_member, unit_of_work
from bot.services import steps
from bot.ui import reminders as reminders_ui
from bot.ui import steps as ui

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}", re.ASCII)


def register(app: App) -> None:
    app.function(Step.CHECKIN)(checkin_step)
    app.function(Step.LOG_KPI)(log_kpi_step)
    app.function(Step.OBJECTIVE_STATUS)(objective_status_step)
    app.function(Step.ASK_CHECKIN)(ask_for_checkin_step)


def _finish(complete: Complete, outputs: dict, done: str) -> None:
    """complete(outputs) once the work is saved; if Slack won't take them, end the run saying what
    did happen (through the error handler: functions.completeError), rather than "nothing changed"."""
    try:
        complete(outputs=outputs)
    except SlackApiError as error:
        code = error.response.get("error", "no answer")
        log.warning("functions.completeSuccess failed: %s", code)
        raise NorthlineError(
            f"{done} was recorded, but Slack did not take this step's outputs ({code}), "
            "so the next steps of the workflow won't have them."
        ) from None


def _text(inputs: dict, name: str) -> str:
    value = inputs.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _starter(inputs: dict) -> str | None:
    """Who started the workflow, when it was started by a person (a link trigger, a button): the
    interactor of the interactivity input. A scheduled or event-triggered workflow has none."""
    interactivity = inputs.get("interactivity")
    if isinstance(interactivity, dict):
        interactor = interactivity.get("interactor") or {}
        if isinstance(interactor, dict) and isinstance(interactor.get("id"), str):
            return interactor["id"]
    return None


def _author(inputs: dict) -> tuple[str, str | None]:
    """(whose check-in or measurement it is, who started the workflow)."""
    starter = _starter(inputs)
    person = _text(inputs, "person").strip() or starter
    if not person:
        raise Invalid(
            "This step doesn't know whose it is: choose a person in the step, or give it "
            "“Who started the workflow” so it uses the person who ran the workflow."
        )
    if not _USER_ID.fullmatch(person):
        # Slack sends a user id here; anything else would be stored and shown as someone's mention.
        raise Invalid(
            "The step's person must be someone in this workspace: choose them in the step's Person field."
        )
    return person, starter


def _know_starter(db: Database, client: WebClient, who: Caller, starter: str | None, author: str) -> None:
    """Rights are decided from the member cache, so refresh the row that decides first, outside the
    transaction: whoever started the workflow for someone else needs that person's rights; with
    nobody present, the named person must still be an active member."""
    if starter is None:
        refresh_member(db, client, who, author)
    elif starter != author:
        refresh_member(db, client, who, starter)


def checkin_step(
    inputs: dict, complete: Complete, client: WebClient, context: BoltContext, db: Database
) -> None:
    author, starter = _author(inputs)
    _know_starter(db, client, caller(context), starter, author)
    with unit_of_work(db, caller(context)) as (session, workspace):
        done = steps.check_in(
            session,
            workspace,
            author_id=author,
            starter_id=starter,
            reference=_text(inputs, "key_result"),
            value_text=_text(inputs, "value"),
            confidence_text=_text(inputs, "confidence"),
            note=_text(inputs, "note"),
            execution_id=context.function_execution_id,
        )
    outputs = ui.checkin_outputs(done.status)
    owners = (done.recorded.key_result.owner_id, done.recorded.objective.owner_id)
    # After the commit: a run reported done is a check-in stored. App Home moves as after
    # /okr checkin, while the run's token is still good.
    homes.refresh(db, client, caller(context), author, *owners)
    _finish(complete, outputs, f"The check-in of {format_ref(RefKind.KR, done.status.key_result.number)}")


def log_kpi_step(
    inputs: dict, complete: Complete, client: WebClient, context: BoltContext, db: Database
) -> None:
    author, starter = _author(inputs)
    _know_starter(db, client, caller(context), starter, author)
    with unit_of_work(db, caller(context)) as (session, workspace):
        kpi, _ = steps.log_kpi(
            session,
            workspace,
            author_id=author,
            starter_id=starter,
            reference=_text(inputs, "kpi"),
            value_text=_text(inputs, "value"),
            note=_text(inputs, "note"),
            execution_id=context.function_execution_id,
        )
    outputs = ui.kpi_outputs(kpi)
    _finish(complete, outputs, f"The measurement of {format_ref(RefKind.KPI, kpi.number)}")


def objective_status_step(inputs: dict, complete: Complete, context: BoltContext, db: Database) -> None:
    with unit_of_work(db, caller(context)) as (session, workspace):
        status = steps.objective_status(session, workspace, _text(inputs, "objective"))
    complete(outputs=ui.objective_outputs(status))


def ask_for_checkin_step(
    inputs: dict, complete: Complete, client: WebClient, context: BoltContext, db: Database
) -> None:
    person = _text(inputs, "person").strip()
    if not person:
        raise Invalid("Choose the person to ask for a check-in in the step's Person field.")
    with unit_of_work(db, caller(context)) as (session, workspace):
        ask = steps.checkin_ask(session, workspace, person)
    count = len(ask.key_results)
    message = None
    if count and ask.unreachable is None:
        message = reminders_ui.checkin_reminder(ask.key_results, week_start=ask.week_start, tz=ask.tz)
    if ask.unreachable is not None:
        complete(outputs=ui.ask_outputs(False, count, f"Not sent: {ask.unreachable}."))
        return
    if message is None:
        complete(outputs=ui.ask_outputs(False, 0, "Not sent: they own no active key results."))
        return
    # the weekly reminder's DM, word for word
    reason = outbound.dm_message(client, person, f"send a check-in request to {person}", **message)
    if reason is not None:
        complete(outputs=ui.ask_outputs(False, count, f"Not sent: Slack said {reason}."))
        return
    _finish(complete, ui.ask_outputs(True, count), "The check-in request")
