"""Scheduled posts on the team's calendar (issue 16): each planner reads the workspace's time
zone, work week, holiday country and region, fiscal year and default slots. Every test passes
`now`; the one that needs Slack's "when did we last hear" clock freezes it with time-machine."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import select, update

from bot.domain.cycles import cycle_for
from bot.domain.schedule_time import WorkCalendar
from bot.jobs.cycle_prompts import cycle_prompts
from bot.jobs.digest import channel_digests
from bot.jobs.reminders import checkin_reminders
from bot.jobs.roster import refresh_people
from bot.jobs.sprint_prompts import sprint_prompts
from bot.services import home
from storage.models import Kra, Member, Schedule, ScheduleKind, Workspace
from tests.conftest import ALICE, BOB, CHANNEL, OTHER_TEAM, TEAM
from tests.factories import (
    at,
    channel_posts,
    clients,
    deliveries,
    dms,
    make_check_ins,
    make_key_result,
    make_objective,
    make_owners_with_key_results,
    make_sprint,
    make_workspace,
)


def digests(emulator) -> list:
    """Digest parents in the channel (each digest also has replies in its thread)."""
    return [c for c in channel_posts(emulator, CHANNEL) if not c.args.get("thread_ts")]


def digest_channel(db, **workspace) -> int:
    workspace_id = make_workspace(db, **workspace)
    objective = make_objective(db, workspace_id, ALICE, channel=CHANNEL)
    make_key_result(db, workspace_id, objective, ALICE)
    return workspace_id


# --- channel posts in the workspace's zone, across daylight saving in both hemispheres ------------


def test_the_default_digest_is_in_the_workspaces_zone_across_auckland_dst(db, emulator):
    # Auckland leaves daylight saving on Sunday 5 April 2026 (+13 -> +12): Friday 16:00 is 03:00
    # UTC before it and 04:00 UTC after it.
    digest_channel(db, timezone="Pacific/Auckland")
    channel_digests(db, clients(emulator), at("2026-04-03T02:59:00+00:00"))
    assert digests(emulator) == []
    channel_digests(db, clients(emulator), at("2026-04-03T03:01:00+00:00"))
    assert len(digests(emulator)) == 1
    channel_digests(db, clients(emulator), at("2026-04-10T03:01:00+00:00"))
    assert len(digests(emulator)) == 1  # 15:01 NZST: not yet
    channel_digests(db, clients(emulator), at("2026-04-10T04:01:00+00:00"))
    assert len(digests(emulator)) == 2
    # Auckland springs forward on Sunday 27 September 2026: back to 03:00 UTC on 2 October.
    channel_digests(db, clients(emulator), at("2026-10-02T03:01:00+00:00"))
    assert len(digests(emulator)) == 3


def test_the_workspaces_default_digest_day_and_time_in_los_angeles_across_us_dst(db, emulator):
    # /okr settings: digests on Thursday 09:00 in Los Angeles. The US springs forward on Sunday
    # 8 March 2026: Thursday 5 March 09:00 PST is 17:00 UTC, Thursday 12 March 09:00 PDT is 16:00.
    digest_channel(db, timezone="America/Los_Angeles", digest_weekday=4, digest_time="09:00")
    channel_digests(db, clients(emulator), at("2026-03-05T16:59:00+00:00"))
    assert digests(emulator) == []
    channel_digests(db, clients(emulator), at("2026-03-05T17:01:00+00:00"))
    assert len(digests(emulator)) == 1
    channel_digests(db, clients(emulator), at("2026-03-12T16:01:00+00:00"))
    assert len(digests(emulator)) == 2
    assert [d.period for d in deliveries(db, "digest")] == ["2026-W10", "2026-W11"]


def test_sprint_prompts_default_to_the_workspaces_zone(db, emulator):
    # No sprint schedule: the prompt is at 10:00 in the workspace's zone, not 10:00 UTC.
    workspace_id = digest_channel(db, timezone="America/Los_Angeles")
    make_sprint(db, workspace_id, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 11))
    sprint_prompts(db, clients(emulator), at("2026-12-11T10:05:00+00:00"))  # 02:05 in Los Angeles
    assert channel_posts(emulator, CHANNEL) == []
    sprint_prompts(db, clients(emulator), at("2026-12-11T18:05:00+00:00"))  # 10:05 PST
    assert len(channel_posts(emulator, CHANNEL)) == 1


# --- holidays ---------------------------------------------------------------------------------------


def test_a_holiday_on_the_check_in_day_moves_the_reminder_to_the_next_work_day(db, emulator):
    # Boxing Day 2026 is a Saturday, so England's substitute holiday is Monday 28 December.
    workspace_id = make_owners_with_key_results(db, emulator, [ALICE])
    with db.session() as session:
        session.execute(
            update(Workspace)
            .where(Workspace.id == workspace_id)
            .values(holiday_country="GB", holiday_subdivision="ENG")
        )
    checkin_reminders(db, clients(emulator), at("2026-12-28T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 0
    checkin_reminders(db, clients(emulator), at("2026-12-29T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 1
    assert [d.period for d in deliveries(db, "checkin")] == ["2026-W53"]  # the slot's own week


def test_no_close_prompt_on_christmas_day_nor_a_review_on_new_years_day(db, emulator):
    workspace_id = make_workspace(db, holiday_country="GB", holiday_subdivision="ENG")
    with db.session() as session:
        session.add(
            Kra(workspace_id=workspace_id, number=1, title="Customer care", owner_id=ALICE, created_by=ALICE)
        )
    make_objective(db, workspace_id, ALICE, cycle="2026-Q4")
    cycle_prompts(db, clients(emulator), at("2026-12-25T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 0
    cycle_prompts(db, clients(emulator), at("2026-12-29T10:05:00+00:00"))  # the next work day
    assert dms(emulator)[ALICE] == 1
    cycle_prompts(db, clients(emulator), at("2027-01-01T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 1
    cycle_prompts(db, clients(emulator), at("2027-01-04T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 2
    assert {d.kind for d in deliveries(db)} == {"cycle_close", "cycle_kra_review"}


def test_a_region_has_its_own_holidays():
    # 2 January is a bank holiday in Scotland, not in England.
    friday = date(2026, 1, 2)
    assert not WorkCalendar.of("1,2,3,4,5", "GB", "SCT").is_working_day(friday)
    assert WorkCalendar.of("1,2,3,4,5", "GB", "ENG").is_working_day(friday)
    assert WorkCalendar.of("1,2,3,4,5", "gb", "eng") == WorkCalendar.of("1,2,3,4,5", "GB", "ENG")
    assert WorkCalendar.of("1,2,3,4,5", None, "ENG").holiday_subdivision is None  # no country, no region
    # An unknown region falls back to the country's own holidays, never to none.
    assert not WorkCalendar.of("1,2,3,4,5", "GB", "XX").is_working_day(date(2026, 12, 25))


# --- a Sunday-to-Thursday work week -------------------------------------------------------------------


def test_a_sunday_to_thursday_week(db, emulator):
    # Tel Aviv works Sunday to Thursday: a check-in slot on Sunday goes out on Sunday, and the
    # default Friday digest, Friday being a day off, on the next work day (Sunday).
    workspace_id = digest_channel(db, timezone="Asia/Jerusalem", work_days="7,1,2,3,4")
    with db.session() as session:
        session.add(
            Schedule(
                workspace_id=workspace_id,
                kind=ScheduleKind.CHECKIN,
                weekday=7,
                time_of_day="09:00",
                set_by=ALICE,
            )
        )
    emulator.add_user("U0TLV", TEAM, tz="Asia/Jerusalem")
    objective = make_objective(db, workspace_id, "U0TLV")
    make_key_result(db, workspace_id, objective, "U0TLV")
    checkin_reminders(db, clients(emulator), at("2026-12-06T07:05:00+00:00"))  # Sunday 09:05 in Tel Aviv
    assert dms(emulator)["U0TLV"] == 1
    channel_digests(db, clients(emulator), at("2026-12-04T14:05:00+00:00"))  # Friday 16:05
    assert digests(emulator) == []
    channel_digests(db, clients(emulator), at("2026-12-06T14:05:00+00:00"))  # Sunday 16:05
    assert len(digests(emulator)) == 1
    # The same Sunday slot in a Monday-to-Friday workspace moves to Monday.
    mon_fri = WorkCalendar.of("1,2,3,4,5")
    assert mon_fri.next_working_day(date(2026, 12, 6)) == date(2026, 12, 7)


# --- a fiscal year starting in April --------------------------------------------------------------


def test_a_fiscal_year_from_april_across_the_year_boundary(db, emulator):
    # Q1 = April–June; the quarter from January to March 2027 is the fourth of FY2027.
    q4 = cycle_for(date(2027, 1, 15), 4)
    assert (q4.name, q4.start) == ("FY2027-Q4", date(2027, 1, 1))
    assert q4.contains(date(2027, 3, 31)) and not q4.contains(date(2027, 4, 1))
    assert cycle_for(date(2026, 12, 31), 4).name == "FY2027-Q3"
    assert cycle_for(date(2027, 4, 1), 4).name == "FY2028-Q1"
    workspace_id = make_workspace(db, fiscal_year_start_month=4, holiday_country="GB")
    with db.session() as session:
        session.add(
            Kra(workspace_id=workspace_id, number=1, title="Customer care", owner_id=ALICE, created_by=ALICE)
        )
    make_objective(db, workspace_id, ALICE, cycle="FY2027-Q3")
    cycle_prompts(db, clients(emulator), at("2026-12-29T10:05:00+00:00"))  # Q3's last week, after Christmas
    cycle_prompts(db, clients(emulator), at("2027-01-04T10:05:00+00:00"))  # Q4's first work day
    keys = sorted((d.kind, d.period) for d in deliveries(db))
    assert keys == [("cycle_close", "FY2027-Q3"), ("cycle_kra_review", "FY2027-Q4")]
    assert dms(emulator)[ALICE] == 2


# --- settings of one workspace never reach another ------------------------------------------------


def test_one_workspaces_holidays_and_zone_never_reach_another(db, emulator):
    make_owners_with_key_results(db, emulator, [ALICE])  # TEAM: Monday to Friday, no holidays
    emulator.add_user("U0MALLO", OTHER_TEAM, tz="Europe/London")
    other = make_owners_with_key_results(db, emulator, ["U0MALLO"], team=OTHER_TEAM)
    with db.session() as session:
        session.execute(
            update(Workspace)
            .where(Workspace.id == other)
            .values(holiday_country="GB", timezone="Pacific/Auckland", work_days="2,3,4,5,6")
        )
    checkin_reminders(db, clients(emulator), at("2026-12-28T10:05:00+00:00"))
    assert dms(emulator) == Counter({ALICE: 1})  # Monday is a holiday and a day off only there


# --- a vacation status read on the day ------------------------------------------------------------


def test_a_status_cleared_on_monday_morning_is_seen_that_monday(db, emulator):
    make_owners_with_key_results(db, emulator, [ALICE, BOB], list_people=False)
    # Sunday evening: both were away, as users.list (or a user_change event) said then.
    sunday = datetime(2026, 11, 29, 20, 0)
    with db.session() as session:
        for user_id, tz in ((ALICE, "Europe/London"), (BOB, "America/New_York")):
            session.add(
                Member(
                    workspace_id=session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM)),
                    user_id=user_id,
                    tz=tz,
                    status_text="On vacation",
                    status_emoji=":palm_tree:",
                    refreshed_at=sunday,
                )
            )
    # Alice clears her status on Monday morning; Slack knows, the cache (13 hours old) does not.
    emulator.update_user(ALICE, status_text="", status_emoji="")
    emulator.update_user(BOB, status_text="On vacation", status_emoji=":palm_tree:")
    # In the hour before the workspace's 10:00 slot, the background pass lists everyone once.
    refreshed = refresh_people(db, clients(emulator), at("2026-11-30T09:05:00+00:00"))
    assert refreshed.listed == [TEAM] and len(emulator.calls_to("users.list")) == 1
    emulator.clear()
    checkin_reminders(db, clients(emulator), at("2026-11-30T10:05:00+00:00"))
    assert dms(emulator) == Counter({ALICE: 1})
    # The run itself asked Slack about nobody.
    assert emulator.calls_to("users.info") == [] and emulator.calls_to("users.list") == []


def test_a_status_heard_this_morning_is_not_asked_again(db, emulator):
    make_owners_with_key_results(db, emulator, [ALICE], list_people=False)
    with db.session() as session:
        session.add(
            Member(
                workspace_id=session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM)),
                user_id=ALICE,
                tz="Europe/London",
                status_text="On vacation",
                status_emoji=":palm_tree:",
                refreshed_at=datetime(2026, 11, 30, 8, 0),  # a user_change event at 08:00
            )
        )
    checkin_reminders(db, clients(emulator), at("2026-11-30T10:05:00+00:00"))
    assert dms(emulator)[ALICE] == 0
    assert emulator.calls_to("users.info") == [] and emulator.calls_to("users.list") == []


# --- sprints on the team's calendar -------------------------------------------------------------------


def test_a_sprint_ending_on_sunday_is_prompted_on_friday_never_after_its_end(db, emulator):
    workspace_id = digest_channel(db, timezone="Europe/London")
    make_sprint(db, workspace_id, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 13))
    sprint_prompts(db, clients(emulator), at("2026-12-11T10:05:00+00:00"))  # Friday 11 December
    [prompt] = channel_posts(emulator, CHANNEL)
    assert "ends Sun 13 Dec" in prompt.args["text"]
    sprint_prompts(db, clients(emulator), at("2026-12-14T10:05:00+00:00"))  # Monday: nothing more
    assert len(channel_posts(emulator, CHANNEL)) == 1


def test_the_default_sprint_ends_on_the_last_work_day_before_the_next_start(db):
    from bot.services.sprints import default_end

    workspace_id = make_workspace(db, holiday_country="GB")
    with db.session() as session:
        workspace = session.get(Workspace, workspace_id)
        assert default_end(session, workspace, CHANNEL, date(2026, 11, 30)) == date(2026, 12, 11)  # Friday
        # Starting Monday 14 December, two weeks on is Monday 28th; Christmas and the substitute
        # Boxing Day (the 28th itself is the next start) leave Thursday 24 December.
        assert default_end(session, workspace, CHANNEL, date(2026, 12, 14)) == date(2026, 12, 24)
        session.add(
            Schedule(
                workspace_id=workspace_id,
                kind=ScheduleKind.SPRINT,
                channel_id=CHANNEL,
                weekday=1,
                time_of_day="10:00",
                length_weeks=1,
                set_by=ALICE,
            )
        )
        session.flush()
        assert default_end(session, workspace, CHANNEL, date(2026, 11, 30)) == date(2026, 12, 4)
        workspace.work_days = "7,1,2,3,4"
        assert default_end(session, workspace, CHANNEL, date(2026, 11, 29)) == date(2026, 12, 3)  # Thursday


def test_the_planning_prompt_suggests_the_channels_own_key_results_only(db, emulator):
    workspace_id = make_workspace(db, timezone="Europe/London")
    ours = make_objective(db, workspace_id, ALICE, channel=CHANNEL)
    theirs = make_objective(db, workspace_id, BOB, channel="C0OTHERTEAM")
    emulator.add_channel("C0OTHERTEAM", TEAM)
    lagging_ours = make_key_result(db, workspace_id, ours, ALICE, title="Our lagging one")
    served_ours = make_key_result(db, workspace_id, ours, ALICE, title="Ours, served elsewhere")
    lagging_theirs = make_key_result(db, workspace_id, theirs, BOB, title="Their lagging one")
    for kr_id in (lagging_ours, served_ours, lagging_theirs):
        make_check_ins(db, workspace_id, kr_id, ALICE, [(datetime(2026, 12, 1, 9), 1.0, "")])
    make_sprint(
        db,
        workspace_id,
        "C0OTHERTEAM",
        starts=date(2026, 11, 30),
        ends=date(2026, 12, 11),
        links=[served_ours],
    )
    make_sprint(db, workspace_id, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 11), number=2)
    sprint_prompts(db, clients(emulator), at("2026-12-11T10:05:00+00:00"))
    [prompt] = channel_posts(emulator, CHANNEL)
    assert "Our lagging one" in prompt.args["text"]
    assert "served elsewhere" not in prompt.args["text"] and "Their lagging one" not in prompt.args["text"]


def test_a_channel_with_no_key_results_of_its_own_is_told_how_to_link_them(db, emulator):
    workspace_id = make_workspace(db, timezone="Europe/London")
    theirs = make_objective(db, workspace_id, BOB, channel="C0OTHERTEAM")
    kr = make_key_result(db, workspace_id, theirs, BOB, title="Their lagging one")
    make_check_ins(db, workspace_id, kr, BOB, [(datetime(2026, 12, 1, 9), 1.0, "")])
    make_sprint(db, workspace_id, CHANNEL, starts=date(2026, 11, 30), ends=date(2026, 12, 11))
    sprint_prompts(db, clients(emulator), at("2026-12-11T10:05:00+00:00"))
    [prompt] = channel_posts(emulator, CHANNEL)
    assert "no key results of its own" in prompt.args["text"] and "/sprint link KR-n" in prompt.args["text"]
    assert "Their lagging one" not in prompt.args["text"]


def test_home_lists_your_unaligned_sprints_under_needs_you(db):
    from bot.ui.home import home_view

    workspace_id = make_workspace(db)
    objective = make_objective(db, workspace_id, ALICE, channel=CHANNEL)
    kr = make_key_result(db, workspace_id, objective, ALICE)
    make_sprint(
        db,
        workspace_id,
        CHANNEL,
        starts=date(2026, 11, 30),
        ends=date(2026, 12, 11),
        goal="Faster onboarding",
    )
    make_sprint(
        db,
        workspace_id,
        "C0ALIGNED",
        starts=date(2026, 11, 30),
        ends=date(2026, 12, 11),
        number=2,
        links=[kr],
    )
    with db.session() as session:
        workspace = session.get(Workspace, workspace_id)
        data = home.home_data(session, workspace, ALICE, now=datetime(2026, 12, 2, 9))
        view = home_view(data)
    assert [s.ref for s in data.unaligned_sprints] == ["SPR-1"]
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"]]
    start = next(
        i for i, b in enumerate(view["blocks"]) if b.get("text", {}).get("text") == "Needs you this week"
    )
    needs = next(t for t in texts[start + 1 :] if "serves no key result" in t)
    assert "SPR-1" in needs and "Faster onboarding" in needs and "SPR-2" not in needs
