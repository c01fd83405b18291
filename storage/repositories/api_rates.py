"""The API's rate-limit counts (ApiRateWindow): moved on and counted in one statement for every
limit a request falls under, so that web workers count together without a lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, delete, update
from sqlalchemy.orm import Session

from storage.db import upsert_into
from storage.models import ApiRateWindow

Row = ApiRateWindow.__table__.c


def count(
    session: Session, keys: Sequence[str], window: datetime, before: datetime
) -> dict[str, tuple[int, int]]:
    """Add one request to each key's `window` (moving a row still on an older window on: its count
    becomes `previous` when that window is `before`, else 0); {key: (previous, count)} after it."""
    insert = upsert_into(session.get_bind().dialect.name, ApiRateWindow)
    statement = insert.values(
        [{"key": key, "window_start": window, "count": 1, "previous": 0} for key in keys]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Row.key],
        set_={
            "previous": case(
                (Row.window_start == window, Row.previous),
                (Row.window_start == before, Row.count),
                else_=0,
            ),
            "count": case((Row.window_start == window, Row.count + 1), else_=1),
            "window_start": window,
        },
    ).returning(Row.key, Row.previous, Row.count)
    return {row.key: (row.previous, row.count) for row in session.execute(statement)}


def uncount(session: Session, keys: Sequence[str], window: datetime) -> None:
    """Take back a request counted in `window` that was then refused."""
    session.execute(
        update(ApiRateWindow)
        .where(ApiRateWindow.key.in_(keys), ApiRateWindow.window_start == window, ApiRateWindow.count > 0)
        .values(count=ApiRateWindow.count - 1)
    )


def forget_before(session: Session, cutoff: datetime) -> int:
    """Rows whose window ended before `cutoff` count for nothing any more: deleted."""
    return session.execute(delete(ApiRateWindow).where(ApiRateWindow.window_start < cutoff)).rowcount or 0
