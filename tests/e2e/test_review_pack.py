"""`/kra report`, `/kra reviewer` and `northline export --report`, end to end: signed requests into
the real app, a real database, the emulator recording the DM and the uploaded chart.

Every period asked for here is a past one named outright (2025-Q4, FY2025): what the pack says
depends on the seeded dates only, never on today's."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.services.workspaces import workspace_for
from storage.models import Direction, KraReviewer, Member, ReviewDecision, Status
from tests.conftest import ADMIN, ALICE, BOB, CAROL, OTHER_TEAM, TEAM
from tests.factories import (
    answer,
    cli_runner,
    count,
    make_check_in_rows,
    make_key_result_row,
    make_kpi_row,
    make_kra_review_row,
    make_kra_row,
    make_measurement_rows,
    make_objective_row,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def at(month: int, day: int, year: int = 2025, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour)


def seed(db, owner: str = ALICE, team: str = TEAM) -> None:
    """Alice, a Customer Support Manager, through 2025-Q4 (Oct–Dec 2025)."""
    with db.session() as session:
        ws = workspace_for(session, team)
        satisfaction = make_kra_row(
            session,
            ws.id,
            1,
            "Customer satisfaction <!channel> *yay*",
            owner,
            role="Customer Support Manager",
            created_at=at(6, 1),
            updated_at=at(6, 1),
        )
        # Archived mid-period (archived KRAs can't be edited, so updated_at is when).
        training = make_kra_row(
            session,
            ws.id,
            2,
            "Team training",
            owner,
            status=Status.ARCHIVED,
            created_at=at(3, 1),
            updated_at=at(11, 10),
        )
        make_kra_row(
            session,
            ws.id,
            3,
            "Gone before the quarter",
            owner,
            status=Status.ARCHIVED,
            created_at=at(1, 5),
            updated_at=at(8, 1),
        )
        make_kra_row(
            session,
            ws.id,
            4,
            "Declared after the quarter",
            owner,
            created_at=at(2, 1, 2026),
            updated_at=at(2, 1, 2026),
        )
        nps = make_kpi_row(session, satisfaction, 1, "NPS", target=75.0, position=0, created_at=at(6, 1))
        response = make_kpi_row(
            session,
            satisfaction,
            2,
            "First-response time",
            unit="h",
            target=6.0,
            direction=Direction.LOWER,
            position=1,
            created_at=at(6, 1),
        )
        csat = make_kpi_row(
            session, satisfaction, 3, "CSAT", unit="%", target=90.0, position=2, created_at=at(6, 1)
        )
        make_measurement_rows(session, nps, owner, [(at(9, 15), 60), (at(10, 10), 64), (at(12, 5), 71)])
        make_measurement_rows(session, response, owner, [(at(9, 20), 24), (at(11, 1), 12), (at(12, 10), 8)])
        make_measurement_rows(session, csat, owner, [(at(11, 15), 88)])  # its only measurement
        closed = make_objective_row(
            session,
            ws.id,
            1,
            "Improve customer satisfaction by the end of Q4",
            owner,
            "2025-Q4",
            kra_id=satisfaction.id,
            status=Status.CLOSED,
            created_at=at(10, 1),
            closed_at=at(12, 20),
        )
        open_ = make_objective_row(
            session,
            ws.id,
            2,
            "Chat support for every customer",
            owner,
            "2025-Q4",
            kra_id=satisfaction.id,
            created_at=at(10, 1),
        )
        make_objective_row(
            session,
            ws.id,
            3,
            "An objective of 2025-Q2",
            owner,
            "2025-Q2",
            kra_id=satisfaction.id,
            created_at=at(4, 1),
        )
        make_key_result_row(
            session,
            ws.id,
            closed.id,
            1,
            "Increase NPS from 60 to 75",
            owner,
            start_value=60,
            target_value=75,
            final_score=0.7,
            current_value=71,
            created_at=at(10, 1),
            status=Status.CLOSED,
        )
        make_key_result_row(
            session,
            ws.id,
            closed.id,
            2,
            "Reduce response time from 24 to 6 hours",
            owner,
            start_value=24,
            target_value=6,
            unit="h",
            final_score=0.5,
            current_value=8,
            created_at=at(10, 1),
            position=1,
            status=Status.CLOSED,
        )
        chat = make_key_result_row(
            session,
            ws.id,
            open_.id,
            3,
            "Chat on 100% of accounts",
            owner,
            start_value=0,
            target_value=100,
            unit="%",
            current_value=40,
            created_at=at(10, 1),
        )
        make_check_in_rows(
            session, chat, owner, [(at(10, 7), 10), (at(10, 14), 20), (at(11, 4), 30), (at(12, 2), 40)]
        )
        make_kra_review_row(
            session, satisfaction, ReviewDecision.KEEP, owner, at(10, 3), "Still the heart of the role"
        )
        make_kra_review_row(
            session,
            training,
            ReviewDecision.RETIRE,
            owner,
            at(11, 10),
            "<script>alert(1)</script> moved to the ops team",
        )
        make_kra_review_row(
            session, satisfaction, ReviewDecision.CHANGE, owner, at(4, 2), "a review from another quarter"
        )


def dm_messages(emulator, user: str = ALICE, team: str = TEAM) -> list[dict]:
    dm = emulator.dm_channel_id(team, user)
    return [c.args for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("channel") == dm]


def pack_text(messages: list[dict]) -> str:
    return "\n".join(json.dumps(m.get("blocks"), ensure_ascii=False) + "\n" + m["text"] for m in messages)


def nothing_sent(emulator) -> bool:
    return not emulator.calls_to("chat.postMessage") and not emulator.calls_to("files.getUploadURLExternal")


# --- the pack ----------------------------------------------------------------------------------------


def test_report_sends_the_pack_and_its_chart_by_dm(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", "report 2025-Q4", user_id=ALICE)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Sent you your review pack for 2025-Q4 in a DM (2 KRAs, 3 KPIs")
    assert "chart" in reply["text"]
    messages = dm_messages(emulator)
    assert len(messages) == 1
    text = pack_text(messages)
    # Each KRA that stood in the quarter, in order; not the one archived before it or declared after.
    assert "KRA-1" in text and "KRA-2" in text and "KRA-3" not in text and "KRA-4" not in text
    assert "archived <!date^1762776000^{date_short_pretty}|Mon 10 Nov 2025>" in text
    # KPIs: start (the value known when the quarter began), end, target, direction, trend.
    assert "60 → 71, improving · 95% of target" in text
    # A decreasing KPI that fell reads as improving, against its ↓ target.
    assert "target ↓ 6 h, lower is better" in text
    assert "24 h → 8 h, improving · 67% of target" in text
    assert "one measurement: 88%" in text
    # Objectives inside it (not the one of another quarter) with final score or progress.
    assert "closed, final score 0.6" in text and "40% so far" in text
    assert "An objective of 2025-Q2" not in text
    # Chat: weeks of 29 Sep..22 Dec; check-ins in 4 of them, 9 ended without one (the week of
    # 29 Dec runs past the quarter's end, so it is neither). The closed objective's two key
    # results had none in the 11 weeks that ended before it closed on 20 Dec: 22 more missed.
    assert "weekly check-ins: 4 kept, 31 missed" in text
    # The KRA's own review decisions in the period, with their notes, as text.
    assert (
        "*keep* on <!date^1759489200^{date_short_pretty}|Fri 3 Oct 2025>" in text
        and "Still the heart of the role" in text
    )
    assert (
        "*retire* on <!date^1762776000^{date_short_pretty}|Mon 10 Nov 2025>" in text
        and "&lt;script&gt;" in text
        and "<script>" not in text
    )
    assert "a review from another quarter" not in text
    assert "<!channel>" not in text and "Customer satisfaction @\u200bchannel" in text
    # The chart: one PNG in Alice's DM.
    (uploaded,) = emulator.files.values()
    assert uploaded.completed and uploaded.channel_id == emulator.dm_channel_id(TEAM, ALICE)
    assert uploaded.filename == f"kra-review-{ALICE}-2025-q4.png"
    assert uploaded.content.startswith(PNG_MAGIC)
    assert "3 KPIs" in uploaded.initial_comment
    assert not emulator.violations


def test_a_fiscal_year_and_the_last_12_months_are_periods(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", f"report <@{ALICE}|alice> FY2025", user_id=ALICE)
    assert "FY2025" in reply["text"]
    text = pack_text(dm_messages(emulator))
    # Over the whole of 2025 KRA-3 stood too (archived in August), and both quarters' reviews count.
    assert "KRA-3" in text and "a review from another quarter" in text and "An objective of 2025-Q2" in text
    reply = answer(slack, "/kra", "report last 12 months", user_id=ALICE)
    assert "review pack for the 12 months to" in reply["text"]


def test_a_period_with_no_kras_sends_nothing(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", "report 2024-Q1", user_id=ALICE)
    assert "You had no KRAs in 2024-Q1" in reply["text"]
    assert nothing_sent(emulator)


def test_a_period_with_kras_but_no_data_says_what_it_knows(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", "report 2026-Q1", user_id=ALICE)
    assert "chart" not in reply["text"]
    text = pack_text(dm_messages(emulator))
    assert "no measurement in this period; last known 71" in text
    assert "no measurement in this period; last known 8 h" in text
    assert "Objectives inside it*\\nNone in this period." in text
    assert "Reviews: none recorded in this period." in text
    assert emulator.calls_to("files.getUploadURLExternal") == []


@pytest.mark.parametrize("text", ["report 2026-Q5", "report sometime", f"report <@{BOB}|bob> yesterday"])
def test_a_period_that_does_not_parse_gets_usage_and_nothing_is_sent(slack, emulator, db, text):
    seed(db)
    reply = answer(slack, "/kra", text, user_id=BOB if "bob" in text else ALICE)
    assert "last 12 months" in reply["text"] and "/kra report" in reply["text"]
    assert nothing_sent(emulator)


# --- who may have it -----------------------------------------------------------------------------------


def test_someone_else_is_refused_and_nothing_is_sent(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", f"report <@{ALICE}|alice> 2025-Q4", user_id=BOB)
    assert reply["response_type"] == "ephemeral"
    assert "named you their reviewer" in reply["text"] and "Nothing was sent" in reply["text"]
    assert nothing_sent(emulator)


def test_a_named_reviewer_sees_only_the_person_who_named_them(slack, emulator, db):
    seed(db)
    seed_carol = _carol(db)
    reply = answer(slack, "/kra", f"reviewer <@{BOB}|bob>", user_id=ALICE)
    assert f"<@{BOB}> can now have your KRA review pack" in reply["text"]
    # Bob hears of it.
    told = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == BOB)
    assert "named you a reviewer" in told[-1].args["text"]
    with db.session() as session:
        assert session.scalars(select(KraReviewer.reviewer_id)).all() == [BOB]

    reply = answer(slack, "/kra", f"report <@{ALICE}|alice> 2025-Q4", user_id=BOB)
    assert reply["text"].startswith(f"Sent you <@{ALICE}>'s review pack for 2025-Q4 in a DM")
    (message,) = dm_messages(emulator, BOB)
    assert message["blocks"][0]["text"]["text"] == "KRA review pack: Alice Park, 2025-Q4"
    # Bob is Alice's reviewer, not Carol's.
    before = len(emulator.calls_to("chat.postMessage"))
    reply = answer(slack, "/kra", f"report <@{CAROL}|carol> 2025-Q4", user_id=BOB)
    assert "Nothing was sent" in reply["text"]
    assert len(emulator.calls_to("chat.postMessage")) == before
    assert seed_carol


def _carol(db) -> bool:
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        make_kra_row(session, ws.id, 9, "Carol's area", CAROL, created_at=at(1, 1), updated_at=at(1, 1))
    return True


def test_a_workspace_admin_may_have_anyones_pack(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", f"report <@{ALICE}|alice> 2025-Q4", user_id=ADMIN)
    assert "review pack for 2025-Q4" in reply["text"]
    assert len(dm_messages(emulator, ADMIN)) == 1
    assert dm_messages(emulator, ALICE) == []


def test_another_workspace_never_sees_the_pack(slack, emulator, db):
    seed(db)
    reply = answer(slack, "/kra", f"report <@{ALICE}|alice> 2025-Q4", user_id="U0MALLORY", team_id=OTHER_TEAM)
    # Mallory is no admin there, and Alice has no KRAs in that workspace anyway.
    assert "Nothing was sent" in reply["text"]
    assert nothing_sent(emulator)


def test_reviewers_can_be_listed_and_removed(slack, db):
    assert "You have named no reviewer" in answer(slack, "/kra", "reviewer", user_id=ALICE)["text"]
    answer(slack, "/kra", f"reviewer <@{BOB}|bob>", user_id=ALICE)
    assert (
        "already one of your reviewers"
        in answer(slack, "/kra", f"reviewer <@{BOB}|bob>", user_id=ALICE)["text"]
    )
    assert f"Your reviewers: <@{BOB}>" in answer(slack, "/kra", "reviewer", user_id=ALICE)["text"]
    reply = answer(slack, "/kra", f"reviewer remove <@{BOB}|bob>", user_id=ALICE)
    assert "can no longer have your review pack" in reply["text"]
    assert count(db, KraReviewer) == 0
    reply = answer(slack, "/kra", f"report <@{ALICE}|alice> 2025-Q4", user_id=BOB)
    assert "Nothing was sent" in reply["text"]


@pytest.mark.parametrize(
    "text", ["reviewer bob", "reviewer <@U0BOB|bob> <@U0CAROL|carol>", "reviewer remove"]
)
def test_a_reviewer_command_that_does_not_parse_gets_usage(slack, db, text):
    reply = answer(slack, "/kra", text, user_id=ALICE)
    assert "/kra reviewer @someone" in reply["text"]
    assert count(db, KraReviewer) == 0


def test_naming_yourself_is_refused(slack, db):
    reply = answer(slack, "/kra", f"reviewer <@{ALICE}|alice>", user_id=ALICE)
    assert "your own review pack" in reply["text"]
    assert count(db, KraReviewer) == 0


# --- limits -----------------------------------------------------------------------------------------------


def test_twelve_kras_and_thirty_six_kpis_stay_inside_slacks_limits(slack, emulator, db):
    long = "Ünïcödé & <tags> " * 12  # long names, every one cut and escaped
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        for n in range(1, 13):
            kra = make_kra_row(
                session,
                ws.id,
                n,
                f"{n} {long}"[:150],
                ALICE,
                role=long[:150],
                created_at=at(1, 1),
                updated_at=at(1, 1),
            )
            make_kra_review_row(session, kra, ReviewDecision.CHANGE, ALICE, at(10, 2), long * 20)
            for p in range(3):
                kpi = make_kpi_row(
                    session,
                    kra,
                    n * 10 + p,
                    f"{p} {long}"[:150],
                    unit="h",
                    target=10.0 + p,
                    direction=Direction.LOWER if p == 1 else Direction.HIGHER,
                    position=p,
                )
                make_measurement_rows(session, kpi, ALICE, [(at(10, 1 + d), 5 + d + p) for d in range(20)])
            for o in range(4):
                make_objective_row(
                    session,
                    ws.id,
                    n * 10 + o,
                    f"{o} {long}"[:150],
                    ALICE,
                    "2025-Q4",
                    kra_id=kra.id,
                    created_at=at(10, 1),
                )
    reply = answer(slack, "/kra", "report 2025-Q4", user_id=ALICE)
    assert "12 KRAs, 36 KPIs" in reply["text"]
    messages = dm_messages(emulator)
    assert len(messages) >= 2
    for message in messages:
        assert len(message["blocks"]) <= 50
    text = pack_text(messages)
    for n in range(1, 13):
        assert f"KRA-{n}`" in text  # every KRA made it, whole
    assert "<tags>" not in text
    (uploaded,) = emulator.files.values()
    assert uploaded.content.startswith(PNG_MAGIC)
    assert len(uploaded.content) < 1_000_000  # far inside Slack's file limit
    assert "36 KPIs" in uploaded.initial_comment
    assert not emulator.violations


# --- northline export --report --------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, database_url, capsys):
    return cli_runner(monkeypatch, database_url, capsys, unset=("SLACK_BOT_TOKEN",))


def test_export_report_writes_the_same_pack_as_markdown(cli, db):
    seed(db)
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        session.add(Member(workspace_id=ws.id, user_id=ALICE, name="Alice Park"))
    code, out, err = cli("export", "--team", TEAM, "--report", f"<@{ALICE}>", "--period", "2025-Q4")
    assert code == 0, err
    assert out.startswith("# KRA review pack: Alice Park, 2025-Q4\n")
    assert "## KRA-1 Customer satisfaction \\<\\!channel\\> \\*yay\\*" in out
    assert (
        "| KPI-2 First-response time | 24 h | 8 h | target ↓ 6 h, lower is better | 24 h → 8 h, improving · 67% of target |"
        in out
    )
    assert "- OBJ-1 Improve customer satisfaction by the end of Q4 (2025-Q4): closed, final score 0.6" in out
    assert "Weekly check-ins: 4 kept, 31 missed." in out
    assert "**retire** by Alice Park: \\<script\\>alert(1)\\</script\\> moved to the ops team" in out
    assert "- Mon 10 Nov 2025 **retire** by Alice Park" in out
    assert "Period Wed 1 Oct → Wed 31 Dec 2025 · " in out
    assert "KRA-3" not in out
    # By cached name too, and to a file.
    code, _, err = cli("export", "--team", TEAM, "--report", "alice park", "--period", "2025-Q4")
    assert code == 0, err


def test_export_report_of_someone_unknown_or_a_bad_period_exits_2(cli, db):
    seed(db)
    code, out, err = cli("export", "--team", TEAM, "--report", "nobody at all", "--period", "2025-Q4")
    assert code == 2 and out == "" and "nobody at all" in err
    code, out, err = cli("export", "--team", TEAM, "--report", ALICE, "--period", "someday")
    assert code == 2 and out == "" and "last 12 months" in err


def test_a_pack_costs_the_same_statements_for_one_kra_as_for_twelve(db):
    from bot.domain.review_pack import parse_period
    from bot.services.review_pack import build_pack
    from tests.conftest import count_statements

    seed(db)
    with db.session() as session:
        ws = workspace_for(session, TEAM)
        for n in range(20, 31):
            kra = make_kra_row(
                session, ws.id, n, f"Area {n}", CAROL, created_at=at(1, 1), updated_at=at(1, 1)
            )
            for p in range(3):
                kpi = make_kpi_row(session, kra, n * 10 + p, "m", target=1.0, position=p)
                make_measurement_rows(session, kpi, CAROL, [(at(11, 1), 1)])
            objective = make_objective_row(
                session, ws.id, n, "o", CAROL, "2025-Q4", kra_id=kra.id, created_at=at(10, 1)
            )
            make_key_result_row(session, ws.id, objective.id, n, "k", CAROL)
    period = parse_period("2025-Q4", fiscal_start_month=1, now=at(1, 1, 2026))
    counts = []
    for person in (ALICE, CAROL):
        with db.session() as session:
            ws = workspace_for(session, TEAM)
            with count_statements(db) as counter:
                pack = build_pack(session, ws, person, period, at(1, 1, 2026))
            counts.append((counter.count, len(pack.kras)))
    assert counts[0][1] == 2 and counts[1][1] == 11
    assert counts[0][0] == counts[1][0] <= 10


def test_a_fiscal_year_follows_the_workspaces_start_month(slack, emulator, db):
    seed(db)
    with db.session() as session:
        workspace_for(session, TEAM).fiscal_year_start_month = 10
    reply = answer(slack, "/kra", "report FY2026", user_id=ALICE)
    assert "review pack for FY2026" in reply["text"]
    (message,) = dm_messages(emulator)
    # October 2025 to September 2026, named by the year it ends in, as the workspace's cycles are.
    assert (
        "<!date^1759320000^{date_short_pretty}|Wed 1 Oct 2025> → <!date^1790769600^{date_short_pretty}|Wed 30 Sep 2026>"
        in message["blocks"][1]["text"]["text"]
    )
