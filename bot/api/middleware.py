"""What runs before (and after) every API operation, as Falcon middleware, in this order:

1. Methods: a method the path does not answer is 405, before anything else is looked at.
2. Authentication: the bearer token, its rate limits (per token and per workspace, and failed
   attempts per client address) and, for a write, a write token; 401, 429 or 403.
3. Validation: the query and the JSON body parsed by the route's pydantic models; 400, 413, 415
   or 422 naming the parameter, header or JSON pointer at fault.
4. UnitOfWork: one transaction per operation, committed after it answered and rolled back if
   anything failed; a write's Idempotency-Key is claimed inside it, so a retry gets the first
   answer and writes nothing again.

Each returns at once for a resource that is not the API's, so Slack's requests pay nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from urllib.parse import parse_qs

import falcon
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bot.api.openapi import IDEMPOTENCY_KEY_MAX
from bot.api.problems import ApiProblem, no_such_path
from bot.api.routes import Route
from bot.api.schemas import ProblemDetail
from bot.services import tokens
from storage.db import Database

MAX_BODY_BYTES = 64 * 1024


def _route(req: falcon.Request, resource) -> Route | None:
    """The route this request runs, when it is an API operation (bot/api/app.py's Operations)."""
    routes = getattr(resource, "routes", None)
    return routes.get(req.method) if isinstance(routes, dict) else None


class Methods:
    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        allowed = getattr(resource, "allowed", None)
        if allowed is None:
            return
        path = req.env.get("PATH_INFO", "")
        if path.endswith("/"):  # Falcon's router takes /objectives/ for /objectives; the API does not
            raise no_such_path(path)
        if req.method not in allowed:
            raise resource.not_allowed(path)


class Authentication:
    """The token's workspace and rights into `req.context.who`, or the problem: 401 for a missing,
    malformed, unknown, revoked or expired token or one whose maker is no longer an admin; 429 for
    a client address failing too often, or a token or workspace over its rate limit; 403 for a
    read-only token on a route that writes."""

    def __init__(self, db: Database, limits: tokens.Limits, clock: Callable[[], datetime]):
        self.db, self.limits, self.clock = db, limits, clock

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        route = _route(req, resource)
        if route is None:
            return
        who = self._authenticate(req.env)
        req.context.who, req.context.team_id = who, who.team_id
        if route.writes and not who.can_write:
            raise ApiProblem(403, f"The token `{who.name}` can only read; ask an admin for a write token.")

    def _authenticate(self, environ: dict) -> tokens.Authenticated:
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


class Validation:
    """`req.context.query` and `req.context.body`: the route's models, validated; the body's
    bytes as sent in `req.context.raw_body`."""

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        route = _route(req, resource)
        if route is None:
            return
        req.context.query = _parse_query(route.query, req.env.get("QUERY_STRING", ""))
        req.context.raw_body = b""
        req.context.body = _parse_body(route.body, req) if route.body is not None else None


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


def _parse_body(model: type[BaseModel], req: falcon.Request) -> BaseModel:
    environ = req.env
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
    raw = req.bounded_stream.read(length) if length > 0 else b""
    req.context.raw_body = raw
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


class UnitOfWork:
    """`req.context.session` for the operation; committed after it answered (with the answer kept
    for its Idempotency-Key), rolled back if anything failed."""

    def __init__(self, db: Database, clock: Callable[[], datetime]):
        self.db, self.clock = db, clock

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        route = _route(req, resource)
        if route is None:
            return
        context = req.context
        context.key = _idempotency_key(req.env) if route.writes else None
        path = req.env.get("PATH_INFO", "")
        context.digest = hashlib.sha256(f"{route.method} {path}\n".encode() + context.raw_body).hexdigest()
        context.session = session = self.db.session_factory()
        context.claim = None
        if context.key is not None:
            claim = tokens.claim_idempotency_key(
                session, context.who, context.key, context.digest, now=self.clock()
            )
            if isinstance(claim, tokens.Replay):
                _replayed(resp, context.who.team_id, claim)
                resp.complete = True
            else:
                context.claim = claim

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool
    ) -> None:
        session: Session | None = req.context.get("session")
        if session is None:
            return
        req.context.session = None
        try:
            if not req_succeeded:
                session.rollback()
                return
            answer = req.context.get("answer")
            if req.context.claim is not None and answer is not None:
                tokens.keep_answer(session, req.context.claim, *answer)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def abandon(self, req: falcon.Request) -> None:
        """Roll back the operation's transaction now, before its error is answered."""
        session: Session | None = req.context.get("session")
        if session is not None:
            req.context.session = None
            session.rollback()
            session.close()

    def replay_race(self, req: falcon.Request, resp: falcon.Response) -> bool:
        """Another request with this Idempotency-Key committed first: answer as it did (or 409).
        False when the request had no key, or the other's answer is not there to give."""
        context = req.context
        if context.get("key") is None:
            return False
        with self.db.session() as session:
            replay = tokens.replay_of(session, context.who, context.key, context.digest)
        if replay is None:
            return False
        _replayed(resp, context.who.team_id, replay)
        return True


def _replayed(resp: falcon.Response, team_id: str, replay: tokens.Replay) -> None:
    headers = [("Northline-Workspace", team_id), ("Idempotent-Replayed", "true")]
    json_answer(resp, replay.status, replay.body.encode(), headers)


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


def json_answer(
    resp: falcon.Response, status: int, body: bytes, headers=(), *, content_type: str = falcon.MEDIA_JSON
) -> None:
    resp.status = f"{status} {HTTPStatus(status).phrase}"
    resp.content_type = content_type
    resp.data = body
    resp.set_header("Cache-Control", "no-store")
    for name, value in headers:
        resp.set_header(name, value)
