"""Stable KRAs, end to end: the quarterly review shows how long each KRA has stood and, when a
person's set changed at their last two reviews, a gentle note with the seeds' test; the KRA form
carries the test as its title's hint. Nothing is ever refused for it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.domain.clock import stored_now
from bot.domain.stability import NEXT_YEAR_TEST, standing
from bot.ids import Block, Callback
from bot.services.workspaces import workspace_for
from storage.models import Kra, KraReview, ReviewDecision
from tests.conftest import ALICE, BOB, TEAM
from tests.factories import opened_view


def seed(db, owner: str, decisions: list[tuple[int, ReviewDecision]]) -> None:
    """Two KRAs declared 14 months ago and 10 days ago; `decisions`: (days ago, decision)."""
    now = stored_now()
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        old = Kra(
            workspace_id=ws.id,
            number=1 if owner == ALICE else 11,
            title="Customer satisfaction",
            owner_id=owner,
            created_by=owner,
            created_at=now - timedelta(days=430),
        )
        new = Kra(
            workspace_id=ws.id,
            number=2 if owner == ALICE else 12,
            title="Query resolution",
            owner_id=owner,
            created_by=owner,
            created_at=now - timedelta(days=10),
        )
        session.add_all([old, new])
        session.flush()
        session.add_all(
            KraReview(
                workspace_id=ws.id,
                kra_id=old.id,
                decision=decision,
                reviewer_id=owner,
                reviewed_at=now - timedelta(days=days),
            )
            for days, decision in decisions
        )


def review_view(slack, emulator, user: str) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/kra", "review", user_id=user)
    return opened_view(emulator, Callback.KRA_REVIEW, count=before + 1)


def test_the_review_shows_how_long_each_kra_has_stood(slack, emulator, db):
    seed(db, ALICE, [])
    view = review_view(slack, emulator, ALICE)
    text = json.dumps(view["blocks"], ensure_ascii=False)
    with db.session() as session:
        declared = session.scalar(select(Kra.created_at).where(Kra.number == 1))
    # 430 days: "standing 1 year 1 month" or "… 2 months" by the day of the month (unit-tested).
    stood = standing(declared, stored_now())
    assert stood.startswith("standing 1 year ")
    assert f"Customer satisfaction* · _{stood}_" in text
    assert "Query resolution* · _new this month_" in text
    assert "next year with different tactics" not in text


def test_a_set_that_changed_at_two_reviews_in_a_row_gets_a_gentle_note(slack, emulator, db):
    # Changed ~200 days ago and ~100 days ago: two reviews, in two different quarters, in a row.
    seed(db, ALICE, [(200, ReviewDecision.CHANGE), (100, ReviewDecision.RETIRE), (100, ReviewDecision.KEEP)])
    # Bob changed once, then kept: no note.
    seed(db, BOB, [(200, ReviewDecision.CHANGE), (100, ReviewDecision.KEEP)])
    view = review_view(slack, emulator, ALICE)
    intro = view["blocks"][0]["text"]["text"]
    assert "changed at your last two reviews" in intro
    assert "would it still make sense next year with different tactics?" in intro
    # A note, not a refusal: every KRA is still there to decide on.
    assert {Block.REVIEW_DECISION.of(id=n) for n in (1, 2)} <= {b.get("block_id") for b in view["blocks"]}
    bob = review_view(slack, emulator, BOB)
    assert "changed at your last two reviews" not in bob["blocks"][0]["text"]["text"]
    assert not emulator.violations


def test_the_kra_form_carries_the_next_year_test(slack, emulator):
    slack.command("/kra", "add", user_id=ALICE)
    view = opened_view(emulator, Callback.KRA_NEW)
    (title,) = [b for b in view["blocks"] if b.get("block_id") == Block.KRA_TITLE]
    assert title["hint"]["text"] == NEXT_YEAR_TEST
