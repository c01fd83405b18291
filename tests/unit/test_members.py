"""The member cache's rules (bot/domain/members.py): when a row is asked for again, what is kept
of Slack's user object, and who may be reached today."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.members import Person, facts, fresh_until, is_person, is_stale, unreachable

NOON = datetime(2026, 11, 30, 12, 0)


def test_a_row_is_asked_for_again_once_it_is_a_day_old_or_was_never_kept():
    assert is_stale(None, NOON)
    assert not is_stale(datetime(2026, 11, 29, 12, 0, 1), NOON)
    assert is_stale(datetime(2026, 11, 29, 12, 0), NOON)
    assert fresh_until(datetime(2026, 11, 29, 12, 0)) == NOON


def test_bots_and_slackbot_are_not_people():
    assert is_person({"id": "U1"})
    assert not is_person({"id": "B1", "is_bot": True})
    assert not is_person({"id": "USLACKBOT"})
    assert not is_person({"id": ""})
    assert not is_person({})


def test_the_facts_kept_of_a_user_object():
    user = {
        "id": "U1",
        "name": "maya",
        "tz": "Europe/London",
        "tz_offset": 3600,
        "is_owner": True,
        "profile": {"real_name": "Maya Lin", "status_text": "x" * 300, "status_emoji": ":palm_tree:"},
    }
    assert facts(user) == {
        "name": "Maya Lin",
        "tz": "Europe/London",
        "tz_offset": 3600,
        "is_admin": True,
        "is_deleted": False,
        "status_text": "x" * 255,
        "status_emoji": ":palm_tree:",
    }
    assert facts({"id": "U2", "deleted": True}) == {
        "name": "U2",
        "tz": "UTC",
        "tz_offset": 0,
        "is_admin": False,
        "is_deleted": True,
        "status_text": "",
        "status_emoji": "",
    }


def test_who_may_be_reached_today():
    today = date(2026, 11, 30)
    person = Person("U1", "UTC", False, "", "", None)
    assert unreachable(person, today) is None
    assert unreachable(Person("U1", "UTC", True, "", "", None), today) == "deactivated"
    assert unreachable(Person("U1", "UTC", False, "", "", today), today) == "paused until 2026-11-30"
    assert unreachable(Person("U1", "UTC", False, "", "", date(2026, 11, 29)), today) is None
    assert unreachable(Person("U1", "UTC", False, "PTO", "", None), today) == "shows an away status"
