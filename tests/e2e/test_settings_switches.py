"""The switches of `/okr settings`, end to end: owners binding data sources and unattended
workflow steps (off by default), and the language model (on by default: the operator's setting is
the opt-in). The guard rails are off by default; only a workspace admin switches them; everyone sees
them; a change is told to the other admins. Signed requests, a real database, the emulator."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.forms.calendar import SettingsSpec
from bot.ids import Block, Callback
from bot.listeners import calendar as calendar_listeners
from bot.services import calendar
from bot.services.workspaces import workspace_for
from storage.models import Workspace
from tests.conftest import ADMIN, ALICE, BOB, CHANNEL, TEAM
from tests.factories import opened_view

ADMIN2 = "U0ADMIN2"


@pytest.fixture(autouse=True)
def _subcommands():
    calendar_listeners.register(None)


def open_settings(slack, emulator, user_id: str, count: int = 1) -> dict:
    response = slack.command("/okr", "settings", user_id=user_id, team_id=TEAM, channel_id=CHANNEL)
    assert response.status == 200
    return opened_view(emulator, Callback.SETTINGS, count)


def switches(db, team_id: str = TEAM) -> tuple[bool, bool]:
    with db.session() as session:
        row = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
        return (row.owners_may_bind_sources, row.unattended_steps_allowed)


def switch_block(view: dict, block_id: str) -> dict:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return block


def ticked(view: dict, block_id: str) -> bool:
    return bool(switch_block(view, block_id)["element"].get("initial_options"))


def dms_to(emulator, user_id: str) -> list[str]:
    return [
        c.args.get("text", "")
        for c in emulator.calls_to("chat.postMessage", ok=True)
        if c.args["channel"] == user_id
    ]


def test_both_switches_are_off_until_an_admin_ticks_them(slack, emulator, db):
    emulator.add_user(ADMIN2, TEAM, name="ada2", real_name="Ada Two", is_admin=True)
    open_settings(slack, emulator, ADMIN2)  # Ada Two is now a known admin
    view = open_settings(slack, emulator, ADMIN, count=2)
    assert switches(db) == (False, False)
    owners = switch_block(view, Block.SET_OWNER_SOURCES)
    assert owners["element"]["type"] == "checkboxes" and owners["optional"] is True
    assert [o["text"]["text"] for o in owners["element"]["options"]] == [
        "Owners may connect their key results and KPIs to data sources"
    ]
    assert not ticked(view, Block.SET_OWNER_SOURCES) and not ticked(view, Block.SET_UNATTENDED_STEPS)
    emulator.clear()

    response = slack.submit_view(
        view,
        {Block.SET_OWNER_SOURCES: ["on"], Block.SET_UNATTENDED_STEPS: ["on"]},
        user_id=ADMIN,
        team_id=TEAM,
    )
    assert response.status == 200 and not response.text.strip(), response.text
    assert switches(db) == (True, True)
    emulator.wait_for("chat.postMessage", count=2)
    [mine] = dms_to(emulator, ADMIN)
    assert "Unattended workflow steps: off → on" in mine
    assert "Owners may connect their key results and KPIs to data sources: off (admins only) → on" in mine
    [told] = dms_to(emulator, ADMIN2)
    assert f"<@{ADMIN}> changed the workspace's settings" in told
    assert "Unattended workflow steps: off → on" in told

    view = open_settings(slack, emulator, ADMIN, count=1)  # the log was cleared: the first since
    assert ticked(view, Block.SET_OWNER_SOURCES) and ticked(view, Block.SET_UNATTENDED_STEPS)
    assert emulator.violations == []


def test_an_admin_unticks_one_switch_and_the_other_stays(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)
    slack.submit_view(
        view,
        {Block.SET_OWNER_SOURCES: ["on"], Block.SET_UNATTENDED_STEPS: ["on"]},
        user_id=ADMIN,
        team_id=TEAM,
    )
    assert switches(db) == (True, True)
    view = open_settings(slack, emulator, ADMIN, count=2)
    response = slack.submit_view(view, {Block.SET_UNATTENDED_STEPS: []}, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    assert switches(db) == (True, False)


def test_a_member_sees_the_switches_read_only(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)
    slack.submit_view(view, {Block.SET_UNATTENDED_STEPS: ["on"]}, user_id=ADMIN, team_id=TEAM)
    view = open_settings(slack, emulator, ALICE, count=2)
    assert "submit" not in view
    assert not any(block["type"] == "input" for block in view["blocks"])
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "*Unattended workflow steps:* on" in text
    assert "*Owners may connect their key results and KPIs to data sources:* off (admins only)" in text


def test_a_member_forging_a_submission_cannot_switch_them_on(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)
    response = slack.submit_forged_view(
        view, {Block.SET_OWNER_SOURCES: ["on"], Block.SET_UNATTENDED_STEPS: ["on"]}, user_id=BOB
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert "Only a workspace admin" in json.dumps(body["errors"])
    assert switches(db) == (False, False)


def test_an_admin_in_one_workspace_switches_nothing_in_another(slack, emulator, db):
    with db.session() as session:
        workspace_for(session, "T0OTHER")
    view = open_settings(slack, emulator, ADMIN)
    slack.submit_view(
        view,
        {Block.SET_OWNER_SOURCES: ["on"], Block.SET_UNATTENDED_STEPS: ["on"]},
        user_id=ADMIN,
        team_id=TEAM,
    )
    assert switches(db) == (True, True)
    assert switches(db, "T0OTHER") == (False, False)


def test_an_okr_file_leaves_the_switches_as_an_admin_set_them(db):
    with db.session() as session, session.begin():
        workspace = workspace_for(session, TEAM)
        workspace.unattended_steps_allowed = True
        session.flush()
        now = calendar.current(session, workspace)
        form = SettingsSpec.model_validate({"timezone": "Europe/London"}).form(now)
        calendar.apply(session, workspace, ADMIN, form)
    assert switches(db) == (False, True)


def ai_switch(db, team_id: str = TEAM) -> bool:
    with db.session() as session:
        return session.scalar(select(Workspace).where(Workspace.team_id == team_id)).ai_enabled


def test_the_language_model_is_on_until_an_admin_switches_it_off(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)
    assert ai_switch(db) is True
    box = switch_block(view, Block.SET_AI)
    assert [o["text"]["text"] for o in box["element"]["options"]] == [
        "Ask Northline may word answers with the server's language model"
    ]
    assert ticked(view, Block.SET_AI)
    emulator.clear()

    response = slack.submit_view(view, {Block.SET_AI: []}, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    assert ai_switch(db) is False
    assert switches(db) == (False, False)  # the other two are untouched
    emulator.wait_for("chat.postMessage", count=1)
    [mine] = dms_to(emulator, ADMIN)
    assert "Ask Northline may word answers with the server's language model: on → off" in mine

    view = open_settings(slack, emulator, ALICE, count=1)
    assert "*Ask Northline may word answers with the server's language model:* off" in json.dumps(
        view["blocks"], ensure_ascii=False
    )


def test_a_member_forging_a_submission_cannot_switch_the_model_off(slack, emulator, db):
    view = open_settings(slack, emulator, ADMIN)
    response = slack.submit_forged_view(view, {Block.SET_AI: []}, user_id=BOB)
    assert response.json()["response_action"] == "errors"
    assert ai_switch(db) is True
