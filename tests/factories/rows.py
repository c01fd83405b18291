"""Counting rows, and the helpers the builders share to add them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, select


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# The builders of rows in an open session flush each one, so its id is there for the next.


def added(session, row):
    """`row`, added and flushed: its id is known."""
    session.add(row)
    session.flush()
    return row


def next_number(session, workspace_id, model) -> int:
    from sqlalchemy import func

    return (session.scalar(select(func.max(model.number)).where(model.workspace_id == workspace_id)) or 0) + 1


def ids_by_number(session, model, workspace_id: int) -> dict[int, int]:
    """number -> id of a workspace's objectives or key results."""
    return dict(
        session.execute(
            model.__table__.select()
            .with_only_columns(model.number, model.id)
            .where(model.workspace_id == workspace_id)
        ).all()
    )


def insert_in_batches(session, model, rows: Iterable[dict], size: int = 10_000) -> None:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            session.execute(insert(model), batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)
