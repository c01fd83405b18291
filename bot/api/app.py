"""The REST API under /api/v1, as a plain WSGI app that NorthlineWSGI hands every /api/ request to.

A WSGI app, not FastAPI: the API then runs in the same gunicorn gthread workers as the Slack
endpoint, with no ASGI server or adapter in between and nothing added to Slack's path. Requests
are validated by the pydantic models in bot/api/schemas.py, which also generate the OpenAPI
document; errors are RFC 9457 problem+json naming the field at fault.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.api import resources
from bot.api.openapi import IDEMPOTENCY_KEY_MAX, PROBLEM_TYPE, build_document
from bot.api.routes import PREFIX, ROUTES, Route
from bot.api.schemas import Problem, ProblemDetail
from bot.errors import Conflict, Forbidden, Invalid, NorthlineError, NotFound, Usage
from bot.services import tokens
from bot.settings import Settings
from storage.db import Database
from storage.models import ApiIdempotency, Workspace, _now

log = logging.getLogger(__name__)

StartResponse = Callable[..., object]
MAX_BODY_BYTES = 64 * 1024
OPENAPI_PATH = PREFIX + "/openapi.json"
_STATUS_OF = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422, Usage: 422}


class ApiProblem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[ProblemDetail] | None = None,
        headers=(),
        team_id: str | None = None,
    ):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, list(headers)
        self.team_id = team_id  # the workspace it speaks for, when known before the route ran


class ApiApp:
    """`ApiApp(db, limits=…)(environ, start_response)` for any path under /api/."""

    def __init__(
        self,
        db: Database,
        *,
        limits: tokens.Limits | None = None,
        clock: Callable[[], datetime] = _now,
    ):
        self.db = db
        self.limits = limits or tokens.Limits()
        self.clock = clock
        self.openapi = _document()
        self.routes = [(route, route.pattern) for route in ROUTES]

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        team_id: str | None = None
        try:
            if path == OPENAPI_PATH:
                return self._openapi(start_response, method)
            route, ref = self._match(path, method)
            who = self._authenticate(environ)
            team_id = who.team_id
            self._admit(route, who)
            status, body, replayed = self._run(route, ref, who, environ, path)
            headers = [("Northline-Workspace", who.team_id)]
            if replayed:
                headers.append(("Idempotent-Replayed", "true"))
            return _answer(start_response, status, body, "application/json", headers)
        except Exception as error:  # noqa: BLE001 - the one place an unexpected error becomes a 500
            problem = _problem_for(error, method, path)
            return _problem(start_response, problem, path, team_id or problem.team_id)

    def _openapi(self, start_response: StartResponse, method: str) -> list[bytes]:
        if method not in ("GET", "HEAD"):
            raise ApiProblem(405, "The OpenAPI document is read with GET.", headers=[("Allow", "GET, HEAD")])
        return _answer(start_response, 200, self.openapi, "application/json")

    def _admit(self, route: Route, who: tokens.Authenticated) -> None:
        """Refuse a read-only token on a route that writes."""
        if route.writes and not who.can_write:
            raise ApiProblem(403, f"The token `{who.name}` can only read; ask an admin for a write token.")

    def _match(self, path: str, method: str) -> tuple[Route, str | None]:
        allowed = []
        for route, pattern in self.routes:
            found = pattern.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict().get("ref")
                allowed.append(route.method)
        if allowed:
            raise ApiProblem(
                405, f"{path} answers {', '.join(allowed)}.", headers=[("Allow", ", ".join(allowed))]
            )
        raise ApiProblem(
            404, f"There is no {path}; the OpenAPI document at {OPENAPI_PATH} lists what there is."
        )

    def _authenticate(self, environ: dict) -> tokens.Authenticated:
        """The token's workspace and rights, or the problem: 401 for a missing, malformed, unknown,
        revoked or expired token or one whose maker is no longer an admin; 429 for a client address
        failing too often, or a token or workspace over its rate limit."""
        header = environ.get("HTTP_AUTHORIZATION")
        address = environ.get("REMOTE_ADDR") or "unknown"
        challenge = [("WWW-Authenticate", 'Bearer realm="northline"')]
        if not header:
            self._failed(address)
            raise ApiProblem(
                401,
                "Send a workspace token: `Authorization: Bearer nlk_…` (`/okr token new NAME`).",
                headers=challenge,
            )
        scheme, _, secret = header.strip().partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret or " " in secret or len(secret) > 200:
            self._failed(address)
            raise ApiProblem(
                401,
                "The Authorization header must be `Bearer` and a token.",
                errors=[ProblemDetail(detail="expected `Bearer <token>`", header="Authorization")],
                headers=challenge,
            )
        who = tokens.authenticate(self.db, secret, address=address, limits=self.limits, now=self.clock())
        if isinstance(who, tokens.RateLimited):
            raise _too_many(who)
        if isinstance(who, tokens.Refused):
            raise ApiProblem(
                401,
                _REFUSED[who.reason].format(when=who.expired_at and f"{who.expired_at:%Y-%m-%d %H:%M} UTC"),
                headers=[("WWW-Authenticate", 'Bearer realm="northline", error="invalid_token"')],
            )
        return who

    def _failed(self, address: str) -> None:
        limited = tokens.failed_attempt(self.db, address, self.limits, self.clock())
        if limited is not None:
            raise _too_many(limited)

    def _run(self, route: Route, ref: str | None, who, environ: dict, path: str) -> tuple[int, bytes, bool]:
        query = _parse_query(route.query, environ.get("QUERY_STRING", ""))
        body = _parse_body(route.body, environ) if route.writes else None
        key = _idempotency_key(environ) if route.writes else None
        args = [a for a in (ref, query if route.query.model_fields else None, body) if a is not None]
        digest = hashlib.sha256(f"{route.method} {path}\n".encode() + _raw_body(environ)).hexdigest()
        try:
            return self._run_once(route, args, who, path, key, digest)
        except IntegrityError:
            if key is None:
                raise
            # Another request with this key committed first: answer as it did (or 409).
            with self.db.session() as session:
                replay = tokens.replay_of(session, who, key, digest)
            if replay is None:
                raise
            return replay.status, replay.body.encode(), True

    def _run_once(
        self, route: Route, args: list, who, path: str, key: str | None, digest: str
    ) -> tuple[int, bytes, bool]:
        with self.db.session() as session:
            workspace = session.get(Workspace, who.workspace_id)
            claim = None
            if key is not None:
                claim = tokens.claim_idempotency_key(session, who, key, digest, now=self.clock())
                if isinstance(claim, tokens.Replay):
                    return claim.status, claim.body.encode(), True
            call = resources.Call(session, workspace, who, path, self.clock())
            answer: BaseModel = route.handler(call, *args)
            text = answer.model_dump_json()
            if isinstance(claim, ApiIdempotency):
                claim.status, claim.body = route.status, text
        return route.status, text.encode(), False


_REFUSED = {
    tokens.Refusal.UNKNOWN: "That token is unknown or was revoked.",
    tokens.Refusal.EXPIRED: "That token expired at {when}; an admin can make a new one with `/okr token new`.",
    tokens.Refusal.MAKER_NOT_ADMIN: (
        "That token's maker is no longer an admin of this workspace, so it no longer acts for anyone; "
        "an admin can make a new one with `/okr token new`."
    ),
}
_LIMITED = {
    "token": "This token may make {limit} requests a minute",
    "workspace": "This workspace's tokens may make {limit} requests a minute together",
    "address": "Too many requests from this address failed to authenticate ({limit} a minute are answered)",
}


def _too_many(limited: tokens.RateLimited) -> ApiProblem:
    reason = _LIMITED[limited.scope].format(limit=limited.limit)
    return ApiProblem(
        429,
        f"{reason}; try again in {limited.retry_after} s.",
        headers=[("Retry-After", str(limited.retry_after))],
        team_id=limited.team_id,
    )


def limits_from(settings: Settings) -> tokens.Limits:
    """The rate limits the operator set (NORTHLINE_API_…)."""
    return tokens.Limits(
        per_token=settings.northline_api_rate_limit,
        per_workspace=settings.northline_api_workspace_rate_limit,
        auth_failures=settings.northline_api_auth_failures_per_minute,
    )


@lru_cache(maxsize=1)
def _document() -> bytes:
    # The same for every app a process builds (tests build hundreds): made once.
    return json.dumps(build_document()).encode()


def _parse_query(model: type[BaseModel], query_string: str) -> BaseModel:
    try:
        raw = parse_qs(query_string, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError:
        raise ApiProblem(400, "The query string has too many parameters.") from None
    repeated = [name for name, values in raw.items() if len(values) > 1]
    if repeated:
        raise ApiProblem(
            400,
            "A query parameter was given more than once.",
            errors=[ProblemDetail(detail="given more than once", parameter=name) for name in repeated],
        )
    try:
        return model.model_validate({name: values[0] for name, values in raw.items()})
    except ValidationError as error:
        raise ApiProblem(
            422,
            "A query parameter is wrong.",
            errors=[
                ProblemDetail(detail=e["msg"], parameter=".".join(str(p) for p in e["loc"]) or None)
                for e in error.errors()
            ],
        ) from None


def _raw_body(environ: dict) -> bytes:
    return environ.get("northline.body", b"")


def _parse_body(model: type[BaseModel], environ: dict) -> BaseModel:
    content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiProblem(
            415,
            "Send the body as application/json.",
            errors=[ProblemDetail(detail="expected application/json", header="Content-Type")],
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiProblem(400, "Content-Length is not a number.") from None
    if length > MAX_BODY_BYTES:
        raise ApiProblem(413, f"The body may be at most {MAX_BODY_BYTES} bytes.")
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["northline.body"] = raw
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as error:
        details = []
        for e in error.errors():
            if e["type"] in ("json_invalid", "json_type"):
                raise ApiProblem(
                    400, "The body is not valid JSON.", errors=[ProblemDetail(detail=e["msg"], pointer="")]
                ) from None
            details.append(ProblemDetail(detail=e["msg"], pointer="/" + "/".join(str(p) for p in e["loc"])))
        raise ApiProblem(422, "The body has a wrong field.", errors=details) from None


def _idempotency_key(environ: dict) -> str | None:
    key = environ.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise ApiProblem(
            422,
            f"Idempotency-Key must be 1–{IDEMPOTENCY_KEY_MAX} visible ASCII characters.",
            errors=[ProblemDetail(detail="1–255 visible ASCII characters", header="Idempotency-Key")],
        )
    return key


def _answer(
    start_response: StartResponse, status: int, body: bytes, content_type: str, headers=()
) -> list[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *headers,
        ],
    )
    return [body]


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


def _problem(
    start_response: StartResponse, problem: ApiProblem, path: str, team_id: str | None
) -> list[bytes]:
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
    return _answer(start_response, problem.status, body.encode(), PROBLEM_TYPE, headers)


__all__ = ["ApiApp", "OPENAPI_PATH", "limits_from"]
