"""The channel digest leads with what changed this week and what is at risk, and keeps the detail
in its thread, never showing a key result twice. A team of 8 objectives x 4 key results, the
digest posted by the weekly job, read back from the emulator."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.jobs.digest import channel_digests
from tests.conftest import ALICE, BOB, CAROL, CHANNEL
from tests.factories import (
    FRIDAY_LONDON,
    channel_posts,
    clients,
    make_check_ins,
    make_key_result,
    make_objective,
    make_workspace,
)
from tests.slack.emulator import MESSAGE_BLOCKS_TEXT_MAX, blocks_text_length

LAST_WEEK = datetime(2026, 11, 20, 9)
THIS_WEEK = datetime(2026, 12, 1, 9)  # the digest's week starts Monday 30 November


def seed_team(db) -> None:
    """Objective n (1..8) has four key results, numbered in order:
    - on pace, checked in this week (50 → 75, confident): what changed;
    - behind, checked in this week (20 → 30, "at risk"): moved, but at risk;
    - behind, checked in last week only (30, confident): at risk, and no check-in this week;
    - never checked in: no pace to judge yet, so in the thread only."""
    workspace_id = make_workspace(db, timezone="Europe/London")
    for o in range(8):
        objective_id = make_objective(db, workspace_id, ALICE, channel=CHANNEL, title=f"Objective {o + 1}")
        moving, behind, quiet, silent = (
            make_key_result(db, workspace_id, objective_id, owner) for owner in (ALICE, BOB, CAROL, BOB)
        )
        make_check_ins(
            db,
            workspace_id,
            moving,
            ALICE,
            [(LAST_WEEK, 50.0, None), (THIS_WEEK, 75.0, "on a roll")],
            "on_track",
        )
        make_check_ins(
            db,
            workspace_id,
            behind,
            BOB,
            [(LAST_WEEK, 20.0, None), (THIS_WEEK, 30.0, "short of hands")],
            "at_risk",
        )
        make_check_ins(db, workspace_id, quiet, CAROL, [(LAST_WEEK, 30.0, "steady")], "on_track")
        del silent


def texts(call) -> str:
    return "\n".join(_block_texts(call.args["blocks"]))


def _block_texts(blocks) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if isinstance(e, dict) and "text" in e]
    return found


@pytest.fixture
def digest(db, emulator):
    seed_team(db)
    report = channel_digests(db, clients(emulator), FRIDAY_LONDON)
    assert report.sent == 1, report
    parent, *thread = channel_posts(emulator, CHANNEL)
    return parent, thread


def test_no_key_result_is_shown_twice_across_the_parent_and_its_thread(digest, emulator):
    parent, thread = digest
    shown = "\n".join([texts(parent), *(texts(reply) for reply in thread)])
    counts = {n: len(re.findall(rf"`KR-{n}`", shown)) for n in range(1, 33)}
    assert counts == dict.fromkeys(range(1, 33), 1)
    assert emulator.violations == []
    for message in [parent, *thread]:
        assert len(message.args["blocks"]) <= 50
        assert blocks_text_length(message.args["blocks"]) <= MESSAGE_BLOCKS_TEXT_MAX


def test_the_parent_leads_with_what_changed_then_what_is_at_risk(digest):
    parent, _ = digest
    lead = _block_texts(parent.args["blocks"])
    assert lead[0] == (
        "*Weekly digest for <#C0GROWTH>* · week of <!date^1796040000^{date_short_pretty}|Mon 30 Nov 2026>"
        " · 2026-Q4"
    )
    assert lead[1].split("\n")[:3] == [
        "*What changed this week*",
        "• `KR-1` Key result 1: 50% → 75%",
        "      _“on a roll”_",
    ]
    assert lead[1].count("• `KR-") == 8
    at_risk = lead[2].split("\n")
    assert at_risk[:3] == [
        "*At risk, and why*",
        "• `KR-2` Key result 2: 20% → 30%; pace off track; confidence at risk",
        "      _“short of hands”_",
    ]
    assert lead[2].count("• `KR-") == 8
    assert "<@" not in str(parent.args["blocks"])  # the channel's message names no one
    assert at_risk[-1] == "_…and 8 more in the thread._"
    assert parent.args["text"].startswith(
        "Weekly digest: 8 objectives, 16 key results moved, 16 at risk. Details in the thread."
    )


def test_the_thread_holds_the_rest_and_who_has_not_checked_in(digest):
    _, thread = digest
    (reply,) = thread
    shown = texts(reply)
    assert shown.startswith("*The other key results*, their confidence and latest notes")
    assert "Numbers and owners disagree" not in shown
    assert "• <@U0BOB>: 8 key results" in shown
    assert "No active sprint" in shown
    # Objective 1's key results are all in the parent but the one never checked in.
    assert (
        "*`OBJ-1` Objective 1*\n"
        "`KR-4` Key result 4 · ░░░░░░░░░░ – · Pace :white_circle: no check-in yet · <@U0BOB>\n"
        "      _and 3 in the digest above_\n"
    ) in shown
    # Objective 5's at-risk key results came after the parent's eight: they are told here.
    assert (
        "*`OBJ-5` Objective 5*\n"
        "`KR-18` Key result 18 · ▓▓▓░░░░░░░ 30% · Pace :red_circle: off track"
        " · Confidence :large_yellow_circle: at risk · <@U0BOB>\n"
        "      _“short of hands”_\n"
        "`KR-19` Key result 19 · ▓▓▓░░░░░░░ 30% · Pace :red_circle: off track"
        " · Confidence :large_green_circle: on track · no check-in this week · <@U0CAROL>\n"
        "      _“steady”_\n"
        "`KR-20` Key result 20 · ░░░░░░░░░░ – · Pace :white_circle: no check-in yet · <@U0BOB>\n"
        "      _and 1 in the digest above_\n"
    ) in shown
    assert "• <@U0CAROL>: 8 key results\n• <@U0BOB>: 8 key results" in shown
