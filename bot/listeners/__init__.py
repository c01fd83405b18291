"""Listener modules; each registers its own commands, actions, views and events."""

from slack_bolt import App

from bot.listeners import events, export, kra, okr, schedule, sprint


def register(app: App) -> None:
    kra.register(app)
    okr.register(app)
    export.register(app)  # adds export to /okr
    sprint.register(app)
    schedule.register(app)  # adds schedule/digest/pause/resume to /okr and schedule to /sprint
    events.register(app)
