"""What an API client may send: strings without control characters (422 naming the field), and
numbers that are JSON numbers (`true` and `"3"` are not). Over HTTP to the served app."""

from __future__ import annotations

import pytest

from storage.models import CheckIn, KpiMeasurement
from tests.factories import count, make_kra_via_service, new_token, served_api
from tests.factories import make_objective_via_service as make_objective

PROBLEM = "application/problem+json"


@pytest.fixture
def world(web_app, db, emulator):
    with served_api(web_app, db, emulator) as (slack, api):
        yield slack, api


# --- what a client may send -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "character"),
    [
        ("before\x00after", "U+0000"),
        ("bell\x07", "U+0007"),
        ("carriage\rreturn", "U+000D"),
        ("delete\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("invoice \u202egnp.exe", "U+202E"),
        ("isolate \u2066x\u2069", "U+2066"),
    ],
)
def test_a_control_character_in_a_field_is_422_naming_it(world, db, note, character):
    slack, api = world
    _, (kr,) = make_objective(db)
    secret = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 50, "note": note}, secret)
    assert reply.status == 422 and reply.headers["Content-Type"] == PROBLEM
    (error,) = reply.json()["errors"]
    assert error["pointer"] == "/note" and character in error["detail"]
    assert count(db, CheckIn) == 0


def test_a_multi_line_note_keeps_its_tabs_and_newlines(world, db):
    slack, api = world
    _, (nps, _) = make_kra_via_service(db)
    secret = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/kpis/KPI-{nps}/measurements", {"value": 3, "note": "a\tb\nc"}, secret)
    assert reply.status == 201, reply.text
    assert reply.json()["measurement"]["note"] == "a\tb\nc"


def test_a_control_character_in_a_query_parameter_is_422_naming_it(world, db):
    slack, api = world
    secret = new_token(slack, "ci", "read")
    reply = api.get("/api/v1/objectives?owner=U0ALICE%00", secret)
    assert reply.status == 422 and reply.headers["Content-Type"] == PROBLEM
    assert [(e["parameter"], "U+0000" in e["detail"]) for e in reply.json()["errors"]] == [("owner", True)]


@pytest.mark.parametrize("value", [True, False, "3", "42.5", None, [1], {"n": 1}])
def test_a_value_that_is_not_a_json_number_is_422(world, db, value):
    slack, api = world
    _, (nps, _) = make_kra_via_service(db)
    secret = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/kpis/KPI-{nps}/measurements", {"value": value}, secret)
    assert reply.status == 422 and reply.headers["Content-Type"] == PROBLEM
    assert [e["pointer"] for e in reply.json()["errors"]] == ["/value"]
    assert count(db, KpiMeasurement) == 0


@pytest.mark.parametrize(
    ("body", "pointer"), [({"value": 1, "note": 7}, "/note"), ({"value": 1, "confidence": 1}, "/confidence")]
)
def test_no_field_takes_another_type(world, db, body, pointer):
    slack, api = world
    _, (kr,) = make_objective(db)
    secret = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", body, secret)
    assert reply.status == 422 and pointer in [e["pointer"] for e in reply.json()["errors"]]
    assert count(db, CheckIn) == 0


def test_a_whole_number_is_a_number(world, db):
    slack, api = world
    _, (kr,) = make_objective(db)
    secret = new_token(slack, "ci", "write")
    reply = api.post(f"/api/v1/key-results/KR-{kr}/check-ins", {"value": 50}, secret)
    assert reply.status == 201 and reply.json()["check_in"]["value"] == 50.0
