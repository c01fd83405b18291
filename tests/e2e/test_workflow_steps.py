"""Northline's Workflow Builder steps, end to end: Slack (the emulator) runs a step of a workflow,
delivers `function_executed` signed to the app over HTTP, and records how the app ended the run
(functions.completeSuccess with outputs checked against manifest.yml, or functions.completeError).

Objectives here live in 2020-Q1, a cycle long over: expected progress is 100 % at any date after
it, so pace never depends on the day the tests run.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.ids import Action, Block, Callback, Step
from bot.listeners import calendar as calendar_listeners
from bot.services.export import export_rows, to_csv
from bot.services.workspaces import workspace_for
from storage.models import CheckIn, Kpi, KpiMeasurement, Member
from tests.conftest import ADMIN, ALICE, BOB, CAROL, CHANNEL, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN
from tests.factories import (
    answer,
    answer_text,
    count,
    make_kra_via_service,
    new_token,
    opened_view,
    published_so_far,
    served_api,
)
from tests.factories import make_objective_via_service as make_objective

PAST = "2020-Q1"
MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())


@pytest.fixture
def steps(slack, emulator):
    emulator.define_functions(MANIFEST["functions"])
    return slack


def run(slack, emulator, step: Step, inputs: dict, *, interactor: str | None = ALICE, team_id: str = TEAM):
    """One run of `step`: acked at once, then ended by the app one way or the other."""
    response, execution = slack.function_executed(step.value, inputs, interactor=interactor, team_id=team_id)
    assert response.status == 200, response.text
    assert response.elapsed < 3
    finished = emulator.wait_for_completion(execution.id)
    slack.settle()
    assert emulator.violations == []
    return finished


def succeeded(finished) -> dict:
    assert finished.state == "completed", finished.error
    return finished.outputs


def failed(finished) -> str:
    assert finished.state == "failed", finished.outputs
    return finished.error


def one_key_result(db, *, owner: str = ALICE, team_id: str = TEAM) -> str:
    _, (kr,) = make_objective(
        db, team_id=team_id, owner=owner, cycle=PAST, krs=(("Activation rate", 40.0, 60.0, "%", False),)
    )
    return f"KR-{kr}"


# --- the manifest and the listeners agree -----------------------------------------------------------


def test_every_step_in_the_manifest_has_a_listener_and_back():
    assert set(MANIFEST["functions"]) == {step.value for step in Step}
    assert (
        MANIFEST["settings"]["org_deploy_enabled"] is True
    )  # Slack lists custom steps of org-ready apps only
    assert MANIFEST["settings"]["function_runtime"] == "remote"
    assert "function_executed" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]


# --- Check in on a key result -----------------------------------------------------------------------


def test_check_in_records_and_outputs_progress_pace_and_a_summary(steps, emulator, db):
    ref = one_key_result(db)
    finished = run(
        steps,
        emulator,
        Step.CHECKIN,
        {"key_result": ref.lower(), "value": "50%", "confidence": "at-risk", "note": "beta"},
    )
    assert succeeded(finished) == {
        "progress": 50,
        "pace": "off track",  # 50 % of the way at the end of its cycle
        "summary": f"{ref} Activation rate: 50% of 60% ({50}%), off track, confidence at risk",
    }
    complete = emulator.calls_to("functions.completeSuccess", ok=True)[0]
    assert complete.token == finished.token  # the run's own token, not the bot's
    (home,) = emulator.calls_to("views.publish", ok=True)  # as after /okr checkin
    assert home.args["user_id"] == ALICE and home.token == finished.token
    with db.session() as session:
        (check_in,) = session.scalars(select(CheckIn)).all()
        assert (check_in.value, check_in.confidence, check_in.note, check_in.author_id) == (
            50.0,
            "at_risk",
            "beta",
            ALICE,
        )


def test_check_in_for_a_named_person_by_an_admin_who_ran_the_workflow(steps, emulator, db):
    ref = one_key_result(db)
    outputs = succeeded(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "60", "person": ALICE},
            interactor=ADMIN,
        )
    )
    assert (outputs["progress"], outputs["pace"]) == (100, "on track")
    with db.session() as session:
        assert session.scalars(select(CheckIn.author_id)).all() == [ALICE]


def test_the_same_run_delivered_twice_checks_in_once(steps, emulator, db):
    ref = one_key_result(db)
    execution, event = emulator.start_function(
        Step.CHECKIN.value, TEAM, {"key_result": ref, "value": "45"}, interactor=ALICE
    )
    assert steps.event(event).status == 200
    emulator.wait_for_completion(execution.id)
    assert steps.event(event, retry_num=1, retry_reason="http_timeout").status == 200
    steps.settle()
    assert count(db, CheckIn) == 1
    assert emulator.function_execution(execution.id).state == "completed"


@pytest.mark.parametrize(
    ("inputs", "interactor", "message"),
    [
        (
            {"key_result": "KR-99", "value": "5"},
            ALICE,
            "KR-99 was not found in this workspace. Check the step's key result",
        ),
        ({"key_result": "banana", "value": "5"}, ALICE, "“banana” is not a key result reference"),
        ({"key_result": "{ref}", "value": "lots"}, ALICE, "The step's value for {ref} must be a number"),
        (
            {"key_result": "{ref}", "value": "5", "confidence": "maybe"},
            ALICE,
            "confidence must be on-track, at-risk",
        ),
        (
            {"key_result": "{ref}", "value": "5"},
            CAROL,
            "Only the owner of {ref}, the owner of its objective or a workspace admin",
        ),
        # Whoever runs the workflow can't check in in the owner's name.
        ({"key_result": "{ref}", "value": "5", "person": ALICE}, CAROL, "Only the owner of {ref}"),
        ({"key_result": "{ref}", "value": "5"}, None, "This step doesn't know whose it is"),
        (
            {"key_result": "{ref}", "value": "5", "person": "U0ALICE> <!channel"},
            ADMIN,
            "The step's person must be someone in this workspace",
        ),
        ({"key_result": "{ref}", "value": "5", "note": "x" * 3001}, ALICE, "keep it under 3,000"),
    ],
)
def test_check_in_refusals_end_the_run_with_a_message_and_store_nothing(
    steps, emulator, db, inputs, interactor, message
):
    ref = one_key_result(db)
    inputs = {k: v.format(ref=ref) for k, v in inputs.items()}
    error = failed(run(steps, emulator, Step.CHECKIN, inputs, interactor=interactor))
    assert message.format(ref=ref) in error
    assert "Traceback" not in error
    assert count(db, CheckIn) == 0


def test_a_key_result_of_another_workspace_is_not_found(steps, emulator, db):
    ref = one_key_result(db, team_id=OTHER_TEAM, owner="U0MALLORY")
    assert "was not found" in failed(run(steps, emulator, Step.CHECKIN, {"key_result": ref, "value": "50"}))
    assert count(db, CheckIn) == 0


def test_a_run_slack_refuses_to_complete_still_ends(steps, emulator, db):
    """completeSuccess failing (Slack down a moment) must not leave the run hanging."""
    ref = one_key_result(db)
    emulator.fail("functions.completeSuccess", "internal_error")
    error = failed(run(steps, emulator, Step.CHECKIN, {"key_result": ref, "value": "50"}))
    assert error == (
        f"The check-in of {ref} was recorded, but Slack did not take this step's outputs (internal_error), "
        "so the next steps of the workflow won't have them."
    )
    assert count(db, CheckIn) == 1


# --- Log a KPI measurement --------------------------------------------------------------------------


def test_log_kpi_outputs_latest_value_against_target(steps, emulator, db):
    _, (nps, _) = make_kra_via_service(db)
    outputs = succeeded(
        run(steps, emulator, Step.LOG_KPI, {"kpi": f"KPI-{nps}", "value": "42", "note": "survey"})
    )
    assert outputs == {
        "latest_value": 42.0,
        "target": 50.0,
        "summary": f"KPI-{nps} NPS: 42 (target 50, higher is better)",
    }
    with db.session() as session:
        (measurement,) = session.scalars(select(KpiMeasurement)).all()
        assert (measurement.value, measurement.note, measurement.author_id) == (42.0, "survey", ALICE)


@pytest.mark.parametrize(
    ("inputs", "interactor", "message"),
    [
        ({"kpi": "KPI-99", "value": "1"}, ALICE, "KPI-99 was not found"),
        ({"kpi": "NPS", "value": "1"}, ALICE, "“NPS” is not a KPI reference"),
        ({"kpi": "{ref}", "value": "many"}, ALICE, "The step's value for {ref} must be a number"),
        ({"kpi": "{ref}", "value": "1"}, BOB, "Only the owner of KRA-"),
    ],
)
def test_log_kpi_refusals(steps, emulator, db, inputs, interactor, message):
    _, (nps, _) = make_kra_via_service(db)
    ref = f"KPI-{nps}"
    inputs = {k: v.format(ref=ref) for k, v in inputs.items()}
    assert message.format(ref=ref) in failed(
        run(steps, emulator, Step.LOG_KPI, inputs, interactor=interactor)
    )
    assert count(db, KpiMeasurement) == 0


# --- Get objective status ---------------------------------------------------------------------------


def test_objective_status_outputs_progress_pace_confidence_and_key_result_lines(steps, emulator, db):
    number, (first, second) = make_objective(
        db,
        cycle=PAST,
        title="Customers love onboarding",
        krs=(
            ("Activation rate", 40.0, 60.0, "%", False),
            ("Ship the <b>guide</b> @here", 0.0, 1.0, "", True),
        ),
    )
    succeeded(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": f"KR-{first}", "value": "60", "confidence": "on-track"},
        )
    )
    outputs = succeeded(
        run(steps, emulator, Step.OBJECTIVE_STATUS, {"objective": f"OBJ-{number}"}, interactor=None)
    )
    assert outputs == {
        "progress": 50,  # (100 % + 0 %) / 2
        "pace": "off track",
        "confidence": "1 on track",
        "key_results": (
            f"KR-{first} Activation rate: 60% of 60% (100%), on track\n"
            f"KR-{second} Ship the <b>guide</b> @\u200bhere: not done (0%), no check-in yet"
        ),
        "summary": f"OBJ-{number} Customers love onboarding: 50%, off track",
    }


@pytest.mark.parametrize(
    ("reference", "message"), [("OBJ-42", "OBJ-42 was not found"), ("goals", "is not an objective")]
)
def test_objective_status_refusals(steps, emulator, db, reference, message):
    make_objective(db, team_id=OTHER_TEAM, owner="U0MALLORY", cycle=PAST)  # OBJ-1 elsewhere
    assert message in failed(run(steps, emulator, Step.OBJECTIVE_STATUS, {"objective": reference}))


def test_an_objective_of_another_workspace_is_not_found(steps, emulator, db):
    number, _ = make_objective(db, team_id=OTHER_TEAM, owner="U0MALLORY", cycle=PAST)
    assert "was not found" in failed(
        run(steps, emulator, Step.OBJECTIVE_STATUS, {"objective": f"OBJ-{number}"})
    )


# --- Ask for a check-in -----------------------------------------------------------------------------


def test_ask_sends_the_weekly_reminder_dm(steps, emulator, db):
    ref = one_key_result(db)
    outputs = succeeded(run(steps, emulator, Step.ASK_CHECKIN, {"person": ALICE}, interactor=BOB))
    assert outputs == {"sent": True, "key_results": 1}
    (post,) = emulator.calls_to("chat.postMessage", ok=True)
    assert post.args["channel"] == ALICE
    assert post.args["blocks"][0]["text"]["text"] == "Weekly check-in"
    assert ref in post.args["text"]
    buttons = [e for b in post.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    # The same rows as the Monday reminder: check in from the message, open the full form, or
    # put it off.
    assert [b["action_id"] for b in buttons] == [
        Action.REMINDER_SAME.value,
        Action.REMINDER_NOTE.value,
        Action.OPEN_CHECKIN.value,
        Action.REMINDER_LATER.value,
        Action.REMINDER_TOMORROW.value,
        Action.REMINDER_SKIP.value,
    ]


def test_ask_someone_with_no_key_results_sends_nothing_and_says_why(steps, emulator, db):
    one_key_result(db)
    outputs = succeeded(run(steps, emulator, Step.ASK_CHECKIN, {"person": CAROL}))
    assert outputs == {"sent": False, "key_results": 0, "reason": "Not sent: they own no active key results."}
    assert emulator.calls_to("chat.postMessage") == []


def test_ask_someone_who_paused_reminders_sends_nothing(steps, emulator, db):
    one_key_result(db)
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.add(Member(workspace_id=workspace.id, user_id=ALICE, paused_until=date(2999, 12, 31)))
    outputs = succeeded(run(steps, emulator, Step.ASK_CHECKIN, {"person": ALICE}))
    assert outputs == {
        "sent": False,
        "key_results": 1,
        "reason": "Not sent: they paused their check-in reminders until Tue 31 Dec 2999.",
    }
    assert emulator.calls_to("chat.postMessage") == []


def test_ask_when_slack_refuses_the_dm_says_so(steps, emulator, db):
    one_key_result(db)
    emulator.fail("chat.postMessage", "user_not_found")
    outputs = succeeded(run(steps, emulator, Step.ASK_CHECKIN, {"person": ALICE}))
    assert outputs == {"sent": False, "key_results": 1, "reason": "Not sent: Slack said user_not_found."}


# --- the emulator is as strict as Slack about completing a run ---------------------------------------


@pytest.fixture
def a_run(emulator):
    emulator.define_functions(MANIFEST["functions"])
    execution, _ = emulator.start_function(
        Step.LOG_KPI.value, TEAM, {"kpi": "KPI-1", "value": "1", "person": ALICE}
    )
    return execution, WebClient(token=execution.token, base_url=emulator.base_url)


@pytest.mark.parametrize(
    ("outputs", "problem"),
    [
        ({"latest_value": 1, "target": 2, "summary": "s", "extra": 1}, "unknown output 'extra'"),
        ({"latest_value": 1, "summary": "s"}, "missing required output 'target'"),
        ({"latest_value": "1", "target": 2, "summary": "s"}, "output 'latest_value' is not a number"),
    ],
)
def test_outputs_that_do_not_fit_the_manifest_are_refused(a_run, emulator, outputs, problem):
    execution, client = a_run
    with pytest.raises(SlackApiError) as refused:
        client.functions_completeSuccess(function_execution_id=execution.id, outputs=outputs)
    assert refused.value.response["error"] == "parameter_validation_failed"
    assert [e for e in refused.value.response["errors"] if e.startswith(problem)]
    assert emulator.function_execution(execution.id).state == "running"


def test_a_finished_run_cannot_be_completed_again(a_run, emulator):
    execution, client = a_run
    client.functions_completeError(function_execution_id=execution.id, error="no")
    with pytest.raises(SlackApiError) as refused:
        client.functions_completeSuccess(
            function_execution_id=execution.id, outputs={"latest_value": 1, "target": 2, "summary": "s"}
        )
    assert refused.value.response["error"] == "function_execution_not_found"


def test_another_workspaces_token_cannot_complete_a_run(a_run, emulator):
    execution, _ = a_run
    other = WebClient(token=OTHER_TOKEN, base_url=emulator.base_url)
    with pytest.raises(SlackApiError) as refused:
        other.functions_completeError(function_execution_id=execution.id, error="no")
    assert refused.value.response["error"] == "access_denied"
    assert WebClient(token=TOKEN, base_url=emulator.base_url).functions_completeError(
        function_execution_id=execution.id, error="a reason"
    )["ok"]


# --- with nobody present: refused unless an admin allowed unattended steps ---------------------------


def allow_unattended(slack, emulator, db) -> None:
    """An admin ticks "Unattended workflow steps" in /okr settings, as they would in Slack."""
    calendar_listeners.register(None)
    # Counted before the command: the view may be open by the time the command's answer is back.
    opened_before = len(emulator.calls_to("views.open", ok=True))
    slack.command("/okr", "settings", user_id=ADMIN, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.SETTINGS, opened_before + 1)
    response = slack.submit_view(view, {Block.SET_UNATTENDED_STEPS: ["on"]}, user_id=ADMIN, team_id=TEAM)
    assert response.status == 200 and not response.text.strip(), response.text
    slack.settle()
    with db.session() as session:
        assert workspace_for(session, TEAM).unattended_steps_allowed is True
    emulator.clear()


def only(db, model):
    with db.session() as session:
        (row,) = session.scalars(select(model)).all()
        session.expunge(row)
        return row


UNATTENDED_OFF = "Nobody ran this workflow (it was started by a schedule or an event)"


def test_a_scheduled_check_in_naming_someone_is_refused_while_the_switch_is_off(steps, emulator, db):
    """Bob builds a scheduled workflow whose step names Alice: nobody is there to be Alice."""
    ref = one_key_result(db)
    error = failed(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "55", "person": ALICE},
            interactor=None,
        )
    )
    assert UNATTENDED_OFF in error and "Unattended workflow steps" in error and "/okr settings" in error
    assert count(db, CheckIn) == 0
    # said first: no other input the builder fixes would make it run
    assert UNATTENDED_OFF in failed(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "lots", "person": ALICE},
            interactor=None,
        )
    )
    assert emulator.calls_to("functions.completeSuccess") == []
    assert emulator.calls_to("views.publish") == []


def test_a_scheduled_kpi_measurement_is_refused_while_the_switch_is_off(steps, emulator, db):
    _, (nps, _) = make_kra_via_service(db)
    error = failed(
        run(
            steps,
            emulator,
            Step.LOG_KPI,
            {"kpi": f"KPI-{nps}", "value": "42", "person": ALICE},
            interactor=None,
        )
    )
    assert UNATTENDED_OFF in error
    assert count(db, KpiMeasurement) == 0


def test_once_allowed_a_scheduled_check_in_is_stored_and_shown_as_by_workflow(steps, emulator, db):
    number, (kr,) = make_objective(db, cycle=PAST, krs=(("Activation rate", 40.0, 60.0, "%", False),))
    allow_unattended(steps, emulator, db)
    outputs = succeeded(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": f"KR-{kr}", "value": "55", "confidence": "on-track", "person": ALICE},
            interactor=None,
        )
    )
    assert outputs["summary"] == f"KR-{kr} Activation rate: 55% of 60% (75%), at risk, confidence on track"
    check_in = only(db, CheckIn)
    assert (check_in.author_id, check_in.origin, check_in.value) == (ALICE, "workflow", 55.0)

    shown = answer_text(answer(steps, "/okr", f"show OBJ-{number}", user_id=BOB))
    assert f"by workflow for <@{ALICE}>" in shown

    before = published_so_far(steps, emulator)
    steps.event({"type": "app_home_opened", "user": ALICE, "channel": "D0HOME", "tab": "home"}, team_id=TEAM)
    emulator.wait_for("views.publish", count=before + 1)
    home = json.dumps(emulator.calls_to("views.publish")[-1].args["view"]["blocks"], ensure_ascii=False)
    assert f"`KR-{kr}` Activation rate" in home and "last check-in by workflow" in home

    with db.session() as session:
        rows = export_rows(session, workspace_for(session, TEAM))
    exported = list(csv.DictReader(io.StringIO(to_csv(rows))))
    (row,) = [r for r in exported if r["record"] == "check_in"]
    assert (row["key_result"], row["author"], row["via"], row["value"]) == (
        f"KR-{kr}",
        ALICE,
        "workflow",
        "55",
    )


def test_once_allowed_a_scheduled_measurement_of_ones_own_kpi_is_by_workflow(steps, emulator, db):
    _, (nps, _) = make_kra_via_service(db)
    allow_unattended(steps, emulator, db)
    outputs = succeeded(
        run(
            steps,
            emulator,
            Step.LOG_KPI,
            {"kpi": f"KPI-{nps}", "value": "42", "person": ALICE},
            interactor=None,
        )
    )
    assert outputs["latest_value"] == 42.0
    measurement = only(db, KpiMeasurement)
    assert (measurement.author_id, measurement.origin) == (ALICE, "workflow")
    with db.session() as session:
        rows = export_rows(session, workspace_for(session, TEAM))
    (row,) = [r for r in rows if r["record"] == "kpi_measurement"]
    assert (row["author"], row["via"]) == (ALICE, "workflow")


@pytest.mark.parametrize("person", [ALICE, ADMIN])
def test_once_allowed_a_scheduled_check_in_on_someone_elses_key_result_is_refused(
    steps, emulator, db, person
):
    """Not even an admin's rights stand in when nobody is present: only the named person's own."""
    ref = one_key_result(db, owner=BOB)
    allow_unattended(steps, emulator, db)
    error = failed(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "55", "person": person},
            interactor=None,
        )
    )
    assert (
        f"it may only check in on <@{person}>'s own key results and KPIs, and {ref} belongs to <@{BOB}>"
        in error
    )
    assert "Nothing was recorded" in error
    assert count(db, CheckIn) == 0


def test_once_allowed_a_scheduled_measurement_of_someone_elses_kpi_is_refused_even_for_an_admin(
    steps, emulator, db
):
    _, (nps, _) = make_kra_via_service(db, owner=BOB)
    allow_unattended(steps, emulator, db)
    error = failed(
        run(
            steps,
            emulator,
            Step.LOG_KPI,
            {"kpi": f"KPI-{nps}", "value": "42", "person": ADMIN},
            interactor=None,
        )
    )
    assert (
        f"may only log measurements of <@{ADMIN}>'s own" in error
        and f"KPI-{nps} belongs to <@{BOB}>" in error
    )
    assert count(db, KpiMeasurement) == 0


def test_once_allowed_a_scheduled_check_in_for_a_deactivated_owner_is_refused(steps, emulator, db):
    ref = one_key_result(db)
    allow_unattended(steps, emulator, db)
    steps.user_change(ALICE, deleted=True)
    steps.settle()
    error = failed(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "55", "person": ALICE},
            interactor=None,
        )
    )
    assert f"<@{ALICE}>'s Slack account is deactivated" in error
    assert count(db, CheckIn) == 0


def test_with_the_switch_on_a_run_someone_started_still_acts_as_them(steps, emulator, db):
    """The switch changes nothing for a person present: an admin may check in for Alice, as before,
    and it is theirs, not the workflow's."""
    ref = one_key_result(db)
    allow_unattended(steps, emulator, db)
    succeeded(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "60", "person": ALICE},
            interactor=ADMIN,
        )
    )
    check_in = only(db, CheckIn)
    assert (check_in.author_id, check_in.origin) == (ALICE, None)
    assert "Only the owner of" in failed(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": ref, "value": "61", "person": ALICE},
            interactor=CAROL,
        )
    )
    assert count(db, CheckIn) == 1


def test_the_api_shows_a_check_in_made_by_workflow(web_app, db, emulator):
    emulator.define_functions(MANIFEST["functions"])
    ref = one_key_result(db)
    with served_api(web_app, db, emulator) as (slack, api):
        allow_unattended(slack, emulator, db)
        succeeded(
            run(
                slack,
                emulator,
                Step.CHECKIN,
                {"key_result": ref, "value": "55", "person": ALICE},
                interactor=None,
            )
        )
        token = new_token(slack, "ci", "read")
        kr = api.get(f"/api/v1/key-results/{ref}?recent=1", token).json()
    assert [(c["value"], c["author"], c["via"]) for c in kr["recent_checkins"]] == [(55.0, ALICE, "workflow")]


# --- what a step hands on is text: no broadcast, no live link ---------------------------------------

LIVE = ("@channel", "@here", "@everyone", "<!", "<http", "<@")


def assert_inert(text: str) -> None:
    for markup in LIVE:
        assert markup not in text, (markup, text)


def test_check_in_outputs_defuse_broadcasts_in_titles_and_units(steps, emulator, db):
    number, (kr,) = make_objective(
        db,
        cycle=PAST,
        title="Launch <!subteam^S0DESIGN|@designers> <!everyone>",
        krs=(("Signups <https://evil.example/reset|Login> <!here>", 0.0, 60.0, "@channel", False),),
    )
    outputs = succeeded(run(steps, emulator, Step.CHECKIN, {"key_result": f"KR-{kr}", "value": "30"}))
    assert outputs["summary"] == (
        f"KR-{kr} Signups Login (https://evil.example/reset) @\u200bhere: "
        "30 @\u200bchannel of 60 @\u200bchannel (50%), off track"
    )
    objective = succeeded(
        run(steps, emulator, Step.OBJECTIVE_STATUS, {"objective": f"OBJ-{number}"}, interactor=None)
    )
    assert objective["summary"] == f"OBJ-{number} Launch @\u200bdesigners @\u200beveryone: 50%, off track"
    for text in (outputs["summary"], objective["summary"], objective["key_results"]):
        assert_inert(text)


def test_kpi_outputs_defuse_a_broadcast_in_the_unit(steps, emulator, db):
    _, (nps, _) = make_kra_via_service(db)
    with db.session() as session:
        kpi = session.scalars(select(Kpi).where(Kpi.number == nps)).one()
        kpi.unit = "<!here> pts"
        session.commit()
    outputs = succeeded(run(steps, emulator, Step.LOG_KPI, {"kpi": f"KPI-{nps}", "value": "42"}))
    assert outputs["summary"] == (
        f"KPI-{nps} NPS: 42 @\u200bhere pts (target 50 @\u200bhere pts, higher is better)"
    )
    assert_inert(outputs["summary"])


def test_a_refusal_quotes_the_typed_reference_as_text(steps, emulator, db):
    one_key_result(db)
    error = failed(
        run(
            steps,
            emulator,
            Step.CHECKIN,
            {"key_result": "<https://evil.example|KR-1> <!channel>", "value": "5"},
        )
    )
    assert "“KR-1 (https://evil.example) @\u200bchannel” is not a key result reference" in error
    assert_inert(error)
    assert count(db, CheckIn) == 0
