"""Workspace API tokens: made, listed and revoked by workspace admins; checked on every API request.

A token is 32 random bytes (256 bits) shown once. Only its SHA-256 is stored, with a short prefix
people can recognise it by. A fast hash is right here, unlike for passwords: nobody can guess
256 random bits however fast the hash is, so bcrypt's slowness would protect nothing and cost
every API request a hundred milliseconds; and an unsalted hash can be looked up by its index.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import sliding_window
from bot.domain.clock import as_stored, stored_now
from bot.domain.lifetimes import Lifetime
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.services.members import member
from storage.db import Database
from storage.models import ApiIdempotency, ApiToken, Member, TokenPermission, Workspace
from storage.repositories import api_rates

TOKEN_PREFIX = "nlk_"  # noqa: S105 - the public prefix of every token, not a secret
PREFIX_SHOWN = len(TOKEN_PREFIX) + 6  # "nlk_AbC123": enough to tell tokens apart, useless to guess
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
ADMINS_ONLY = "Only a workspace admin can manage API tokens."
MAX_LIVE_TOKENS = 50


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_text() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def require_admin(session: Session, workspace: Workspace, user_id: str) -> None:
    if not member(session, workspace, user_id).is_admin:
        raise Forbidden(ADMINS_ONLY)


def parse_name(text: str) -> str:
    name = (text or "").strip()
    if not NAME.fullmatch(name):
        raise Invalid(
            "A token's name is 1–40 letters, digits, dots, dashes or underscores, starting with a letter "
            "or digit, e.g. `ci-metrics`."
        )
    return name


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # the token itself: shown once, never stored


def create_token(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    name: str,
    permission: TokenPermission,
    *,
    lifetime: Lifetime | None = None,
    now: datetime | None = None,
) -> NewToken:
    """A new token acting for `actor_id` (an admin), refused from `lifetime` on when one is given."""
    require_admin(session, workspace, actor_id)
    name = parse_name(name)
    now = as_stored(now or stored_now())
    live = session.scalars(
        select(ApiToken.name).where(ApiToken.workspace_id == workspace.id, ApiToken.revoked_at.is_(None))
    )
    names = set(live)
    if name in names:
        raise Conflict(f"A token named `{name}` already exists; revoke it first or pick another name.")
    if len(names) >= MAX_LIVE_TOKENS:
        raise Invalid(f"This workspace has {MAX_LIVE_TOKENS} tokens; revoke one you no longer use first.")
    secret = new_token_text()
    token = ApiToken(
        workspace_id=workspace.id,
        name=name,
        prefix=secret[:PREFIX_SHOWN],
        token_hash=hash_token(secret),
        permission=permission,
        created_by=actor_id,
        created_at=now,
        expires_at=lifetime.expires(now) if lifetime else None,
    )
    try:
        with session.begin_nested():
            session.add(token)
    except IntegrityError:  # someone made one with this name a moment ago
        raise Conflict(
            f"A token named `{name}` already exists; revoke it first or pick another name."
        ) from None
    return NewToken(token, secret)


@dataclass(frozen=True)
class TokenLine:
    """A live token as `/okr token list` shows it: plain values, and whether it works now."""

    name: str
    permission: TokenPermission
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    expired: bool
    maker_is_admin: bool  # False: refused until its maker is an active admin again


def list_tokens(
    session: Session, workspace: Workspace, actor_id: str, *, now: datetime | None = None
) -> list[TokenLine]:
    """The workspace's tokens not revoked, with their makers' standing: one statement."""
    require_admin(session, workspace, actor_id)
    now = as_stored(now or stored_now())
    rows = session.execute(
        select(ApiToken, Member.is_admin, Member.is_deleted)
        .outerjoin(
            Member, (Member.workspace_id == ApiToken.workspace_id) & (Member.user_id == ApiToken.created_by)
        )
        .where(ApiToken.workspace_id == workspace.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.name)
    )
    return [
        TokenLine(
            t.name,
            t.permission,
            t.prefix,
            t.created_by,
            t.created_at,
            t.last_used_at,
            t.expires_at,
            t.expires_at is not None and t.expires_at <= now,
            bool(is_admin) and not is_deleted,
        )
        for t, is_admin, is_deleted in rows
    ]


def revoke_token(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    name: str,
    *,
    now: datetime | None = None,
) -> ApiToken:
    require_admin(session, workspace, actor_id)
    name = parse_name(name)
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.workspace_id == workspace.id, ApiToken.name == name, ApiToken.revoked_at.is_(None)
        )
    )
    if token is None:
        raise NotFound(f"There is no token named `{name}` in this workspace. `/okr token list` shows them.")
    token.revoked_at, token.revoked_by = now or stored_now(), actor_id
    return token


# --- on every API request --------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Requests admitted in any sixty seconds (a sliding window): per token, per workspace (all its
    tokens together), and failed authentications per client address."""

    per_token: int = 600
    per_workspace: int = 1200
    auth_failures: int = 30


@dataclass(frozen=True)
class Authenticated:
    token_id: int
    name: str
    permission: TokenPermission
    created_by: str
    workspace_id: int
    team_id: str

    @property
    def can_write(self) -> bool:
        return self.permission == TokenPermission.WRITE


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # no such token, revoked, or its workspace uninstalled
    EXPIRED = "expired"
    MAKER_NOT_ADMIN = "maker_not_admin"  # demoted, deactivated, or never seen as an admin


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    expired_at: datetime | None = None


@dataclass(frozen=True)
class RateLimited:
    scope: str  # "token", "workspace" or "address"
    limit: int
    retry_after: int  # whole seconds
    team_id: str | None = None  # the workspace, once the token is known


def authenticate(
    db: Database, secret: str, *, address: str, limits: Limits, now: datetime | None = None
) -> Authenticated | Refused | RateLimited:
    """The live token `secret` is, still acting for an active admin, counted against its own and
    its workspace's rate limits and stamped as used. A token that is unknown, revoked, expired or
    whose maker is no longer an active admin is Refused, and counts as a failure of `address`.

    A request that gets in costs three statements, committed at once so that a request failing
    later still counted: the token joined with its workspace and its maker's member row, the
    rate windows (one upsert for both), and the last-used stamp."""
    now = as_stored(now or stored_now())
    with db.session() as session:
        row = session.execute(
            select(
                ApiToken.id,
                ApiToken.name,
                ApiToken.permission,
                ApiToken.created_by,
                ApiToken.workspace_id,
                ApiToken.expires_at,
                Workspace.team_id,
                Member.is_admin,
                Member.is_deleted,
            )
            .join(Workspace, Workspace.id == ApiToken.workspace_id)
            .outerjoin(
                Member,
                (Member.workspace_id == ApiToken.workspace_id) & (Member.user_id == ApiToken.created_by),
            )
            .where(
                ApiToken.token_hash == hash_token(secret),
                ApiToken.revoked_at.is_(None),
                Workspace.uninstalled_at.is_(None),  # its tokens stop working with its bot token
            )
        ).first()
        refusal = _refusal(row, now)
        if refusal is not None:
            return _count_failure(session, address, limits, now) or refusal
        limited = _count_request(session, row, limits, now)
        if limited is not None:
            return limited
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        return Authenticated(
            row.id, row.name, TokenPermission(row.permission), row.created_by, row.workspace_id, row.team_id
        )


def failed_attempt(
    db: Database, address: str, limits: Limits, now: datetime | None = None
) -> RateLimited | None:
    """A request with no usable Authorization header: a failure of `address`; RateLimited when that
    address has failed more than its limit in the last minute."""
    with db.session() as session:
        return _count_failure(session, address, limits, as_stored(now or stored_now()))


def _refusal(row, now: datetime) -> Refused | None:
    if row is None:
        return Refused(Refusal.UNKNOWN)
    if row.expires_at is not None and row.expires_at <= now:
        return Refused(Refusal.EXPIRED, row.expires_at)
    if not row.is_admin or row.is_deleted:  # no member row: never seen as an admin (None)
        return Refused(Refusal.MAKER_NOT_ADMIN)
    return None


def _count_request(session: Session, row, limits: Limits, now: datetime) -> RateLimited | None:
    token_key, workspace_key = f"token:{row.id}", f"workspace:{row.workspace_id}"
    checks = ((token_key, "token", limits.per_token), (workspace_key, "workspace", limits.per_workspace))
    window = sliding_window.window_start(now)
    counted = api_rates.count(session, [token_key, workspace_key], window, window - sliding_window.WINDOW)
    elapsed = (now - window).total_seconds()
    seconds = sliding_window.WINDOW.total_seconds()
    for key, scope, limit in checks:
        counts = sliding_window.Counts(*counted[key])
        if not sliding_window.admits(counts, limit, elapsed, seconds):
            api_rates.uncount(session, [token_key, workspace_key], window)
            before = sliding_window.Counts(counts.previous, counts.current - 1)
            wait = sliding_window.retry_after(before, limit, elapsed, seconds)
            return RateLimited(scope, limit, wait, row.team_id)
    return None


def _count_failure(session: Session, address: str, limits: Limits, now: datetime) -> RateLimited | None:
    key = f"auth:{address[:70]}"
    window = sliding_window.window_start(now)
    counts = sliding_window.Counts(
        *api_rates.count(session, [key], window, window - sliding_window.WINDOW)[key]
    )
    elapsed = (now - window).total_seconds()
    seconds = sliding_window.WINDOW.total_seconds()
    if sliding_window.admits(counts, limits.auth_failures, elapsed, seconds):
        return None
    api_rates.uncount(session, [key], window)
    before = sliding_window.Counts(counts.previous, counts.current - 1)
    return RateLimited(
        "address",
        limits.auth_failures,
        sliding_window.retry_after(before, limits.auth_failures, elapsed, seconds),
    )


def forget_rate_windows(db: Database, now: datetime) -> int:
    """Rate counts older than two windows count for nothing: deleted (for the clock, daily)."""
    with db.session() as session:
        return api_rates.forget_before(session, as_stored(now) - 2 * sliding_window.WINDOW)


# --- Idempotency-Key --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


@dataclass(frozen=True)
class Claim:
    """An Idempotency-Key held by the request that claimed it, in that request's transaction."""

    id: int


def claim_idempotency_key(
    session: Session, who: Authenticated, key: str, request_hash: str, *, now: datetime | None = None
) -> Replay | Claim:
    """Inside the write's own transaction: the first request with this key gets a claim to fill
    with its answer (committed with the write, or rolled back with it); a retry gets that answer.
    The same key with another request is a Conflict.

    Two requests with one key at the same moment: the second one's INSERT waits on the unique
    index (PostgreSQL) or the write lock (SQLite) and then fails with IntegrityError; the caller
    looks again with `replay_of` in a fresh transaction. (No SAVEPOINT here: on SQLite the first
    statement of a transaction inside one would be committed by its RELEASE.)"""
    found = replay_of(session, who, key, request_hash)
    if found is not None:
        return found
    claim = ApiIdempotency(
        workspace_id=who.workspace_id,
        token_id=who.token_id,
        key=key,
        request_hash=request_hash,
        status=0,
        body="",
        created_at=now or stored_now(),
    )
    session.add(claim)
    session.flush()
    return Claim(claim.id)


def replay_of(session: Session, who: Authenticated, key: str, request_hash: str) -> Replay | None:
    first = session.scalar(
        select(ApiIdempotency).where(ApiIdempotency.token_id == who.token_id, ApiIdempotency.key == key)
    )
    if first is None:
        return None
    if first.request_hash != request_hash:
        raise Conflict(
            "This Idempotency-Key was already used with a different request; use a new key for a new request."
        )
    return Replay(first.status, first.body)


IDEMPOTENCY_KEEP = timedelta(hours=24)


def purge_idempotency_keys(db: Database, now: datetime, *, keep: timedelta = IDEMPOTENCY_KEEP) -> int:
    """Forget Idempotency-Keys older than `keep` (a day, as Stripe does): a retry is a matter of
    minutes; after that the same key is a new request. For the clock, daily. Returns how many."""
    cutoff = as_stored(now) - keep
    with db.session() as session:
        result = session.execute(delete(ApiIdempotency).where(ApiIdempotency.created_at < cutoff))
        return result.rowcount or 0


def keep_answer(session: Session, claim: Claim, status: int, body: str) -> None:
    """The answer a retry with the claimed Idempotency-Key gets, committed with the write."""
    session.execute(
        update(ApiIdempotency).where(ApiIdempotency.id == claim.id).values(status=status, body=body)
    )
