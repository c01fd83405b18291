"""The first week's guide on App Home, end to end: in a workspace with no KRAs yet Home shows the
method's four steps, each ticked from real data, each with its button and an example from the
seeds; it steps aside when they are done, and in workspaces that have had KRAs for longer."""

from __future__ import annotations

import json
from datetime import date, timedelta

from bot.domain.clock import stored_now
from bot.ids import Action, Callback
from bot.services.workspaces import workspace_for
from storage.models import KeyResult, Kpi, Kra, Objective, Sprint, SprintKeyResult
from storage.repositories import preferences
from tests.conftest import ALICE, BOB, CHANNEL, OTHER_TEAM, TEAM
from tests.factories import make_kra_via_slack, opened_view, published

GUIDE = "Your first week with Northline"


def text_of(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def buttons(view: dict) -> dict[str, str | None]:
    found = {}
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        for element in elements:
            if element.get("type") == "button":
                found[element["action_id"]] = element.get("value")
    return found


def steps(view: dict) -> list[str]:
    return [
        b["text"]["text"]
        for b in view["blocks"]
        if b["type"] == "section"
        and b["text"]["text"].startswith((":white_check_mark:", ":white_large_square:"))
    ]


def test_a_new_workspace_gets_the_four_steps_with_buttons_and_examples(slack, emulator, db):
    view = published(slack, emulator, ALICE)
    text = text_of(view)
    assert GUIDE in text
    shown = steps(view)
    assert len(shown) == 4 and all(s.startswith(":white_large_square:") for s in shown)
    assert "Declare 3–5 KRAs" in shown[0] and "Customer Support Manager" in shown[0]
    assert "NPS" in shown[1] and "first-response time" in shown[1]
    assert "Improve customer satisfaction by the end of Q4" in shown[2]
    assert "/sprint start" in shown[3]
    found = buttons(view)
    assert Action.GUIDE_NEW_KRA in found and Action.GUIDE_NEW_OBJECTIVE in found
    assert Action.GUIDE_ADD_KPIS not in found  # nothing to add KPIs to yet
    assert not emulator.violations  # every action_id unique in the view


def test_steps_tick_from_real_data_and_each_button_opens_its_form(slack, emulator, db):
    slack.action(Action.GUIDE_NEW_KRA, user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.KRA_NEW)
    make_kra_via_slack(slack, emulator, title="Customer satisfaction", kpis=(("NPS", "75", ""),))
    make_kra_via_slack(
        slack, emulator, title="Customer query resolution", kpis=(("Resolved in a day", "90", "%"),)
    )
    make_kra_via_slack(slack, emulator, title="Team training and development", kpis=())
    view = published(slack, emulator, ALICE)
    shown = steps(view)
    assert shown[0].startswith(":white_check_mark:") and "(you have 3)" in shown[0]
    assert shown[1].startswith(":white_large_square:") and "`KRA-3` still has none" in shown[1]
    assert buttons(view)[Action.GUIDE_ADD_KPIS] == "3"
    assert Action.GUIDE_NEW_KRA not in buttons(view)  # a done step keeps no button
    # *Add KPIs* opens that KRA's edit form, where its KPIs go.
    before = len(emulator.calls_to("views.open"))
    slack.action(Action.GUIDE_ADD_KPIS, view=view, user_id=ALICE, team_id=TEAM)
    edit = opened_view(emulator, Callback.KRA_EDIT, count=before + 1)
    assert edit["title"]["text"] == "Edit KRA-3"
    # *New objective* opens the objective form.
    slack.action(Action.GUIDE_NEW_OBJECTIVE, view=view, user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.OBJECTIVE_NEW, count=before + 2)


def test_a_stale_add_kpis_button_is_explained(slack, emulator, db):
    slack.action(Action.GUIDE_ADD_KPIS, "not-a-number", user_id=ALICE, team_id=TEAM)
    assert "out of date" in slack.wait_for_response_url()["text"]
    slack.settle()
    assert emulator.calls_to("views.open") == []


def _seed(db, owner: str, *, declared_days_ago: int, objective: bool, sprint: bool) -> None:
    now = stored_now()
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        kras = [
            Kra(
                workspace_id=ws.id,
                number=n,
                title=f"Area {n}",
                owner_id=owner,
                created_by=owner,
                channel_id=CHANNEL,
                created_at=now - timedelta(days=declared_days_ago),
            )
            for n in (1, 2, 3)
        ]
        session.add_all(kras)
        session.flush()
        session.add_all(
            Kpi(workspace_id=ws.id, kra_id=k.id, number=k.number, name="A measure", target=1.0) for k in kras
        )
        if not objective:
            return
        obj = Objective(
            workspace_id=ws.id,
            number=1,
            title="An objective",
            owner_id=owner,
            cycle="2026-Q4",
            created_by=owner,
            kra_id=kras[0].id,
        )
        session.add(obj)
        session.flush()
        kr = KeyResult(
            workspace_id=ws.id, objective_id=obj.id, number=1, title="A key result", owner_id=owner
        )
        session.add(kr)
        session.flush()
        if sprint:
            run = Sprint(
                workspace_id=ws.id,
                number=1,
                channel_id=CHANNEL,
                name="Sprint 1",
                starts_on=date(2026, 11, 2),
                ends_on=date(2026, 11, 13),
                created_by=owner,
            )
            session.add(run)
            session.flush()
            session.add(SprintKeyResult(sprint_id=run.id, key_result_id=kr.id, workspace_id=ws.id))


def test_the_sprint_step_plans_in_the_team_channel(slack, emulator, db):
    _seed(db, ALICE, declared_days_ago=2, objective=True, sprint=False)
    view = published(slack, emulator, ALICE)
    shown = steps(view)
    assert [s.startswith(":white_check_mark:") for s in shown] == [True, True, True, False]
    assert buttons(view)[Action.PLAN_SPRINT] == CHANNEL
    before = len(emulator.calls_to("views.open"))
    slack.action(Action.PLAN_SPRINT, view=view, user_id=ALICE, team_id=TEAM)
    opened_view(emulator, Callback.SPRINT_START, count=before + 1)


def test_the_guide_steps_aside_when_all_four_are_done(slack, emulator, db):
    _seed(db, ALICE, declared_days_ago=2, objective=True, sprint=True)
    assert GUIDE not in text_of(published(slack, emulator, ALICE))
    # Bob, in the same new workspace, has not started: he still sees it.
    assert GUIDE in text_of(published(slack, emulator, BOB))


def test_a_workspace_that_has_had_kras_for_weeks_never_shows_it(slack, emulator, db):
    _seed(db, ALICE, declared_days_ago=30, objective=False, sprint=False)
    assert GUIDE not in text_of(published(slack, emulator, ALICE))  # has KRAs already
    assert GUIDE not in text_of(published(slack, emulator, BOB))  # joins an established workspace


def test_hide_this_guide_hides_it_for_that_person_in_that_workspace_only(slack, emulator, db):
    view = published(slack, emulator, ALICE)
    assert buttons(view)[Action.HIDE_GUIDE] is None
    before = len(emulator.calls_to("views.publish"))
    slack.action(Action.HIDE_GUIDE, view=view, user_id=ALICE, team_id=TEAM)
    slack.settle()
    [republished] = emulator.calls_to("views.publish")[before:]
    assert republished.args["user_id"] == ALICE and GUIDE not in text_of(republished.args["view"])
    # Each action stays once on Home: the guide's New KRA / New objective move to the top.
    hidden = published(slack, emulator, ALICE)
    assert GUIDE not in text_of(hidden)
    assert Action.HOME_NEW_KRA in text_of(hidden) and Action.HOME_NEW_OBJECTIVE in text_of(hidden)
    assert GUIDE in text_of(published(slack, emulator, BOB))  # Bob has not hidden his
    # A second click changes nothing; the same person elsewhere keeps theirs.
    slack.action(Action.HIDE_GUIDE, view=view, user_id=ALICE, team_id=TEAM)
    slack.settle()
    with db.session() as session:
        here, there = workspace_for(session, TEAM), workspace_for(session, OTHER_TEAM)
        assert preferences.guide_hidden(session, here.id, ALICE)
        assert not preferences.guide_hidden(session, there.id, ALICE)
    assert not emulator.violations
