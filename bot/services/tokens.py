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
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.services.workspaces import member
from storage.db import Database
from storage.models import ApiIdempotency, ApiToken, TokenPermission, Workspace, _now

TOKEN_PREFIX = "nlk_"
PREFIX_SHOWN = len(TOKEN_PREFIX) + 6  # "nlk_AbC123": enough to tell tokens apart, useless to guess
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
ADMINS_ONLY = "Only a workspace admin can manage API tokens."
WINDOW = timedelta(minutes=1)
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
    now: datetime | None = None,
) -> NewToken:
    require_admin(session, workspace, actor_id)
    name = parse_name(name)
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
        created_at=now or _now(),
        window_count=0,
    )
    try:
        with session.begin_nested():
            session.add(token)
    except IntegrityError:  # someone made one with this name a moment ago
        raise Conflict(
            f"A token named `{name}` already exists; revoke it first or pick another name."
        ) from None
    return NewToken(token, secret)


def list_tokens(session: Session, workspace: Workspace, actor_id: str) -> list[ApiToken]:
    require_admin(session, workspace, actor_id)
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.workspace_id == workspace.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.name)
        )
    )


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
    token.revoked_at, token.revoked_by = now or _now(), actor_id
    return token


# --- on every API request --------------------------------------------------------------------------


@dataclass(frozen=True)
class Authenticated:
    token_id: int
    name: str
    permission: TokenPermission
    created_by: str
    workspace_id: int
    team_id: str
    requests_this_minute: int
    retry_after: int  # seconds until the current minute's count starts again

    @property
    def can_write(self) -> bool:
        return self.permission == TokenPermission.WRITE


def authenticate(db: Database, secret: str, *, now: datetime | None = None) -> Authenticated | None:
    """The live token `secret` is, counted against its rate limit and stamped as used; None when
    unknown or revoked. One UPDATE … RETURNING and one SELECT, committed at once, so a request
    that fails later still counted, and every web worker counts on the same row."""
    now = now or _now()
    window = now.replace(second=0, microsecond=0)
    with db.session() as session:
        row = session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
            .values(
                window_count=case((ApiToken.window_start == window, ApiToken.window_count + 1), else_=1),
                window_start=window,
                last_used_at=now,
            )
            .returning(
                ApiToken.id,
                ApiToken.name,
                ApiToken.permission,
                ApiToken.created_by,
                ApiToken.workspace_id,
                ApiToken.window_count,
            )
        ).first()
        if row is None:
            return None
        workspace = session.get(Workspace, row.workspace_id)
        if workspace is None or workspace.uninstalled_at is not None:
            return None  # an uninstalled workspace's tokens stop working with its bot token
        retry_after = max(1, int((window + WINDOW - now).total_seconds()))
        return Authenticated(
            row.id,
            row.name,
            TokenPermission(row.permission),
            row.created_by,
            row.workspace_id,
            workspace.team_id,
            row.window_count,
            retry_after,
        )


# --- Idempotency-Key --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


def claim_idempotency_key(
    session: Session, who: Authenticated, key: str, request_hash: str, *, now: datetime | None = None
) -> Replay | ApiIdempotency:
    """Inside the write's own transaction: the first request with this key gets a row to fill
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
        created_at=now or _now(),
    )
    session.add(claim)
    session.flush()
    return claim


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
    cutoff = (now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now) - keep
    with db.session() as session:
        result = session.execute(delete(ApiIdempotency).where(ApiIdempotency.created_at < cutoff))
        return result.rowcount or 0
