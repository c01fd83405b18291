"""Check-ins on key results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.models import CheckIn, KeyResult


def make_check_in_row(session, kr: KeyResult, author: str, value: float, **fields) -> None:
    """A check-in on `kr`; the key result itself is left as it is."""
    session.add(
        CheckIn(workspace_id=kr.workspace_id, key_result_id=kr.id, value=value, author_id=author, **fields)
    )


def make_check_in_rows(session, kr: KeyResult, author: str, values: Iterable[tuple[datetime, float]]) -> None:
    """One check-in on `kr` per (when, value)."""
    for when, value in values:
        make_check_in_row(session, kr, author, value, created_at=when)


def make_check_ins(db, workspace_id, kr_id, author, values, confidence=None):
    """A check-in on key result `kr_id` per (moment, value, note), each then kept on the key result
    as a check-in does."""
    with db.session() as session:
        kr = session.get(KeyResult, kr_id)
        for moment, value, note in values:
            session.add(
                CheckIn(
                    workspace_id=workspace_id,
                    key_result_id=kr_id,
                    value=value,
                    note=note,
                    author_id=author,
                    created_at=moment,
                    confidence=confidence,
                )
            )
            kr.current_value, kr.last_checkin_at, kr.last_confidence = value, moment, confidence
