"""Clicks in the weekly check-in reminder DM: *No change*, a value typed in the message, *Add a
note*, and the confidence choice (read when one of the others is used). Each records through
services/quick_checkins and then updates the message in place, after the commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import outbound
from bot.domain.clock import utc_now
from bot.forms.reminder import origin_of_click, parse_click, parse_snooze
from bot.ids import Action
from bot.listeners import homes
from bot.listeners.buttons import Click, button
from bot.listeners.common import unit_of_work
from bot.services import preferences, quick_checkins
from bot.ui import checkin as checkin_ui
from bot.ui import preferences as preferences_ui
from bot.ui import reminders as reminders_ui

if TYPE_CHECKING:
    from bot.forms.reminder import ReminderOrigin
    from bot.services.quick_checkins import ReminderState


def register(app: App) -> None:
    app.action(Action.REMINDER_SAME)(record_from_reminder)
    app.action(Action.REMINDER_VALUE)(record_from_reminder)
    app.action(Action.REMINDER_NOTE)(open_note_form)
    app.action(Action.REMINDER_CONFIDENCE)(picked_confidence)
    app.action(Action.REMINDER_LATER)(snooze_reminder)
    app.action(Action.REMINDER_TOMORROW)(snooze_reminder)
    app.action(Action.REMINDER_SKIP)(skip_week)


@button
def record_from_reminder(pressed: Click) -> None:
    """*No change* (the same value) or a value typed in the message and sent with Enter."""
    body, client, db, who = pressed.body, pressed.client, pressed.db, pressed.who
    click = parse_click(body)
    with unit_of_work(db, who) as (session, workspace):
        result = quick_checkins.check_in(
            session,
            workspace,
            who.user_id,
            click.key_result_id,
            listed=click.listed,
            message_key=click.message_key,
            value_text=click.value_text,
            confidence=click.confidence,
        )
    shown = (body.get("message") or {}).get("blocks")
    message = reminders_ui.keep_followed(_message(result.state, result.weeks_in_a_row), shown)
    owners = (
        (result.recorded.key_result.owner_id, result.recorded.objective.owner_id) if result.recorded else ()
    )
    outbound.update(client, click.channel_id, click.message_ts, **message)
    if owners:
        homes.refresh(db, client, who, who.user_id, *owners)


@button
def open_note_form(pressed: Click) -> None:
    """*Add a note*: the check-in form with this one key result."""
    body, client, db, who = pressed.body, pressed.client, pressed.db, pressed.who
    click = parse_click(body)
    with unit_of_work(db, who) as (session, workspace):
        form = quick_checkins.note_form(session, workspace, who.user_id, click.key_result_id)
    metadata = origin_of_click(click).metadata()
    view = checkin_ui.checkin_modal(form.data, form.tz, private_metadata=metadata)
    outbound.open_view(client, body["trigger_id"], view)


def redraw(client: WebClient, origin: ReminderOrigin, state: ReminderState) -> None:
    """After a check-in form opened by *Add a note* was recorded: the reminder it came from shows
    what is done now (`state`, read by the form's use case)."""
    outbound.update(client, origin.channel_id, origin.message_ts, **_message(state))


@button
def snooze_reminder(pressed: Click) -> None:
    """*Remind me later today* or *Tomorrow*: this week's reminder comes again then (the planner,
    bot/jobs/reminders.py, sends it); the message says when."""
    client, db, who = pressed.client, pressed.db, pressed.who
    click = parse_snooze(pressed.body)
    with unit_of_work(db, who) as (session, workspace):
        snoozed = preferences.snooze(
            session,
            workspace,
            who.user_id,
            click.period,
            later=click.action == Action.REMINDER_LATER,
            now=utc_now(),
        )
    outbound.update(
        client, click.channel_id, click.message_ts, **preferences_ui.snoozed(snoozed.until, snoozed.tz)
    )


@button
def skip_week(pressed: Click) -> None:
    """*Skip this week*: nothing more about this week's check-in (no snooze, no second nudge)."""
    client, db, who = pressed.client, pressed.db, pressed.who
    click = parse_snooze(pressed.body)
    with unit_of_work(db, who) as (session, workspace):
        preferences.skip_week(session, workspace, who.user_id, click.period, utc_now())
    outbound.update(client, click.channel_id, click.message_ts, **preferences_ui.skipped())


def picked_confidence(ack: Ack) -> None:
    """Nothing to do yet: the row's confidence is read from the message's state on the next click."""
    ack()


def _message(state: ReminderState, weeks_in_a_row: int = 0) -> dict:
    return reminders_ui.checkin_reminder(
        state.key_results,
        week_start=state.week.start,
        tz=state.week.tz,
        synced=state.synced,
        done=state.done,
        gone=state.gone,
        weeks_in_a_row=weeks_in_a_row,
    )
