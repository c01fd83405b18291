"""Who is who in a Viva Goals export (bot/importers/viva/people.py): emails to Slack user ids."""

from __future__ import annotations

import pytest

from bot.forms.okr_file import ImportRejected, Problem
from bot.importers.viva.people import (
    NO_EMAIL_SCOPE,
    LookupRefused,
    first_email,
    owner_emails,
    read_owner_map,
    resolve_owners,
)
from bot.importers.viva.read import Row, Sheets


@pytest.mark.parametrize(
    ("cell", "email"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "alice@example.com"),
        ("alice@example.com; bob@example.com", "alice@example.com"),  # several owners: the first
        ("Alice Jones", None),
        ("", None),
    ],
)
def test_first_email(cell, email):
    assert first_email(cell) == email


def test_owner_emails_are_the_owners_and_the_check_in_authors():
    sheets = Sheets(
        [Row(2, {"owner": "Alice@example.com"}), Row(3, {"owner": "nobody"}), Row(4, {"owner": "bob@example.com"})],
        [Row(2, {"author": "carol@example.com"}), Row(3, {"author": ""})],
    )  # fmt: skip
    assert owner_emails(sheets) == {"alice@example.com", "bob@example.com", "carol@example.com"}


def test_the_owners_file_maps_emails_and_skips_its_header_and_blank_lines():
    text = "email,slack_user_id\nAlice@Example.com, U0ALICE\n\nbob@example.com,W0BOB\n"
    assert read_owner_map(text) == {"alice@example.com": "U0ALICE", "bob@example.com": "W0BOB"}


def test_a_malformed_owners_file_names_every_bad_line():
    with pytest.raises(ImportRejected) as refused:
        read_owner_map(
            "alice@example.com,alice\nbob@example.com,U0BOB\nnot an email,U0X\ncarol@example.com\n"
        )
    assert refused.value.problems == [
        Problem(1, "expected email,U0123ABCD (an email and a Slack user id)"),
        Problem(3, "expected email,U0123ABCD (an email and a Slack user id)"),
        Problem(4, "expected email,U0123ABCD (an email and a Slack user id)"),
    ]


def test_the_owners_file_comes_first_and_slack_is_asked_only_for_the_rest():
    asked: list[str] = []
    users = {
        "bob@example.com": {"id": "U0BOB"},
        "gone@example.com": {"id": "U0GONE", "deleted": True},
        "bot@example.com": {"id": "U0BOT", "is_bot": True},
    }

    def lookup(email: str) -> dict | None:
        asked.append(email)
        return users.get(email)

    emails = {
        "alice@example.com",
        "bob@example.com",
        "gone@example.com",
        "bot@example.com",
        "who@example.com",
    }
    owners, note = resolve_owners(emails, {"alice@example.com": "U0ALICE"}, lookup)
    assert owners == {"alice@example.com": "U0ALICE", "bob@example.com": "U0BOB"}
    assert note is None
    assert asked == ["bob@example.com", "bot@example.com", "gone@example.com", "who@example.com"]


def test_without_a_lookup_only_the_owners_file_answers():
    owners, note = resolve_owners(
        {"alice@example.com", "bob@example.com"}, {"bob@example.com": "U0BOB"}, None
    )
    assert (owners, note) == ({"bob@example.com": "U0BOB"}, None)


@pytest.mark.parametrize(
    ("code", "note"),
    [
        ("missing_scope", NO_EMAIL_SCOPE),
        (
            "ratelimited",
            "Slack answered ratelimited while matching owners by email; the rest come from --owners only.",
        ),
    ],
)
def test_a_refused_lookup_stops_asking_and_says_why(code, note):
    asked: list[str] = []

    def lookup(email: str) -> dict | None:
        asked.append(email)
        raise LookupRefused(code)

    owners, said = resolve_owners({"a@example.com", "b@example.com"}, {}, lookup)
    assert (owners, said, asked) == ({}, note, ["a@example.com"])


def test_an_owner_written_with_a_name_is_found_by_the_email_in_angle_brackets():
    assert first_email("Bob Diaz <Bob@Example.com>; carol@example.com") == "bob@example.com"
