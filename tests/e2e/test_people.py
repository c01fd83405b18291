"""People's facts at scale: a background users.list pass per workspace (one statement a page,
once a day and in the hour before the check-in slot), user_change events between passes, and
planning that reads the database only."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.domain.schedule_time import WeeklySlot
from bot.jobs.pacing import Pacer
from bot.jobs.people import people_facts, refresh_workspace
from bot.jobs.reminders import checkin_reminders
from bot.jobs.roster import daily_hour, reasons_due, refresh_people
from bot.slack_client import build_web_client
from storage.models import DeliveryState, KeyResult, Member, Objective, Workspace
from tests.conftest import ADMIN, ALICE, BOB, CAROL, MALLORY, OTHER_TEAM, TEAM, TOKEN, count_statements
from tests.factories import deliveries

# Monday 30 November 2026, 10:05 in London (UTC in winter): London's 10:00 is due, New York's
# (15:00 UTC) is not yet, Tokyo's (01:00 UTC) is more than 6 hours late.
MONDAY_LONDON = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)
ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo")
# Every test here starts on that Monday (the clock is moved there and ticks on): a run's `now`
# and the instant the app stamps on what it learns (the clock, when an event arrives) agree, on
# whatever day the suite runs.
pytestmark = pytest.mark.now(MONDAY_LONDON)
# That instant as the database stores it (naive UTC), for ages and "refreshed since".
AT = MONDAY_LONDON.replace(tzinfo=None)


def owners(db, user_ids, team: str = TEAM) -> int:
    """A workspace where each of `user_ids` owns one active key result (a few statements)."""
    with db.session() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == team))
        if workspace is None:
            workspace = Workspace(team_id=team)
            session.add(workspace)
            session.flush()
        objective = Objective(
            workspace_id=workspace.id,
            number=1,
            title="Grow",
            owner_id=ADMIN,
            cycle="2026-Q4",
            created_by=ADMIN,
        )
        session.add(objective)
        session.flush()
        session.add_all(
            KeyResult(
                workspace_id=workspace.id,
                objective_id=objective.id,
                number=n,
                title=f"Key result {n}",
                owner_id=user_id,
                start_value=0.0,
                target_value=100.0,
            )
            for n, user_id in enumerate(user_ids, start=1)
        )
        return workspace.id


def cache(db, workspace_id: int, user_id: str, *, age: timedelta, **facts) -> None:
    with db.session() as session:
        session.add(Member(workspace_id=workspace_id, user_id=user_id, refreshed_at=AT - age, **facts))


def members(db, workspace_id: int) -> dict[str, Member]:
    with db.session() as session:
        rows = session.scalars(select(Member).where(Member.workspace_id == workspace_id)).all()
        session.expunge_all()
    return {m.user_id: m for m in rows}


def workspace_row(db, team: str = TEAM) -> Workspace:
    with db.session() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.team_id == team)).one()
        session.expunge(workspace)
    return workspace


def client_for(emulator, *, rate_limit_retries: int = 10):
    client = build_web_client(TOKEN, emulator.base_url, rate_limit_retries=rate_limit_retries)
    return lambda workspace: client


def dms(emulator) -> Counter:
    return Counter(c.args["channel"] for c in emulator.calls_to("chat.postMessage", ok=True))


def calls(emulator, method: str) -> int:
    return len(emulator.calls_to(method))


def upserts(statements) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith("INSERT INTO MEMBER"))


# --- the background pass: users.list, never on the delivery path ---------------------------------


def test_a_reminder_run_asks_slack_nothing_and_the_refresh_lists_each_workspace_once(db, emulator):
    people = [f"U1P{i:03d}" for i in range(300)]
    for i, user_id in enumerate(people):
        away = {"status_text": "Vacationing", "status_emoji": ":palm_tree:"} if i % 30 == 0 else {}
        emulator.add_user(user_id, TEAM, tz=ZONES[i % 3], **away)
    workspace_id = owners(db, people)
    # Half were seen two days ago, in the wrong zone; the other half never.
    for user_id in people[::2]:
        cache(db, workspace_id, user_id, age=timedelta(days=2), tz="Pacific/Auckland")
    emulator.rate_limit("users.list", tier=2)

    # The hour before London's Monday 10:00: one pass, paged (305 members: two pages of 200).
    with count_statements(db) as counter:
        first = refresh_people(db, client_for(emulator), MONDAY_LONDON - timedelta(minutes=55))
    assert first.listed == [TEAM] and first.failed == [] and first.pages == 2
    assert [c.args["limit"] for c in emulator.calls_to("users.list")] == ["200", "200"]
    assert upserts(counter.statements) == 2  # one statement a page, however many people on it
    # Ten minutes on, in the same hour: nothing is listed twice.
    again = refresh_people(db, client_for(emulator), MONDAY_LONDON - timedelta(minutes=45))
    assert again.listed == [] and calls(emulator, "users.list") == 2
    assert [c.method for c in emulator.rejected] == []

    emulator.clear()
    report = checkin_reminders(db, client_for(emulator), MONDAY_LONDON)
    assert calls(emulator, "users.list") == 0 and calls(emulator, "users.info") == 0
    london = {u for i, u in enumerate(people) if ZONES[i % 3] == "Europe/London"}
    away = {u for i, u in enumerate(people) if i % 30 == 0}
    tokyo = {u for i, u in enumerate(people) if ZONES[i % 3] == "Asia/Tokyo"}
    assert set(dms(emulator)) == london - away  # Slack's zone, not the stale cache's, and not the away
    assert report.sent == len(london - away) and report.late == len(tokyo - away)

    stored = members(db, workspace_id)
    assert all(stored[u].tz == ZONES[i % 3] for i, u in enumerate(people))
    assert all((stored[u].status_emoji == ":palm_tree:") == (u in away) for u in people)
    # Everyone on the pages is kept, not only owners (the bot is not a person).
    assert {ALICE, BOB, CAROL, ADMIN} <= set(stored) and "U0BOTNORTH" not in stored
    assert stored[ADMIN].is_admin and not stored[ALICE].is_admin and stored[BOB].tz == "America/New_York"


def test_the_refresh_is_due_once_a_day_and_in_the_hour_before_the_slot():
    workspace = Workspace(team_id=TEAM, timezone="Europe/London", work_days="1,2,3,4,5")
    slot = WeeklySlot(1, "10:00", "Europe/London")
    hour = daily_hour(TEAM)
    before_hour = datetime(2026, 12, 1, 0, 0, tzinfo=UTC) + timedelta(hours=hour) - timedelta(minutes=1)
    # Tuesday: only the daily pass, once its hour has come (never before it).
    assert reasons_due(workspace, slot, before_hour) == ([] if hour else ["day 2026-11-30"])
    assert reasons_due(workspace, slot, before_hour + timedelta(minutes=1)) == ["day 2026-12-01"]
    # Monday 09:00-09:59 London: the pass before the slot (and the daily one once its hour came).
    for moment, expected in (
        (datetime(2026, 11, 30, 8, 59, tzinfo=UTC), []),
        (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), ["before 2026-W49"]),
        (datetime(2026, 11, 30, 9, 59, tzinfo=UTC), ["before 2026-W49"]),
        (datetime(2026, 11, 30, 10, 0, tzinfo=UTC), []),
    ):
        daily = ["day 2026-11-30"] if moment.hour >= hour else []
        assert reasons_due(workspace, slot, moment) == expected + daily, moment


def test_both_reasons_due_together_cost_one_pass(db, emulator):
    owners(db, [ALICE])
    late_enough = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # before the slot: the hour is 9
    report = refresh_people(db, client_for(emulator), late_enough)
    assert report.listed == [TEAM] and calls(emulator, "users.list") == 1
    claimed = {d.period: d.state for d in deliveries(db, "people")}
    assert "before 2026-W49" in claimed and set(claimed.values()) == {DeliveryState.SENT}


def test_the_clock_lists_people_off_its_tick_one_run_at_a_time(db, emulator):
    import threading

    from bot.jobs.engine import Engine
    from bot.scheduler import Clock
    from bot.settings import DeliverySettings

    owners(db, [ALICE])
    with Engine(db, client_for(emulator), DeliverySettings()) as engine:
        clock = Clock(db, engine, threading.Event())
        clock.refresh_people(MONDAY_LONDON - timedelta(minutes=50))
        first = clock.listing
        clock.refresh_people(MONDAY_LONDON - timedelta(minutes=49))  # still running: not started twice
        assert clock.listing is first or first.done()
        assert first.result(timeout=30).listed == [TEAM]
        clock.refresh_people(MONDAY_LONDON - timedelta(minutes=48))  # done, and nothing due again
        assert clock.listing.result(timeout=30).listed == []
    assert calls(emulator, "users.list") == 1


def test_2000_people_cost_eleven_pages_paced_within_tier_2(db, emulator):
    people = [f"U2P{i:04d}" for i in range(2000)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="Asia/Kolkata")
    owners(db, people)
    emulator.rate_limit("users.list", tier=2)  # Slack's own limits, per workspace
    with count_statements(db) as counter:
        done = refresh_workspace(db, client_for(emulator)(None), workspace_row(db), pacer=Pacer())
    # 2,005 members in pages of 200.
    assert done.complete and done.pages == 11 and done.people == 2004  # the bot is not a person
    assert emulator.rejected == [] and upserts(counter.statements) == 11
    facts = people_facts(db, workspace_row(db), people)
    assert {p.tz for p in facts.values()} == {"Asia/Kolkata"}


def test_a_rate_limited_page_is_retried_after_its_retry_after(db, emulator):
    people = [f"U5P{i:03d}" for i in range(250)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="America/New_York")
    owners(db, people)
    emulator.rate_limit("users.list", every=2, retry_after=1)  # the second page: 429, then again
    started = time.monotonic()
    done = refresh_workspace(db, client_for(emulator)(None), workspace_row(db))
    assert time.monotonic() - started >= 1.0  # Retry-After was waited for
    assert [c.status for c in emulator.rejected if c.method == "users.list"] == [429]
    assert done.complete and calls(emulator, "users.list") == 2 and calls(emulator, "users.info") == 0
    facts = people_facts(db, workspace_row(db), people)
    assert {p.tz for p in facts.values()} == {"America/New_York"}


@pytest.mark.parametrize("how", ["error", "rate limit past the retries"])
def test_a_failing_page_keeps_what_earlier_pages_brought(db, emulator, how):
    people = [f"U6P{i:03d}" for i in range(260)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="Asia/Tokyo")
    workspace_id = owners(db, people)
    first_page, second_page = people[:195], people[195:]  # Ada, Alice, Bob, the bot and Carol sort first
    stale_cached = set(second_page[::2])
    for user_id in stale_cached:
        cache(db, workspace_id, user_id, age=timedelta(days=3), tz="Europe/Oslo")
    if how == "error":
        emulator.fail("users.list", "internal_error", where=lambda c: bool(c.args.get("cursor")))
        client = client_for(emulator)
    else:
        emulator.rate_limit("users.list", every=2, retry_after=0)
        client = client_for(emulator, rate_limit_retries=0)

    report = refresh_people(db, client, MONDAY_LONDON - timedelta(minutes=30))

    assert report.failed == [TEAM] and report.listed == []
    assert calls(emulator, "users.list") == (2 if how == "error" else 1)
    facts = people_facts(db, workspace_row(db), people)
    assert all(facts[u].tz == "Asia/Tokyo" for u in first_page)
    # Not reached: the stale facts stand (not "gone"); those never seen get the workspace's zone.
    assert all(facts[u].tz == "Europe/Oslo" and not facts[u].is_deleted for u in stale_cached)
    never_seen = set(second_page) - stale_cached
    assert all(facts[u].tz == "UTC" and facts[u].refreshed_at is None for u in never_seen)
    # Marked failed: not listed again every minute, nor asked about one by one.
    assert {d.state for d in deliveries(db, "people")} == {DeliveryState.FAILED}
    refresh_people(db, client, MONDAY_LONDON - timedelta(minutes=29))
    assert calls(emulator, "users.list") == (2 if how == "error" else 1)
    assert calls(emulator, "users.info") == 0


def test_only_slack_saying_deleted_means_gone_and_a_deleted_person_is_recorded_unreachable(db, emulator):
    people = [f"U7P{i:02d}" for i in range(30)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="Europe/London")
    emulator.update_user(people[0], deleted=True)
    workspace_id = owners(db, [*people, MALLORY])
    # Mallory is listed in another workspace only (as a Grid member might be): her stale facts stand.
    cache(db, workspace_id, MALLORY, age=timedelta(days=2), tz="Europe/Berlin")
    refresh_workspace(db, client_for(emulator)(None), workspace_row(db))
    facts = people_facts(db, workspace_row(db), [*people, MALLORY])
    assert facts[people[0]].is_deleted and not facts[people[1]].is_deleted
    assert not facts[MALLORY].is_deleted and facts[MALLORY].tz == "Europe/Berlin"

    emulator.clear()
    report = checkin_reminders(db, client_for(emulator), MONDAY_LONDON)
    assert people[0] not in dms(emulator) and dms(emulator)[people[1]] == 1
    [gone] = [d for d in deliveries(db, "checkin") if d.target == people[0]]
    assert gone.state == DeliveryState.SKIPPED and gone.detail == {
        "reason": "unreachable",
        "why": "deactivated",
    }
    assert report.skipped == 2  # the deactivated person, and Mallory (not in this Slack: channel_not_found)
    # Recorded once: the next tick does not count it again.
    assert checkin_reminders(db, client_for(emulator), MONDAY_LONDON + timedelta(minutes=1)).skipped == 0


# --- user_change events ---------------------------------------------------------------------------


def test_a_vacation_set_before_monday_means_no_reminder_and_no_users_info(slack, db, emulator):
    workspace_id = owners(db, [ALICE, BOB])
    for user_id, tz in ((ALICE, "Europe/London"), (BOB, "Europe/London")):
        cache(db, workspace_id, user_id, age=timedelta(hours=1), tz=tz)

    response = slack.user_change(ALICE, status_text="Vacationing in Lisbon", status_emoji=":palm_tree:")
    assert response.status == 200 and emulator.warnings == []  # acked within Slack's 3 seconds
    slack.settle()
    alice = members(db, workspace_id)[ALICE]
    assert (alice.status_emoji, alice.status_text) == (":palm_tree:", "Vacationing in Lisbon")
    assert alice.refreshed_at >= AT - timedelta(minutes=5)

    emulator.clear()
    checkin_reminders(db, client_for(emulator), MONDAY_LONDON)
    assert dms(emulator) == Counter({BOB: 1})
    assert calls(emulator, "users.info") == 0 and calls(emulator, "users.list") == 0


def test_user_change_stores_zone_admin_flag_and_deactivation(slack, db, emulator):
    workspace_id = owners(db, [CAROL])
    slack.user_change(CAROL, tz="America/Chicago", is_admin=True)
    slack.settle()
    carol = members(db, workspace_id)[CAROL]
    assert (carol.tz, carol.is_admin, carol.is_deleted) == ("America/Chicago", True, False)
    assert carol.name == "Carol Ng"
    slack.user_change(CAROL, deleted=True)
    slack.settle()
    assert members(db, workspace_id)[CAROL].is_deleted


def test_user_change_is_kept_to_its_own_workspace(slack, db, emulator):
    north = owners(db, [ALICE])
    cache(db, north, ALICE, age=timedelta(hours=1), tz="Europe/London", status_text="")
    other = owners(db, [MALLORY], team=OTHER_TEAM)

    slack.user_change(MALLORY, team_id=OTHER_TEAM, status_text="OOO", status_emoji=":ooo:")
    slack.settle()
    assert members(db, other)[MALLORY].status_emoji == ":ooo:"
    assert set(members(db, north)) == {ALICE}  # nothing of the other workspace's lands here

    # Slack telling the other workspace about Alice (were she shared there) leaves our Alice alone.
    slack.user_change(ALICE, team_id=OTHER_TEAM, status_emoji=":palm_tree:")
    slack.settle()
    assert members(db, north)[ALICE].status_emoji == ""
    assert members(db, other)[ALICE].status_emoji == ":palm_tree:"


def test_user_change_for_a_workspace_not_installed_changes_nothing(slack, db, emulator):
    workspace_id = owners(db, [ALICE])
    cache(db, workspace_id, ALICE, age=timedelta(hours=1))
    before = members(db, workspace_id)[ALICE].refreshed_at

    emulator.add_user("U0STRANGER", "T0STRANGER")  # a workspace that never installed the app
    assert slack.user_change("U0STRANGER", team_id="T0STRANGER", status_emoji=":palm_tree:").status == 200
    # A workspace that installed but has no data here yet (no request so far): nothing is created.
    slack.user_change(MALLORY, team_id=OTHER_TEAM, status_emoji=":palm_tree:")
    # A workspace that uninstalled: its data is kept for purging, not updated.
    with db.session() as session:
        session.execute(update(Workspace).where(Workspace.id == workspace_id).values(uninstalled_at=AT))
    slack.user_change(ALICE, status_emoji=":palm_tree:")
    slack.settle()

    with db.session() as session:
        assert sorted(session.scalars(select(Workspace.team_id))) == [TEAM]
        assert session.scalars(select(Member.user_id)).all() == [ALICE]
    alice = members(db, workspace_id)[ALICE]
    assert alice.status_emoji == "" and alice.refreshed_at == before


# --- Enterprise Grid ------------------------------------------------------------------------------

GRID_ORG, GRID_TOKEN = "E0ORG", "xoxb-grid-org"


def grid(emulator, db, settings) -> None:
    """An org-wide install over two workspaces of one org, as tests/e2e/test_workspaces.py makes it."""
    from slack_sdk.oauth.installation_store import Installation

    from bot.installations import BOT_SCOPES, installation_store
    from tests.conftest import close_store

    emulator.add_token(GRID_TOKEN, "T0GRIDA", user_id="U0BOTGRID", bot_id="B0GRID", enterprise_id=GRID_ORG)
    emulator.add_team("T0GRIDB", enterprise_id=GRID_ORG)
    store = installation_store(settings, db)
    store.save(
        Installation(
            app_id="A0NORTHLINE",
            enterprise_id=GRID_ORG,
            team_id=None,
            is_enterprise_install=True,
            bot_token=GRID_TOKEN,
            bot_id="B0GRID",
            bot_user_id="U0BOTGRID",
            bot_scopes=BOT_SCOPES,
            user_id="U0GRIDADMIN",
            installed_at=time.time(),
        )
    )
    close_store(store, db)
    with db.session() as session:
        session.add_all(Workspace(team_id=t, enterprise_id=GRID_ORG) for t in ("T0GRIDA", "T0GRIDB"))


def test_an_org_wide_token_lists_the_workspace_it_is_asked_about(db, emulator, settings):
    grid(emulator, db, settings)
    people = [f"U0GB{i:02d}" for i in range(30)]
    for user_id in people:
        emulator.add_user(user_id, "T0GRIDB", tz="America/Denver")
    owners(db, people, team="T0GRIDB")
    client = build_web_client(GRID_TOKEN, emulator.base_url)
    assert refresh_workspace(db, client, workspace_row(db, "T0GRIDB")).complete
    facts = people_facts(db, workspace_row(db, "T0GRIDB"), people)
    assert [c.args.get("team_id") for c in emulator.calls_to("users.list")] == ["T0GRIDB"]
    assert calls(emulator, "users.info") == 0 and {p.tz for p in facts.values()} == {"America/Denver"}


def test_an_org_wide_user_change_updates_that_member_in_the_orgs_workspaces_only(
    slack, db, emulator, settings
):
    import json

    grid(emulator, db, settings)
    emulator.add_user("U0GRIDANN", "T0GRIDA", tz="Europe/Madrid")
    grid_a, grid_b = owners(db, ["U0GRIDANN"], team="T0GRIDA"), owners(db, ["U0GRIDANN"], team="T0GRIDB")
    north = owners(db, [ALICE])
    for workspace_id in (grid_a, grid_b, north):
        cache(db, workspace_id, "U0GRIDANN", age=timedelta(hours=1), tz="Europe/Madrid")

    event = emulator.change_user("U0GRIDANN", status_text="On parental leave", status_emoji=":baby:")
    # An org-wide install hears of it once for the org: no workspace in its authorizations.
    wrapper = {
        "token": slack.verification_token,
        "enterprise_id": GRID_ORG,
        "context_team_id": None,
        "context_enterprise_id": GRID_ORG,
        "api_app_id": emulator.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev0GRID0001",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": GRID_ORG,
                "team_id": None,
                "user_id": "U0BOTGRID",
                "is_bot": True,
                "is_enterprise_install": True,
            }
        ],
        "is_ext_shared_channel": False,
    }
    body = json.dumps(wrapper)
    assert slack.raw(body, {"Content-Type": "application/json", **slack.sign(body)}).status == 200
    slack.settle()

    assert members(db, grid_a)["U0GRIDANN"].status_emoji == ":baby:"
    assert members(db, grid_b)["U0GRIDANN"].status_text == "On parental leave"
    assert members(db, north)["U0GRIDANN"].status_emoji == ""  # another org's row is never touched
    with db.session() as session:
        assert len(session.scalars(select(Member.id).where(Member.user_id == "U0GRIDANN")).all()) == 3
