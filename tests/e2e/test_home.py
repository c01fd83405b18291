"""App Home end to end, "needs you this week" in the person's time zone, and fixed query counts."""

from __future__ import annotations

import json
from datetime import date, datetime

from bot.ids import Action
from bot.services import home
from bot.services.home import HomeData
from bot.services.sprint_views import SprintSummary
from bot.services.workspaces import workspace_for
from bot.ui.home import home_view
from bot.ui.text import blocks_to_text
from storage.models import KeyResult, Member, Objective
from tests.conftest import ALICE, BOB, CHANNEL, TEAM, count_statements
from tests.factories import (
    answer,
    make_objective_via_slack,
    make_objectives,
    published,
    published_since,
    published_so_far,
    quarter,
)
from tests.factories import answer_text as _answer_text


def test_home_shows_key_results_objectives_what_needs_you_and_the_buttons(slack, emulator, db):
    make_objective_via_slack(
        slack,
        emulator,
        title="Customers love onboarding",
        krs=(("Activation", "40", "60", "%"), ("Docs pages", "0", "20", "")),
        **{"kr_2_owner": BOB},
    )
    _answer_text(answer(slack, "/okr", "checkin KR-1 50 at-risk design review slipped"))
    view = published(slack, emulator)
    text = json.dumps(view, ensure_ascii=False)
    assert text.count(f'"{Action.HOME_CHECKIN}"') >= 1 and text.count('"primary"') == 1
    # Each "new" action once: at the top, or in the first-week guide while that step is to do.
    for top, guide in (
        (Action.HOME_NEW_OBJECTIVE, Action.GUIDE_NEW_OBJECTIVE),
        (Action.HOME_NEW_KRA, Action.GUIDE_NEW_KRA),
    ):
        assert text.count(f'"{top}"') + text.count(f'"{guide}"') == 1
    readable = blocks_to_text(view["blocks"])
    assert "Needs you this week" in readable
    # The work leads; the first-week guide (no KRA yet, so it shows) comes after it.
    assert readable.index("Needs you this week") < readable.index("Your first week with Northline")
    assert "Your key results" in readable and "KR-1 Activation" in readable
    assert "▓▓▓▓▓░░░░░ 50%" in readable and "Pace " in readable and "at risk" in readable
    assert "Your objectives" in readable and "OBJ-1 Customers love onboarding" in readable
    assert "All your key results are checked in this week" in readable  # KR-1 checked in; KR-2 is Bob's
    bobs = blocks_to_text(published(slack, emulator, user=BOB)["blocks"])
    assert "KR-2 Docs pages" in bobs and "1 key result without a check-in since Monday" in bobs
    assert "no check-in yet" in bobs
    assert len(view["blocks"]) <= 100 and not emulator.violations


def test_home_is_republished_after_a_change(slack, emulator):
    make_objective_via_slack(slack, emulator)
    before = published_so_far(slack, emulator)  # the new objective's own refresh is not the check-in's
    answer(slack, "/okr", "checkin KR-1 45")  # 40 → 60: 25 %
    [home] = published_since(slack, emulator, before)
    assert home.args["user_id"] == ALICE and "25%" in json.dumps(home.args["view"], ensure_ascii=False)


def _with_key_result(db, tz: str | None, last_checkin_at: datetime | None):
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        if tz:
            session.add(
                Member(workspace_id=workspace.id, user_id=ALICE, tz=tz, refreshed_at=datetime(2026, 11, 1))
            )
        objective = Objective(
            workspace_id=workspace.id, number=1, title="O", owner_id=ALICE, cycle="2026-Q4", created_by=ALICE
        )
        session.add(objective)
        session.flush()
        session.add(
            KeyResult(
                workspace_id=workspace.id,
                objective_id=objective.id,
                number=1,
                title="KR",
                start_value=0,
                target_value=10,
                owner_id=ALICE,
                current_value=None if last_checkin_at is None else 3,
                last_checkin_at=last_checkin_at,
            )
        )


def test_needs_you_counts_from_monday_midnight_in_your_time_zone(db):
    # Monday 2026-11-23 01:00 UTC is Monday 10:00 in Tokyo; Tokyo's week began Sunday 15:00 UTC.
    now = datetime(2026, 11, 23, 1, 0)
    checked_in = datetime(2026, 11, 22, 16, 0)  # Sunday 16:00 UTC = Monday 01:00 in Tokyo
    _with_key_result(db, "Asia/Tokyo", checked_in)
    with db.session() as session:
        data = home.home_data(session, workspace_for(session, TEAM), ALICE, now=now)
    assert data.week_starts_at == datetime(2026, 11, 22, 15, 0)
    assert data.needs_checkin == [] and data.key_result_total == 1


def test_needs_you_falls_back_to_utc(db):
    now = datetime(2026, 11, 23, 1, 0)
    _with_key_result(db, None, datetime(2026, 11, 22, 16, 0))  # Sunday: last week in UTC
    with db.session() as session:
        data = home.home_data(session, workspace_for(session, TEAM), ALICE, now=now)
    assert data.week_starts_at == datetime(2026, 11, 23, 0, 0)
    assert [kr.number for kr, _ in data.needs_checkin] == [1]
    blocks = home_view(data)["blocks"]
    assert "1 key result without a check-in since Monday" in blocks_to_text(blocks)
    # The last check-in's day as Slack's token, read in the reader's zone (here UTC).
    assert "(last check-in <!date^1795348800^{date_short_pretty}|Sun 22 Nov 2026>)" in json.dumps(blocks)


def test_needs_you_counts_from_the_workspace_s_monday_for_someone_slack_gave_no_zone(db):
    """One rule for a person's zone everywhere: theirs, else the workspace's (not UTC)."""
    now = datetime(2026, 11, 23, 1, 0)
    _with_key_result(db, None, datetime(2026, 11, 22, 16, 0))  # Monday 01:00 in Tokyo
    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        workspace.timezone = "Asia/Tokyo"
        data = home.home_data(session, workspace, ALICE, now=now)
    assert data.week_starts_at == datetime(2026, 11, 22, 15, 0)
    assert data.needs_checkin == [] and data.timezone == "Asia/Tokyo"
    assert data.reminders.slot.timezone == "Asia/Tokyo"


def test_team_sprint_goals_are_rendered_when_given():
    data = HomeData(
        user_id=ALICE,
        team_sprint_goals=[
            SprintSummary(
                1, CHANNEL, "SPR-4", "Sprint 4", "Ship onboarding v2", True, 3, date(2026, 12, 4), ("KR-3",)
            ),
            SprintSummary(2, "C0OPS", "SPR-5", "Sprint 5", "Tidy the backlog", False, 9, date(2026, 12, 10)),
        ],
    )
    readable = blocks_to_text(home_view(data)["blocks"])
    assert "Your teams' sprint goals" in readable
    assert "SPR-4 #" in readable and "Ship onboarding v2" in readable and "aligned with KR-3" in readable
    assert "Tidy the backlog" in readable and "not aligned" in readable
    assert "sprint goals" not in blocks_to_text(home_view(HomeData(user_id=ALICE))["blocks"])


def test_list_checkin_modal_and_home_cost_the_same_statements_at_20_and_200_objectives(
    slack, emulator, db, frozen_now
):
    def measure() -> tuple[int, int, int]:
        with count_statements(db) as listing:
            answer(slack, "/okr", "list all")
        before = len(emulator.calls_to("views.open"))
        with count_statements(db) as modal:
            slack.command("/okr", "checkin", user_id=ALICE, team_id=TEAM)
            emulator.wait_for("views.open", count=before + 1)
        before = published_so_far(slack, emulator)
        with count_statements(db) as home_tab:
            slack.event(
                {"type": "app_home_opened", "user": ALICE, "channel": "D0HOME", "tab": "home"}, team_id=TEAM
            )
            emulator.wait_for("views.publish", count=before + 1)
        return listing.count, modal.count, home_tab.count

    make_objectives(db, 20, now=frozen_now)
    measure()  # warm-up: the workspace row and the like exist from here on
    small = measure()
    make_objectives(db, 180, first=21, now=frozen_now)
    large = measure()
    assert small == large, (small, large)
    # App Home's 15, two for the person's own reminder line (their preferences, the team's slot),
    # and one, while the first-week guide would show, for whether they hid it.
    assert max(large) <= 18
    with db.session() as session:
        assert session.query(Objective).filter(Objective.cycle == quarter(frozen_now.date())).count() == 200
    assert not emulator.violations
