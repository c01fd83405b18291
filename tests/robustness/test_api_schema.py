"""schemathesis against the OpenAPI document the running server serves: for every operation,
generated requests (valid and not) get no 5xx, and every answer matches the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from tests.factories import make_kra_via_service, new_token, served_api
from tests.factories import make_objective_via_service as make_objective

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def served(web_app, db, emulator):
    with served_api(web_app, db, emulator) as (slack, api):
        make_objective(db, krs=(("Activation", 40.0, 60.0, "%", False), ("Launch", 0.0, 1.0, "", True)))
        make_kra_via_service(db)
        yield api.base, new_token(slack, "fuzz", "write")


# Generated references mostly name nothing; these name what the fixture made, so reads answer 200
# and writes 201 too.
EXISTING = {"objectives": "OBJ-1", "key-results": "KR-1", "kras": "KRA-1", "kpis": "KPI-1"}


@pytest.mark.parametrize(
    ("mode", "existing"),
    [(GenerationMode.POSITIVE, False), (GenerationMode.POSITIVE, True), (GenerationMode.NEGATIVE, False)],
)
def test_every_operation_answers_as_its_document_says(served, mode, existing):
    base, token = served
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        kind = operation.path.split("/")[3]
        known = {"ref": EXISTING[kind]} if existing and "{ref}" in operation.path else None

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=known))
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def answers_as_documented(case):
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        answers_as_documented()


def test_the_document_is_openapi_3_1_generated_from_the_models(served):
    base, _ = served
    loaded = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    document = loaded.raw_schema
    assert document["openapi"] == "3.1.0"
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert ("post", "/api/v1/key-results/{ref}/check-ins") in operations and len(operations) == 8
    from bot.api.schemas import CheckInRequest

    generated = document["components"]["schemas"]["CheckInRequest"]
    assert generated["properties"]["value"] == CheckInRequest.model_json_schema()["properties"]["value"]
    assert generated["additionalProperties"] is False
