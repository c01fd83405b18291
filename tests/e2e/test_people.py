"""People's facts at scale: many stale people are refreshed from users.list pages (one statement a
page), a few with users.info, and user_change events keep the cache fresh between runs."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.jobs import people as people_module
from bot.jobs.people import people_facts
from bot.jobs.reminders import checkin_reminders
from bot.slack_client import build_web_client
from storage.models import KeyResult, Member, Objective, Workspace
from tests.conftest import ADMIN, ALICE, BOB, CAROL, MALLORY, OTHER_TEAM, TEAM, TOKEN, count_statements

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


# --- many stale people: users.list pages ----------------------------------------------------------


def test_a_reminder_run_over_300_stale_people_lists_two_pages_and_asks_nobody_alone(db, emulator):
    people = [f"U1P{i:03d}" for i in range(300)]
    for i, user_id in enumerate(people):
        away = {"status_text": "Vacationing", "status_emoji": ":palm_tree:"} if i % 30 == 0 else {}
        emulator.add_user(user_id, TEAM, tz=ZONES[i % 3], **away)
    workspace_id = owners(db, people)
    # Half were seen two days ago, in the wrong zone; the other half never.
    for user_id in people[::2]:
        cache(db, workspace_id, user_id, age=timedelta(days=2), tz="Pacific/Auckland")

    emulator.rate_limit("users.list", tier=2)
    emulator.rate_limit("users.info", tier=4)
    with count_statements(db) as counter:
        report = checkin_reminders(db, client_for(emulator), MONDAY_LONDON)

    # 300 people + Alice, Bob, Carol, Ada and the bot = 305 members: two pages of 200.
    assert calls(emulator, "users.list") == 2 and calls(emulator, "users.info") == 0
    assert [c.args["limit"] for c in emulator.calls_to("users.list")] == ["200", "200"]
    assert upserts(counter.statements) == 2  # one statement a page, however many people on it
    assert [c.method for c in emulator.rejected] == []  # well inside Slack's limits
    london = {u for i, u in enumerate(people) if ZONES[i % 3] == "Europe/London"}
    away = {u for i, u in enumerate(people) if i % 30 == 0}
    tokyo = {u for i, u in enumerate(people) if ZONES[i % 3] == "Asia/Tokyo"}
    assert set(dms(emulator)) == london - away  # Slack's zone, not the stale cache's, and not the away
    assert report.sent == len(london - away) and report.late == len(tokyo - away)

    stored = members(db, workspace_id)
    just_now = AT - timedelta(minutes=5)
    assert all(stored[u].refreshed_at >= just_now for u in people)
    assert all(stored[u].tz == ZONES[i % 3] for i, u in enumerate(people))
    assert all((stored[u].status_emoji == ":palm_tree:") == (u in away) for u in people)
    # Everyone on the pages is kept, not only owners (the bot is not a person).
    assert {ALICE, BOB, CAROL, ADMIN} <= set(stored) and "U0BOTNORTH" not in stored
    assert stored[ADMIN].is_admin and not stored[ALICE].is_admin and stored[BOB].tz == "America/New_York"


def test_2000_stale_people_cost_eleven_pages_and_no_users_info(db, emulator):
    people = [f"U2P{i:04d}" for i in range(2000)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="Asia/Kolkata")
    owners(db, people)
    emulator.rate_limit("users.list", tier=2)  # Slack's own limits, per workspace
    emulator.rate_limit("users.info", tier=4)
    with count_statements(db) as counter:
        facts = people_facts(db, client_for(emulator)(None), workspace_row(db), people)
    # 2,005 members in pages of 200; users.info would have been 2,000 calls (20 minutes at Tier 4).
    assert calls(emulator, "users.list") == 11 and calls(emulator, "users.info") == 0
    assert emulator.rejected == [] and upserts(counter.statements) == 11
    assert set(facts) == set(people) and {p.tz for p in facts.values()} == {"Asia/Kolkata"}


def test_a_few_stale_people_are_asked_one_by_one(db, emulator):
    people = [f"U3P{i:02d}" for i in range(people_module.FEW_STALE)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="Asia/Tokyo")
    owners(db, people)
    facts = people_facts(db, client_for(emulator)(None), workspace_row(db), people)
    assert calls(emulator, "users.info") == len(people) and calls(emulator, "users.list") == 0
    assert {p.tz for p in facts.values()} == {"Asia/Tokyo"}


def test_fresh_people_cost_nothing(db, emulator):
    people = [f"U4P{i:02d}" for i in range(40)]
    workspace_id = owners(db, people)
    for user_id in people:
        cache(db, workspace_id, user_id, age=timedelta(hours=2), tz="Europe/Paris")
    facts = people_facts(db, client_for(emulator)(None), workspace_row(db), people)
    assert emulator.calls == [] and {p.tz for p in facts.values()} == {"Europe/Paris"}


def test_a_rate_limited_page_is_retried_after_its_retry_after(db, emulator):
    people = [f"U5P{i:03d}" for i in range(250)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="America/New_York")
    owners(db, people)
    emulator.rate_limit("users.list", every=2, retry_after=1)  # the second page: 429, then again
    started = time.monotonic()
    facts = people_facts(db, client_for(emulator)(None), workspace_row(db), people)
    assert time.monotonic() - started >= 1.0  # Retry-After was waited for
    assert [c.status for c in emulator.rejected if c.method == "users.list"] == [429]
    assert calls(emulator, "users.list") == 2 and calls(emulator, "users.info") == 0
    assert set(facts) == set(people) and {p.tz for p in facts.values()} == {"America/New_York"}


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
        client = client_for(emulator)(None)
    else:
        emulator.rate_limit("users.list", every=2, retry_after=0)
        client = client_for(emulator, rate_limit_retries=0)(None)

    facts = people_facts(db, client, workspace_row(db), people)

    assert calls(emulator, "users.list") == (2 if how == "error" else 1)
    stored = members(db, workspace_id)
    assert all(stored[u].tz == "Asia/Tokyo" and facts[u].tz == "Asia/Tokyo" for u in first_page)
    # Not reached: the stale cache stands (not "gone"); those never seen are asked alone.
    assert all(facts[u].tz == "Europe/Oslo" and not facts[u].is_deleted for u in stale_cached)
    assert all(stored[u].refreshed_at < AT - timedelta(days=2) for u in stale_cached)
    never_seen = set(second_page) - stale_cached
    assert {c.args["user"] for c in emulator.calls_to("users.info")} == never_seen
    assert all(facts[u].tz == "Asia/Tokyo" for u in never_seen)


def test_only_slack_saying_deleted_means_gone(db, emulator):
    people = [f"U7P{i:02d}" for i in range(30)]
    for user_id in people:
        emulator.add_user(user_id, TEAM)
    emulator.update_user(people[0], deleted=True)
    workspace_id = owners(db, [*people, MALLORY, "U0NOBODY"])
    # Mallory is listed in another workspace only (as a Grid member might be): her stale facts stand.
    cache(db, workspace_id, MALLORY, age=timedelta(days=2), tz="Europe/Berlin")
    facts = people_facts(db, client_for(emulator)(None), workspace_row(db), [*people, MALLORY, "U0NOBODY"])
    assert facts[people[0]].is_deleted and not facts[people[1]].is_deleted
    assert not facts[MALLORY].is_deleted and facts[MALLORY].tz == "Europe/Berlin"
    # Never seen and not listed: users.info is asked, and says there is no such person.
    assert [c.args["user"] for c in emulator.calls_to("users.info")] == ["U0NOBODY"]
    assert facts["U0NOBODY"].is_deleted


def test_a_huge_workspace_with_a_few_dozen_stale_people_stops_paging_at_its_budget(db, emulator):
    for i in range(1500):
        emulator.add_user(f"U0F{i:04d}", TEAM)  # sort before the owners
    people = [f"U9P{i:02d}" for i in range(25)]
    for user_id in people:
        emulator.add_user(user_id, TEAM, tz="Australia/Sydney")
    owners(db, people)
    facts = people_facts(db, client_for(emulator)(None), workspace_row(db), people)
    # 25 users.info calls are worth 5 users.list pages of the rate limit (100 vs 20 a minute):
    # 5 pages, then each owner alone, rather than all 8 pages.
    assert calls(emulator, "users.list") == 5 and calls(emulator, "users.info") == 25
    assert {p.tz for p in facts.values()} == {"Australia/Sydney"}


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
    facts = people_facts(db, client, workspace_row(db, "T0GRIDB"), people)
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
