"""The workspace settings modal (`/okr settings`): editable for admins, read-only for others."""

from __future__ import annotations

from slack_sdk.models.blocks import CheckboxesElement, Option

from bot.domain.calendar import (
    holiday_country_names,
    holiday_region_names,
    matching_countries,
    matching_regions,
)
from bot.domain.cycles import MONTHS
from bot.domain.schedule_time import WEEKDAYS
from bot.domain.switches import AI_ANSWERS, OWNER_SOURCES, UNATTENDED_STEPS
from bot.domain.zones import matching_zones, zone_city
from bot.ids import Action, Block, Callback
from bot.ids import Option as Choice
from bot.ui.blocks import context, plain_text, section
from bot.ui.inputs import _input, modal, select_input
from bot.ui.preferences import muted_counts

_DAYS = [(str(i), name.capitalize()) for i, name in enumerate(WEEKDAYS, start=1)]


def _work_days(initial: tuple[int, ...]) -> dict:
    options = [Option(value=value, text=label) for value, label in _DAYS]
    chosen = [option for option in options if int(option.value) in set(initial)]
    element = CheckboxesElement(
        action_id=Action.INPUT, options=options, initial_options=chosen or None
    ).to_dict()
    # Optional for Slack so that an empty week reaches us and gets its message under the field.
    return _input(
        Block.SET_WORK_DAYS,
        "Work week",
        element,
        optional=True,
        hint="Days off move reminders to the next work day.",
    )


def _switch(block_id: str, label: str, option: str, on: bool, hint: str) -> dict:
    """One checkbox that is the whole field: ticked is on. Optional for Slack, so that unticking
    it submits (an empty list) rather than being refused."""
    box = Option(value=Choice.ON, text=option)
    element = CheckboxesElement(action_id=Action.INPUT, options=[box], initial_options=[box] if on else None)
    return _input(block_id, label, element.to_dict(), optional=True, hint=hint)


def _guard_rails(settings) -> list[dict]:
    return [
        _switch(
            Block.SET_OWNER_SOURCES,
            "Data sources",
            OWNER_SOURCES,
            settings.owners_may_bind_sources,
            "Off: only workspace admins connect key results and KPIs to the data sources "
            "the server's operator declared.",
        ),
        _switch(
            Block.SET_UNATTENDED_STEPS,
            "Workflow steps",
            UNATTENDED_STEPS,
            settings.unattended_steps_allowed,
            "Off: a workflow started by nobody (scheduled, or by an event) can't check in or log KPIs. "
            "On: it may, for the person it names, on their own key results and KPIs only, and shows as "
            "by workflow.",
        ),
        _switch(
            Block.SET_AI,
            "Language model",
            AI_ANSWERS,
            settings.ai_enabled,
            "Used only if the server's operator declared one. Off: Ask Northline answers from the data "
            "alone and sends nothing to a model.",
        ),
    ]


def _time_input(block_id: str, label: str, initial: str, hint: str) -> dict:
    """A time of day as Slack's own time picker (it submits `selected_time`, "HH:MM")."""
    hh, mm = initial.split(":")
    element = {"type": "timepicker", "action_id": Action.INPUT, "initial_time": f"{int(hh):02d}:{mm}"}
    return _input(block_id, label, element, optional=False, hint=hint)


def zone_option(zone: str) -> dict:
    """One time zone as people know it: "London (Europe/London)"; a bare name ("UTC") as is."""
    city = zone_city(zone)
    label = zone if city == zone else f"{city} ({zone})"
    return {"text": plain_text(label[:75]), "value": zone}


def zone_options(query: str) -> dict:
    """The answer to the time zone picker's options request: the zones matching what was typed."""
    return {"options": [zone_option(zone) for zone in matching_zones(query)]}


def _zone_picker(initial: str) -> dict:
    """Starts at `initial`; its options come from zone_options as the admin types a city."""
    element = {
        "type": "external_select",
        "action_id": Action.PICK_TIMEZONE,
        "placeholder": plain_text("Type a city, like London"),
        "initial_option": zone_option(initial),
        "min_query_length": 0,
    }
    hint = "Channel digests and sprint prompts use it unless a channel sets its own."
    return _input(Block.SET_TIMEZONE, "Time zone", element, optional=False, hint=hint)


_NO_HOLIDAYS = "No public holidays"
_WHOLE_COUNTRY = "The whole country"


def _choice(label: str, value: str) -> dict:
    return {"text": plain_text(label[:75]), "value": value}


def country_option(country: str) -> dict:
    return _choice(holiday_country_names().get(country, country), country)


def region_option(country: str, region: str) -> dict:
    """A region with its country, since the list may hold other countries' regions too:
    "England (United Kingdom)"; its value names both ("GB-ENG")."""
    name = holiday_region_names(country).get(region, region)
    return _choice(f"{name} ({holiday_country_names().get(country, country)})", f"{country}-{region}")


def country_options(query: str) -> dict:
    """The holiday country picker's options: countries by name (or code) for what was typed, and
    "No public holidays" first when nothing is typed. Slack refuses an empty list, so when
    nothing matches it is the list for nothing typed."""
    countries = matching_countries(query)
    if not countries:
        return country_options("")
    first = [_choice(_NO_HOLIDAYS, Choice.NONE)] if not query.strip() else []
    return {"options": first + [country_option(code) for code in countries]}


def region_options(query: str, country: str | None) -> dict:
    """The holiday region picker's options: `country`'s regions by name first, then other
    countries' that match what was typed; "The whole country" first when nothing is typed."""
    regions = matching_regions(query, country)
    first = [_choice(_WHOLE_COUNTRY, Choice.NONE)] if not query.strip() or not regions else []
    return {"options": first + [region_option(c, r) for c, r in regions]}


def _country_picker(country: str | None) -> dict:
    element = {
        "type": "external_select",
        "action_id": Action.PICK_HOLIDAY_COUNTRY,
        "placeholder": plain_text("Type a country, like New Zealand"),
        "min_query_length": 0,
    }
    if country:
        element["initial_option"] = country_option(country)
    hint = f"Its public holidays move reminders to the next work day. “{_NO_HOLIDAYS}”: none."
    block = _input(Block.SET_HOLIDAY_COUNTRY, "Holiday calendar: country", element, optional=True, hint=hint)
    # A country picked sends an action: the form is redrawn so that the region list follows it.
    block["dispatch_action"] = True
    return block


def _region_picker(country: str | None, region: str | None) -> dict:
    element = {
        "type": "external_select",
        "action_id": Action.PICK_HOLIDAY_REGION,
        "placeholder": plain_text("Type a region, like England"),
        "min_query_length": 0,
    }
    if country and region:
        element["initial_option"] = region_option(country, region)
    hint = (
        "A part of the country with public holidays of its own (England, California, Bayern). "
        "Empty or “The whole country”: the country's holidays."
    )
    return _input(Block.SET_HOLIDAY_REGION, "Holiday calendar: region", element, optional=True, hint=hint)


def settings_modal(view, zone: str | None = None) -> dict:
    """`view` is bot.services.calendar.View: the settings, whether editable, the admins; `zone`
    is where the time zone picker starts (domain.zones.starting_zone), else the settings'."""
    settings = view.settings
    if not view.editable:
        lines = "\n".join(f"*{label}:* {value}" for label, value in settings.described())
        admins = ", ".join(f"<@{a}>" for a in view.admins[:10]) or "a workspace admin"
        return modal(
            Callback.SETTINGS,
            "Workspace settings",
            [section(lines), context(f"Only workspace admins can change these: {admins}.")],
            submit=None,
        )
    blocks = [
        _zone_picker(zone or settings.timezone),
        _work_days(settings.work_days),
        _country_picker(settings.holiday_country),
        _region_picker(settings.holiday_country, settings.holiday_subdivision),
        select_input(
            Block.SET_FISCAL_MONTH,
            "Fiscal year starts in",
            [(str(i), name) for i, name in enumerate(MONTHS, start=1)],
            initial=str(settings.fiscal_year_start_month),
            hint="Quarters follow it: April makes Q1 April–June.",
        ),
        select_input(
            Block.SET_CHECKIN_DAY, "Check-in reminder: day", _DAYS, initial=str(settings.checkin_weekday)
        ),
        _time_input(
            Block.SET_CHECKIN_TIME,
            "Check-in reminder: time",
            settings.checkin_time,
            "In each owner's own time zone.",
        ),
        select_input(
            Block.SET_DIGEST_DAY,
            "Channel digest by default: day",
            _DAYS,
            initial=str(settings.digest_weekday),
        ),
        _time_input(
            Block.SET_DIGEST_TIME,
            "Channel digest by default: time",
            settings.digest_time,
            "In the workspace's time zone, for channels that set no digest time of their own.",
        ),
        *_guard_rails(settings),
    ]
    if view.muted:
        blocks.append(context(muted_counts(view.muted)))
    # The region picker's options request reads the country from here (Slack sends no state then).
    return modal(
        Callback.SETTINGS,
        "Workspace settings",
        blocks,
        submit="Save",
        private_metadata=settings.holiday_country or "",
    )


def settings_for_country(view: dict, country: str | None) -> dict:
    """The open settings form as it is (Slack keeps what was entered in inputs whose block_id
    and action_id stay the same), now knowing `country` for the region list's options request."""
    redrawn = {key: view[key] for key in ("type", "callback_id", "title", "close", "submit") if key in view}
    redrawn["blocks"] = view.get("blocks") or []
    if country:
        redrawn["private_metadata"] = country
    return redrawn


def settings_saved(saved) -> dict:
    """The DM to the admin who saved: what changed (or that nothing did)."""
    if not saved.changes:
        return {"text": "Workspace settings saved; nothing changed."}
    text = "Workspace settings saved:\n" + "\n".join(f"• {change}" for change in saved.changes)
    return {"text": text, "blocks": [section(text)]}


SETTINGS_USAGE = "• `/okr settings` — the workspace's time zone, work week, holidays, fiscal year and default schedules (admins change them)"
