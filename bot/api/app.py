"""The REST API under /api/v1, on the web process's Falcon app (bot/web.py).

`install(web, db, …)` adds it: one Falcon resource per path of the route table (bot/api/routes.py),
the middleware that runs before each operation, in order (bot/api/middleware.py: method, token and
rate limits, then the query and body validated by the route's pydantic models, then the unit of
work with its Idempotency-Key), and one error handler that turns every error into RFC 9457
problem+json naming the field at fault. The OpenAPI document is made from the same table and
models (bot/api/openapi.py). An operation only calls services (bot/api/resources.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from http import HTTPStatus

import falcon
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.api import resources
from bot.api.middleware import (
    Authentication,
    Methods,
    UnitOfWork,
    Validation,
    json_answer,
)
from bot.api.openapi import PROBLEM_TYPE, build_document
from bot.api.problems import OPENAPI_PATH, ApiProblem
from bot.api.routes import PREFIX, ROUTES, Route
from bot.api.schemas import Problem, ProblemDetail
from bot.domain.clock import stored_now
from bot.errors import Conflict, Forbidden, Invalid, NorthlineError, NotFound, Usage
from bot.services import tokens
from bot.settings import Settings
from storage.db import Database

log = logging.getLogger(__name__)

_STATUS_OF = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422, Usage: 422}


def install(
    web: falcon.App,
    db: Database,
    *,
    limits: tokens.Limits | None = None,
    clock: Callable[[], datetime] = stored_now,
) -> None:
    """Serve the API on `web`: its middleware, its routes and the one error handler."""
    unit = UnitOfWork(db, clock)
    web.add_middleware([Methods(), Authentication(db, limits or tokens.Limits(), clock), Validation(), unit])
    web.add_route(OPENAPI_PATH, OpenApi())
    grouped: dict[str, dict[str, Route]] = {}
    for route in ROUTES:
        grouped.setdefault(PREFIX + route.path, {})[route.method] = route
    for path, routes in grouped.items():
        web.add_route(path, Operations(routes, clock))
    errors = ErrorHandler(unit)
    web.add_error_handler(Exception, errors)
    web.add_error_handler(falcon.HTTPError, errors)


def not_found(req: falcon.Request) -> None:
    """A path under /api/ that no route takes."""
    raise ApiProblem(
        404,
        f"There is no {req.env.get('PATH_INFO', '')}; the OpenAPI document at {OPENAPI_PATH} lists what there is.",
    )


class Operations:
    """The operations on one path: each runs its handler on the request the middleware checked,
    inside the unit of work the middleware opened."""

    def __init__(self, routes: dict[str, Route], clock: Callable[[], datetime]):
        self.routes, self.clock = routes, clock
        for method in routes:
            setattr(self, f"on_{method.lower()}", self.respond)

    @property
    def allowed(self) -> list[str]:
        return list(self.routes)

    def not_allowed(self, path: str) -> ApiProblem:
        allowed = ", ".join(self.routes)
        return ApiProblem(405, f"{path} answers {allowed}.", headers=[("Allow", allowed)])

    def respond(self, req: falcon.Request, resp: falcon.Response, ref: str | None = None) -> None:
        route, context = self.routes[req.method], req.context
        call = resources.Call(context.session, context.who, req.env.get("PATH_INFO", ""), self.clock())
        query = context.query if route.query.model_fields else None
        args = [a for a in (ref, query, context.body) if a is not None]
        text = route.handler(call, *args).model_dump_json()
        context.answer = (route.status, text)
        json_answer(resp, route.status, text.encode(), [("Northline-Workspace", context.who.team_id)])


class OpenApi:
    """GET /api/v1/openapi.json: the document, made once per process."""

    allowed = ["GET", "HEAD"]

    def not_allowed(self, path: str) -> ApiProblem:
        return ApiProblem(405, "The OpenAPI document is read with GET.", headers=[("Allow", "GET, HEAD")])

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        json_answer(resp, 200, _document())

    on_head = on_get


@lru_cache(maxsize=1)
def _document() -> bytes:
    # The same for every app a process builds (tests build hundreds): made once.
    return json.dumps(build_document()).encode()


class ErrorHandler:
    """Falcon's handler for every error raised while answering. Under /api/ it rolls back the
    unit of work and answers problem+json (or, for a write that lost a race for its
    Idempotency-Key, the answer of the write that won); elsewhere, a plain status."""

    def __init__(self, unit: UnitOfWork):
        self.unit = unit

    def __call__(self, req: falcon.Request, resp: falcon.Response, error: Exception, params) -> None:
        path = req.env.get("PATH_INFO", "")
        if not path.startswith("/api/"):
            _plain_error(req, resp, error)
            return
        self.unit.abandon(req)
        team_id = req.context.get("team_id")
        try:
            if isinstance(error, IntegrityError) and self.unit.replay_race(req, resp):
                return
        except Exception as later:  # noqa: BLE001 - the replay's own failure (a 409) is the answer
            error = later
        problem = _problem_for(error, req.method, path)
        _problem(resp, problem, path, team_id or problem.team_id)


def _plain_error(req: falcon.Request, resp: falcon.Response, error: Exception) -> None:
    if isinstance(error, falcon.HTTPError):
        status, message = error.status, error.title
        for name, value in (error.headers or {}).items():
            resp.set_header(name, value)
    else:
        log.exception("unexpected error on %s %s", req.method, req.path)
        status, message = falcon.HTTP_500, "internal error"
    resp.status, resp.content_type, resp.data = status, falcon.MEDIA_TEXT, message.encode()


def limits_from(settings: Settings) -> tokens.Limits:
    """The rate limits the operator set (NORTHLINE_API_…)."""
    return tokens.Limits(
        per_token=settings.northline_api_rate_limit,
        per_workspace=settings.northline_api_workspace_rate_limit,
        auth_failures=settings.northline_api_auth_failures_per_minute,
    )


def _problem_for(error: Exception, method: str, path: str) -> ApiProblem:
    """The problem an error raised while answering becomes; logs what a person must look into.
    Called while the error is being handled, so log.exception records its traceback."""
    if isinstance(error, ApiProblem):
        return error
    if isinstance(error, resources.ApiFieldError):
        detail = ProblemDetail(detail=error.detail, pointer=error.pointer, parameter=error.parameter)
        return ApiProblem(422, error.detail, errors=[detail])
    if isinstance(error, NorthlineError):
        status = next((code for kind, code in _STATUS_OF.items() if isinstance(error, kind)), 422)
        return ApiProblem(status, error.message)
    if isinstance(error, falcon.HTTPError):
        status = int(error.status_code)
        return ApiProblem(
            status, error.description or HTTPStatus(status).phrase, headers=(error.headers or {}).items()
        )
    if isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        log.error("API: database unavailable: %s", type(error).__name__)
        return ApiProblem(503, "Northline can't reach its database right now; nothing was changed.")
    if isinstance(error, DBAPIError):
        log.exception("API: unexpected database error on %s %s", method, path)
    else:
        log.exception("API: unexpected error on %s %s", method, path)
    return ApiProblem(500, "Something went wrong; nothing was changed.")


def _problem(resp: falcon.Response, problem: ApiProblem, path: str, team_id: str | None) -> None:
    body = Problem(
        title=HTTPStatus(problem.status).phrase,
        status=problem.status,
        detail=problem.detail,
        instance=path[:300] or None,
        workspace=team_id,
        errors=problem.errors,
    ).model_dump_json(exclude_none=True)
    headers = list(problem.headers)
    if team_id:
        headers.append(("Northline-Workspace", team_id))
    json_answer(resp, problem.status, body.encode(), headers, content_type=PROBLEM_TYPE)


__all__ = ["OPENAPI_PATH", "install", "limits_from", "not_found"]
