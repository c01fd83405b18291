"""The REST API and its tokens end to end: tokens made in Slack by an admin, requests over HTTP to
the same server as Slack's endpoint, a real database."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.logs import _Redacting
from bot.services.tokens import Limits
from bot.services.workspaces import workspace_for
from storage.models import ApiIdempotency, ApiToken, CheckIn, KpiMeasurement
from tests.conftest import ADMIN, ALICE, OTHER_TEAM, TEAM
from tests.factories import API_CYCLE as CYCLE
from tests.factories import NOW, answer, answer_text, count, make_kra_via_service, new_token, served_api
from tests.factories import make_objective_via_service as make_objective

PROBLEM = "application/problem+json"


@pytest.fixture
def world(web_app, db, emulator):
    with served_api(web_app, db, emulator) as (slack, api):
        yield slack, api


def _admin_other_team(emulator):
    emulator.add_user("U0OTHERADM", OTHER_TEAM, name="oadmin", real_name="Other Admin", is_admin=True)
    return "U0OTHERADM"


# --- tokens in Slack ---------------------------------------------------------------------------------


def test_an_admin_makes_a_token_shown_once_and_stored_only_as_a_hash(world, db):
    slack, _ = world
    secret = new_token(slack, "ci-metrics", "write")
    with db.session() as session:
        token = session.scalars(select(ApiToken)).one()
        row = {c.name: getattr(token, c.name) for c in ApiToken.__table__.columns}
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:10] and token.permission.value == "write" and token.created_by == ADMIN
    assert not any(secret in str(value) for value in row.values())

    listed = answer_text(answer(slack, "/okr", "token list", user_id=ADMIN))
    assert "`ci-metrics`" in listed and token.prefix in listed and "last used never" in listed
    assert secret not in listed


def test_only_an_admin_manages_tokens(world, db):
    slack, _ = world
    for text in ("token new mine write", "token list", "token revoke ci"):
        said = answer_text(answer(slack, "/okr", text, user_id=ALICE))
        assert "Only a workspace admin can manage API tokens." in said
    assert count(db, ApiToken) == 0


@pytest.mark.parametrize("text", ["token", "token new", "token new a b c", "token frob", "token revoke"])
def test_token_commands_that_do_not_parse_get_usage(world, db, text):
    slack, _ = world
    said = answer_text(answer(slack, "/okr", text, user_id=ADMIN))
    assert "/okr token new NAME [read|write]" in said
    assert count(db, ApiToken) == 0


def test_a_bad_name_or_permission_or_a_taken_name_changes_nothing(world, db):
    slack, _ = world
    assert "read` or `write`" in answer_text(answer(slack, "/okr", "token new ci admin", user_id=ADMIN))
    assert "1–40 letters" in answer_text(answer(slack, "/okr", "token new <b>x</b>", user_id=ADMIN))
    new_token(slack, "ci")
    assert "already exists" in answer_text(answer(slack, "/okr", "token new ci read", user_id=ADMIN))
    assert count(db, ApiToken) == 1


def test_revoked_token_gets_401_and_the_name_can_be_used_again(world, db):
    slack, api = world
    secret = new_token(slack, "ci", "read")
    assert api.get("/api/v1/objectives", secret).status == 200
    said = answer_text(answer(slack, "/okr", "token revoke ci", user_id=ADMIN))
    assert "Revoked the token `ci`" in said
    gone = api.get("/api/v1/objectives", secret)
    assert gone.status == 401 and gone.headers["Content-Type"] == PROBLEM
    assert "unknown or was revoked" in gone.json()["detail"]
    assert "revoke" not in answer_text(answer(slack, "/okr", "token list", user_id=ADMIN)).lower()
    again = new_token(slack, "ci", "read")
    assert again != secret and api.get("/api/v1/objectives", again).status == 200


def test_last_used_time_is_kept(world, db):
    slack, api = world
    secret = new_token(slack, "ci", "read")
    api.get("/api/v1/kras", secret)
    with db.session() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() == NOW
    # NOW is Wednesday 18 November 2026, 12:00 UTC: its day as Slack's token, its time in UTC.
    assert "last used <!date^1795003200^{date_short_pretty}|Wed 18 Nov 2026> at 12:00 UTC" in answer_text(
        answer(slack, "/okr", "token list", user_id=ADMIN)
    )


# --- reading: the numbers Slack shows -------------------------------------------------------------------


def test_objectives_carry_the_progress_pace_and_confidence_slack_shows(world, db):
    slack, api = world
    obj, (kr1, kr2) = make_objective(
        db, krs=(("Activation", 40.0, 60.0, "%", False), ("Churn", 10.0, 5.0, "%", False))
    )
    assert answer(slack, "/okr", f"checkin KR-{kr1} 47 at-risk slow week")["response_type"] == "ephemeral"
    answer(slack, "/okr", f"checkin KR-{kr2} 8.5")
    token = new_token(slack, "ci", "read")

    reply = api.get("/api/v1/objectives", token)
    assert reply.status == 200 and reply.headers["Northline-Workspace"] == TEAM
    page = reply.json()
    assert (
        page["workspace"]["team_id"] == TEAM and page["page"]["total"] == 1 and page["page"]["next"] is None
    )
    shown = page["objectives"][0]
    assert shown["ref"] == f"OBJ-{obj}" and shown["cycle"] == CYCLE == "2026-Q4"
    # Worked out by hand: Activation 40 → 47 of 60 is 7/20 = 35 %; Churn 10 → 8.5 of 5 (lower is
    # better) is 1.5/5 = 30 %; the objective is their mean, 32.5 %, shown rounded half up as 33.
    assert shown["progress_percent"] == 33
    # On Wed 18 Nov 2026 at noon (UTC), 48.5 of 2026-Q4's 92 days have passed: 0.5272 expected.
    # 0.325 is below 0.5272 - 0.10 (on track) but above 0.5272 - 0.25: at risk.
    assert shown["expected"] == pytest.approx(48.5 / 92)
    assert shown["pace"] == "at_risk"
    first, second = shown["key_results"]
    assert (first["ref"], first["current"], first["progress_percent"], first["confidence"]) == (
        f"KR-{kr1}",
        47.0,
        35,
        "at_risk",
    )
    assert (second["current"], second["progress_percent"]) == (8.5, 30)
    # What /okr show prints for the same objective.
    show = answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))
    assert f"{shown['progress_percent']}%" in show and "35%" in show and "30%" in show

    one = api.get(f"/api/v1/objectives/obj-{obj}", token).json()
    assert one["objective"] == shown and one["workspace"]["team_id"] == TEAM
    kr = api.get(f"/api/v1/key-results/KR-{kr1}?recent=2", token).json()
    assert kr["key_result"] == first
    assert [(c["value"], c["note"], c["automatic"], c["via"]) for c in kr["recent_checkins"]] == [
        (47.0, "slow week", False, None)
    ]


def test_kras_and_kpis_with_latest_values(world, db):
    slack, api = world
    kra, (nps, _frt) = make_kra_via_service(db)
    answer(slack, "/kra", f"kpi KPI-{nps} 41 after the survey")
    token = new_token(slack, "ci", "read")
    listed = api.get("/api/v1/kras", token).json()
    assert [k["ref"] for k in listed["kras"]] == [f"KRA-{kra}"]
    kpis = listed["kras"][0]["kpis"]
    assert [(k["ref"], k["latest_value"]) for k in kpis] == [(f"KPI-{nps}", 41.0), (f"KPI-{_frt}", None)]
    assert api.get(f"/api/v1/kras/KRA-{kra}", token).json()["kra"] == listed["kras"][0]
    one = api.get(f"/api/v1/kpis/kpi-{nps}", token).json()
    assert one["kpi"]["latest_value"] == 41.0 and one["recent_measurements"][0]["note"] == "after the survey"


def test_lists_come_in_pages(world, db):
    slack, api = world
    numbers = [make_objective(db, title=f"Objective {i}")[0] for i in range(5)]
    token = new_token(slack, "ci", "read")
    seen, path = [], "/api/v1/objectives?limit=2"
    while path:
        page = api.get(path, token).json()
        assert page["page"]["total"] == 5 and len(page["objectives"]) <= 2
        seen += [o["ref"] for o in page["objectives"]]
        path = page["page"]["next"]
    assert seen == [f"OBJ-{n}" for n in numbers]


# --- writing ------------------------------------------------------------------------------------------


def test_a_check_in_through_the_api_is_what_slack_then_shows(world, db):
    slack, api = world
    obj, (kr,) = make_objective(db)
    token = new_token(slack, "ci", "write")
    reply = api.post(
        f"/api/v1/key-results/KR-{kr}/check-ins",
        {"value": 55, "confidence": "on_track", "note": "from CI"},
        token,
    )
    assert reply.status == 201, reply.text
    made = reply.json()
    assert made["workspace"]["team_id"] == TEAM
    assert made["check_in"] | {"at": None} == {
        "value": 55.0,
        "confidence": "on_track",
        "note": "from CI",
        "author": ADMIN,
        "at": None,
        "automatic": False,
        "via": "api:ci",
    }
    assert made["key_result"]["current"] == 55.0 and made["key_result"]["progress_percent"] == 75
    with db.session() as session:
        row = session.scalars(select(CheckIn)).one()
        assert (row.value, row.origin, row.created_at) == (55.0, "api:ci", NOW)
    assert "75%" in answer_text(answer(slack, "/okr", f"show OBJ-{obj}"))


def test_a_kpi_measurement_through_the_api(world, db):
    slack, api = world
    _, (nps, _) = make_kra_via_service(db)
    token = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/kpis/KPI-{nps}/measurements", {"value": 42.5, "note": "nightly"}, token)
    assert reply.status == 201, reply.text
    assert reply.json()["kpi"]["latest_value"] == 42.5 and reply.json()["measurement"]["via"] == "api:ci"
    assert count(db, KpiMeasurement) == 1


def test_one_idempotency_key_writes_once_and_replays_the_first_answer(world, db):
    slack, api = world
    _, (kr,) = make_objective(db)
    token = new_token(slack, "ci", "write")
    path = f"/api/v1/key-results/KR-{kr}/check-ins"
    first = api.post(path, {"value": 50}, token, headers={"Idempotency-Key": "run-1234"})
    again = api.post(path, {"value": 50}, token, headers={"Idempotency-Key": "run-1234"})
    assert first.status == again.status == 201
    assert again.text == first.text and again.headers.get("Idempotent-Replayed") == "true"
    assert count(db, CheckIn) == 1

    other = api.post(path, {"value": 51}, token, headers={"Idempotency-Key": "run-1234"})
    assert other.status == 409 and other.headers["Content-Type"] == PROBLEM
    assert "different request" in other.json()["detail"]
    assert count(db, CheckIn) == 1 and count(db, ApiIdempotency) == 1

    api.post(path, {"value": 52}, token)
    api.post(path, {"value": 52}, token)
    assert count(db, CheckIn) == 3  # without a key, each request is its own


def test_a_failed_write_keeps_its_key_free(world, db):
    slack, api = world
    token = new_token(slack, "ci", "write")
    missing = api.post(
        "/api/v1/key-results/KR-9/check-ins", {"value": 1}, token, headers={"Idempotency-Key": "k1"}
    )
    assert missing.status == 404
    assert count(db, ApiIdempotency) == 0


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"value": "NaN"}, "/value"),
        ({"value": "Infinity"}, "/value"),
        ({"value": "lots"}, "/value"),
        ({"value": 1e300}, "/value"),
        ({}, "/value"),
        ({"value": 1, "confidence": "great"}, "/confidence"),
        ({"value": 1, "note": "x" * 3001}, "/note"),
        ({"value": 1, "author": "U0BOB"}, "/author"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_written(world, db, body, pointer):
    slack, api = world
    _, (kr,) = make_objective(db)
    token = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", body, token)
    assert reply.status == 422 and reply.headers["Content-Type"] == PROBLEM
    problem = reply.json()
    assert problem["status"] == 422 and problem["workspace"] == TEAM
    assert pointer in [e.get("pointer") for e in problem["errors"]]
    assert count(db, CheckIn) == 0


def test_a_milestone_takes_one_or_zero(world, db):
    slack, api = world
    _, (kr,) = make_objective(db, krs=(("Launch", 0.0, 1.0, "", True),))
    token = new_token(slack, "ci", "write")
    half = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 0.5}, token)
    assert half.status == 422 and half.json()["errors"][0]["pointer"] == "/value"
    assert (
        api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 1}, token).json()["key_result"][
            "progress_percent"
        ]
        == 100
    )


def test_bodies_that_are_not_json_or_too_large(world, db):
    slack, api = world
    _, (kr,) = make_objective(db)
    token = new_token(slack, "ci", "write")
    path = f"/api/v1/key-results/KR-{kr}/check-ins"
    assert (
        api.call(
            "POST", path, token=token, raw=b"{value", headers={"Content-Type": "application/json"}
        ).status
        == 400
    )
    assert (
        api.call("POST", path, token=token, raw=b"value=1", headers={"Content-Type": "text/plain"}).status
        == 415
    )
    big = b'{"value": 1, "note": "' + b"x" * 70_000 + b'"}'
    assert (
        api.call("POST", path, token=token, raw=big, headers={"Content-Type": "application/json"}).status
        == 413
    )
    assert api.get("/api/v1/objectives?limit=0", token).json()["errors"][0]["parameter"] == "limit"
    assert api.get("/api/v1/objectives?cycle=someday", token).json()["errors"][0]["parameter"] == "cycle"
    assert api.get("/api/v1/objectives?limit=1&limit=2", token).status == 400
    assert count(db, CheckIn) == 0


# --- security ---------------------------------------------------------------------------------------


def test_another_workspaces_token_finds_nothing_of_ours(world, db, emulator):
    slack, api = world
    obj, (kr,) = make_objective(db, title="Secret plans of the north")
    _, (nps, _) = make_kra_via_service(db)
    theirs = new_token(slack, "theirs", "write", user_id=_admin_other_team(emulator), team_id=OTHER_TEAM)
    for path in (
        f"/api/v1/objectives/OBJ-{obj}",
        f"/api/v1/key-results/KR-{kr}",
        f"/api/v1/kpis/KPI-{nps}",
        "/api/v1/kras/KRA-1",
    ):
        reply = api.get(path, theirs)
        assert reply.status == 404 and reply.json()["workspace"] == OTHER_TEAM, path
        assert "Secret plans" not in reply.text
    listed = api.get("/api/v1/objectives", theirs).json()
    assert listed["objectives"] == [] and listed["workspace"]["team_id"] == OTHER_TEAM
    assert api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 59}, theirs).status == 404
    assert api.post(f"/api/v1/kpis/KPI-{nps}/measurements", {"value": 1}, theirs).status == 404
    assert count(db, CheckIn) == 0 and count(db, KpiMeasurement) == 0


def test_a_read_token_cannot_write(world, db):
    slack, api = world
    _, (kr,) = make_objective(db)
    token = new_token(slack, "reader", "read")
    reply = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 50}, token)
    assert (
        reply.status == 403
        and reply.headers["Content-Type"] == PROBLEM
        and "can only read" in reply.json()["detail"]
    )
    assert count(db, CheckIn) == 0


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token nlk_abc",
        "Bearer nlk_unknown",
        "Bearer a b",
        "bearer " + "x" * 300,
    ],
)
def test_missing_malformed_or_unknown_authorization_is_401_with_a_problem(world, db, authorization):
    _, api = world
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = api.get("/api/v1/objectives", headers=headers)
    assert reply.status == 401 and reply.headers["Content-Type"] == PROBLEM
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    problem = reply.json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized" and problem["detail"]


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(web_app, db, emulator):
    with served_api(web_app, db, emulator, limits=Limits(per_token=3, per_workspace=100)) as (slack, api):
        token = new_token(slack, "ci", "read")
        assert [api.get("/api/v1/kras", token).status for _ in range(3)] == [200, 200, 200]
        limited = api.get("/api/v1/kras", token)
        assert limited.status == 429 and limited.headers["Content-Type"] == PROBLEM
        # NOW is on the minute: the three weigh 3 × (1 − t/60) in the next minute, and one more
        # fits once that is 2, 20 s into it: 80 s from now.
        assert NOW.second == 0 and limited.headers["Retry-After"] == "80"
        other = new_token(slack, "other", "read")  # the limit is per token
        assert api.get("/api/v1/kras", other).status == 200


def test_no_token_reaches_a_log_line_an_answer_or_an_export(world, db, caplog):
    slack, api = world
    caplog.set_level(logging.DEBUG)
    secret = new_token(slack, "ci", "write")
    _, (kr,) = make_objective(db)
    api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 50}, secret)
    api.get("/api/v1/objectives", f"{secret}x")
    formatter = _Redacting(json_lines=False, secrets=())
    assert all(secret not in formatter.format(record) for record in caplog.records)
    for path in ("/api/v1/objectives", f"/api/v1/key-results/KR-{kr}", "/api/v1/openapi.json"):
        assert secret not in api.get(path, secret).text
    from bot.services.export import export_rows, to_csv

    with db.session() as session:
        exported = to_csv(export_rows(session, workspace_for(session, TEAM)))
    assert secret not in exported and not re.search(r"nlk_", exported)


def test_the_slack_path_never_reaches_the_api(world, db):
    """/slack/… is dispatched before /api/ is looked at, and /api/… never reaches Bolt."""
    slack, api = world
    assert (
        api.call(
            "POST", "/api/v1/slack/events", raw=b"x", headers={"Content-Type": "application/json"}
        ).status
        == 404
    )
    assert api.get("/api/v2/objectives").status == 404
    assert api.get("/api/v1/openapi.json").headers["Content-Type"] == "application/json"
    assert api.call("DELETE", "/api/v1/objectives").status == 405


def test_a_path_or_method_the_api_does_not_serve_is_named_before_any_token_is_read(world):
    """Routing answers first, as problem+json with the methods there are: OPTIONS and HEAD too,
    which a framework would otherwise answer by itself, and a trailing slash is not the path."""
    slack, api = world
    for method in ("OPTIONS", "HEAD", "PUT"):
        reply = api.call(method, "/api/v1/kras")  # no token: a 401 here would mean auth ran first
        assert reply.status == 405 and reply.headers["Allow"] == "GET", method
        assert reply.headers["Content-Type"] == PROBLEM and reply.headers["Cache-Control"] == "no-store"
    written = api.call("GET", "/api/v1/kpis/KPI-1/measurements")
    assert written.status == 405 and written.headers["Allow"] == "POST"
    assert written.json()["detail"] == "/api/v1/kpis/KPI-1/measurements answers POST."
    document = api.call("POST", "/api/v1/openapi.json", body={})
    assert document.status == 405 and document.headers["Allow"] == "GET, HEAD"
    slashed = api.get("/api/v1/kras/")
    assert slashed.status == 404 and slashed.headers["Content-Type"] == PROBLEM
    assert slashed.json()["detail"].startswith("There is no /api/v1/kras/;")
    elsewhere = api.get("/nowhere")
    assert elsewhere.status == 404 and elsewhere.headers["Content-Type"].startswith("text/plain")


def test_the_same_key_sent_at_once_from_many_places_writes_once(world, db):
    """A retry that arrives while the first request is still running: one check-in, one answer."""
    import threading

    slack, api = world
    _, (kr,) = make_objective(db)
    token = new_token(slack, "ci", "write")
    replies = []
    start = threading.Barrier(6)

    def post() -> None:
        start.wait()
        replies.append(
            api.post(
                f"/api/v1/key-results/KR-{kr}/check-ins",
                {"value": 50},
                token,
                headers={"Idempotency-Key": "same"},
            )
        )

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in replies] == [201] * 6
    assert len({r.text for r in replies}) == 1
    assert count(db, CheckIn) == 1 and count(db, ApiIdempotency) == 1


def test_idempotency_keys_are_forgotten_after_a_day(world, db):
    from bot.services.tokens import purge_idempotency_keys

    slack, api = world
    _, (kr,) = make_objective(db)
    token = new_token(slack, "ci", "write")
    api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 50}, token, headers={"Idempotency-Key": "k"})
    assert purge_idempotency_keys(db, NOW + timedelta(hours=23)) == 0
    assert purge_idempotency_keys(db, NOW + timedelta(hours=25)) == 1
    assert count(db, ApiIdempotency) == 0
