"""The OpenAPI 3.1 document, generated from the route table and the pydantic models that validate
requests and shape answers (pydantic's JSON Schema is the 2020-12 dialect OpenAPI 3.1 uses)."""

from __future__ import annotations

from http import HTTPStatus

from pydantic.json_schema import models_json_schema

from bot.api import schemas as s
from bot.api.routes import PREFIX, ROUTES, Route, ref_pattern

PROBLEM_TYPE = "application/problem+json"
IDEMPOTENCY_KEY_MAX = 255


def _problem(
    status: int, schema_ref: dict, description: str | None = None, headers: dict | None = None
) -> dict:
    answer = {
        "description": description or HTTPStatus(status).phrase,
        "content": {PROBLEM_TYPE: {"schema": schema_ref}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _query_parameters(route: Route) -> list[dict]:
    schema = route.query.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        # An optional parameter is absent rather than null: a query string has no null.
        options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1 and len(prop["anyOf"]) == 2:
            prop = {**{k: v for k, v in prop.items() if k not in ("anyOf", "default")}, **options[0]}
        description = prop.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def build_document(version: str = "0.1.0") -> dict:
    models = {s.Problem}
    for route in ROUTES:
        models.add(route.response)
        if route.body is not None:
            models.add(route.body)
    pairs = [
        (m, "validation") if m in {r.body for r in ROUTES} else (m, "serialization")
        for m in sorted(models, key=lambda m: m.__name__)
    ]
    refs, top = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})

    def ref(model) -> dict:
        mode = "validation" if model in {r.body for r in ROUTES} else "serialization"
        return refs[(model, mode)]

    problem = ref(s.Problem)
    paths: dict[str, dict] = {}
    for route in ROUTES:
        parameters = _query_parameters(route)
        if route.ref_kind is not None:
            parameters.insert(
                0,
                {
                    "name": "ref",
                    "in": "path",
                    "required": True,
                    "description": f"A reference such as {route.ref_kind.value}-3, in any case",
                    "schema": {"type": "string", "pattern": ref_pattern(route.ref_kind)},
                },
            )
        responses: dict[str, dict] = {
            str(route.status): {
                "description": HTTPStatus(route.status).phrase,
                "headers": {
                    "Northline-Workspace": {
                        "description": "The workspace's team id",
                        "schema": {"type": "string"},
                    }
                },
                "content": {"application/json": {"schema": ref(route.response)}},
            },
            "400": _problem(400, problem, "The request could not be read (not JSON, a repeated parameter)"),
            "401": _problem(
                401,
                problem,
                "Missing, malformed, unknown, revoked or expired token, or its maker is no longer an admin",
                {
                    "WWW-Authenticate": {"schema": {"type": "string"}},
                },
            ),
            "404": _problem(404, problem, "No such object in this token's workspace"),
            "422": _problem(422, problem, "A field is wrong; `errors` names it"),
            "429": _problem(
                429,
                problem,
                "A rate limit over the last minute is used up for now: this token's, its workspace's, "
                "or this address's failed authentications",
                {
                    "Retry-After": {
                        "description": "Whole seconds until one more request fits",
                        "schema": {"type": "integer"},
                    },
                },
            ),
            "503": _problem(503, problem, "The database cannot be reached; nothing was changed"),
        }
        operation = {
            "operationId": route.operation_id,
            "summary": route.summary,
            "parameters": parameters,
            "responses": responses,
        }
        if route.writes:
            operation["parameters"].append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "A retried request with the same key returns the first answer and writes nothing again",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": IDEMPOTENCY_KEY_MAX,
                        "pattern": "^[\\x21-\\x7e]+$",
                    },
                }
            )
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(route.body)}},
            }
            responses["403"] = _problem(403, problem, "A read token cannot write")
            responses["409"] = _problem(
                409, problem, "Not active any more, or an Idempotency-Key reused for another request"
            )
            responses["413"] = _problem(413, problem, "The body is too large")
            responses["415"] = _problem(415, problem, "The body is not application/json")
        paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Northline API",
            "version": version,
            "description": "Objectives, key results, KRAs and KPIs of one Slack workspace: the workspace of the token. "
            "Progress and pace are the numbers Slack shows.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `/okr token new NAME`",
                }
            },
        },
    }
