"""Small helpers the end-to-end tests share."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.conftest import ALICE, TEAM


def answer(slack, *args, **kwargs) -> dict:
    """Run a slash command; return the ephemeral answer the app posted to its response_url."""
    kwargs.setdefault("team_id", TEAM)
    kwargs.setdefault("user_id", ALICE)
    response = slack.command(*args, **kwargs)
    assert response.status == 200, response.text
    return slack.wait_for_response_url()


def answer_text(payload: dict) -> str:
    """An answer's text and blocks as one string to search in."""
    parts = [payload.get("text", "")]
    for block in payload.get("blocks", []):
        parts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(parts)


def opened_view(emulator, callback_id: str, count: int = 1) -> dict:
    """The `count`-th view the app opened, which must be the modal `callback_id`."""
    calls = emulator.wait_for("views.open", count=count)
    view = calls[-1].args["view"]
    assert view["callback_id"] == callback_id
    return view


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))
