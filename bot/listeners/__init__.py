"""Listener modules; each registers its own commands, actions, views and events."""

from slack_bolt import App

from bot.listeners import (
    assistant,
    calendar,
    events,
    export,
    follows,
    kra,
    okr,
    remind,
    reminders,
    review_pack,
    schedule,
    sources,
    sprint,
    tokens,
    workflow_steps,
)
from bot.listeners.common import unescape_command_text
from bot.listeners.router import put_caller


def prepare(body: dict, context: dict) -> None:
    """Before any listener (bot/app.py's PerRequest): the command text as typed, and the caller."""
    unescape_command_text(body)
    put_caller(context)


def register(app: App) -> None:
    kra.register(app)
    review_pack.register(app)  # adds report and reviewer to /kra, and the first week's buttons
    okr.register(app)
    reminders.register(app)  # the one-click check-in in the weekly reminder DM
    export.register(app)  # adds export to /okr
    follows.register(app)  # adds follow and unfollow to /okr, and the Follow button of /okr show
    sprint.register(app)
    schedule.register(app)  # adds schedule/digest/pause/resume to /okr and schedule to /sprint
    calendar.register(app)  # adds settings to /okr
    remind.register(app)  # adds remind to /okr
    tokens.register(app)  # adds token to /okr
    sources.register(app)  # adds sync to /okr
    events.register(app)
    workflow_steps.register(app)  # Workflow Builder custom steps
    assistant.register(app)  # Ask Northline, in the assistant panel
