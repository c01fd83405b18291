"""Who is who: the export names people by email, Northline by Slack user id.

An email is looked up in the owners mapping file (`--owners`, `email,slack_user_id` lines) first,
then, when the bot may read emails (the optional `users:read.email` scope), with
users.lookupByEmail. The member cache keeps no emails, so it cannot answer this. The lookup is
handed in as a function (the CLI makes it from the workspace's client) and `resolve_owners` runs
before any transaction opens: the planner and the writer only see the finished email → user map.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from bot.forms.okr_file import ImportRejected, Problem
from bot.importers.viva.read import Sheets

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")  # "Bob <bob@x.com>" names bob@x.com


def owner_emails(sheets: Sheets) -> set[str]:
    """Every email the export names, to look up before any transaction opens."""
    emails = {first_email(row.get("owner")) for row in sheets.okrs}
    emails |= {first_email(row.get("author")) for row in sheets.checkins}
    return {email for email in emails if email}


def first_email(text: str) -> str | None:
    """The first email in a cell (Viva lists several owners in one), casefolded; None if none."""
    found = _EMAIL.search(text or "")
    return found.group(0).casefold() if found else None


def read_owner_map(text: str) -> dict[str, str]:
    """The mapping file: a CSV whose rows are `email,slack_user_id` (a header row is skipped)."""
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or (number == 1 and not _EMAIL.fullmatch(cells[0] if cells else "")):
            continue
        if (
            len(cells) < 2
            or not _EMAIL.fullmatch(cells[0])
            or not re.fullmatch(r"[UW][A-Z0-9]{2,31}", cells[1])
        ):
            problems.append(Problem(number, "expected email,U0123ABCD (an email and a Slack user id)"))
            continue
        mapping[cells[0].casefold()] = cells[1]
    if problems:
        raise ImportRejected(problems)
    return mapping


NO_EMAIL_SCOPE = (
    "Slack would not give Northline people's emails (the optional users:read.email scope is not "
    "granted), so owners were matched from the owners file only; add the scope and reinstall, or "
    "list every owner in --owners FILE."
)


class LookupRefused(Exception):
    """Slack refused an email lookup for a reason that holds for every email (its error code)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# email → the Slack user it belongs to, or None when no one has it; raises LookupRefused.
EmailLookup = Callable[[str], dict | None]


def resolve_owners(
    emails: set[str], mapping: dict[str, str], lookup: EmailLookup | None
) -> tuple[dict[str, str], str | None]:
    """email → Slack user id: the mapping file first, then `lookup` (users.lookupByEmail, which
    needs the optional users:read.email scope). Call it before any transaction: it asks Slack once
    per unknown email."""
    owners = {email: mapping[email] for email in emails if email in mapping}
    if lookup is None:
        return owners, None
    for email in sorted(emails - owners.keys()):
        try:
            user = lookup(email)
        except LookupRefused as refused:
            if refused.code == "missing_scope":
                return owners, NO_EMAIL_SCOPE
            return (
                owners,
                f"Slack answered {refused.code} while matching owners by email; the rest come from --owners only.",
            )
        if user and not user.get("deleted") and not user.get("is_bot"):
            owners[email] = user["id"]
    return owners, None
