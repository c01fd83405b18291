"""Linear: how many issues of a team match a filter, counted over GraphQL pages.

A binding's query is the team and a filter, written as words:
    team:ENG state:Done label:bug project:"Mobile app" cycle:current completed-after:{cycle_start}
`team` (its key) is required; `state`, `label` and `project` match names (case ignored); `cycle`
is current, previous, next or a cycle's number; `completed-after`/`created-after` take a date.

  POST /graphql  {"query": …, "variables": {"team": …, "filter": {…}, "after": cursor}}
with the API key as the Authorization header. `issues(filter:, first: 250, after:)` answers
{"nodes": [{"id"}], "pageInfo": {"hasNextPage", "endCursor"}}: pages are followed by cursor until
the last. Linear says what went wrong in {"errors": [{"message", "extensions": {"code"}}]},
with HTTP 400 or 200; RATELIMITED when its rate limit is reached.
"""

from __future__ import annotations

import re
import shlex

from bot.sources.connections import Connection
from bot.sources.connectors.common import (
    Reach,
    Reading,
    call,
    document,
    lenient,
    quoted,
    retry_after,
    status_error,
)
from bot.sources.read import SourceError

PROVIDER = "Linear"
PAGE = 250
MAX_PAGES = 40  # 10,000 issues
KEYS = ("team", "state", "label", "project", "cycle", "completed-after", "created-after")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLACEHOLDER_DATE = re.compile(r"\{(cycle_start|cycle_end|week_start)\}")
QUERY = """
query Northline($team: String!, $filter: IssueFilter, $after: String) {
  teams(filter: {key: {eq: $team}}) { nodes { id } }
  issues(filter: $filter, first: 250, after: $after) {
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def parse_filter(text: str) -> tuple[str, dict]:
    """(team key, Linear IssueFilter) from `team:ENG state:Done …`; ValueError saying why not."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise ValueError('a quote is not closed: write project:"Mobile app"') from None
    given: dict[str, str] = {}
    for word in words:
        key, _, value = word.partition(":")
        key = key.lower()
        if key not in KEYS or not value:
            raise ValueError(f"“{word[:40]}” is not key:value with a key of {', '.join(KEYS)}")
        if key in given:
            raise ValueError(f"{key} is given twice")
        given[key] = value
    if "team" not in given:
        raise ValueError("name the team by its key, e.g. team:ENG")
    team = given.pop("team")
    issue_filter: dict = {"team": {"key": {"eq": team}}}
    for key, value in given.items():
        issue_filter.update(_part(key, value))
    return team, issue_filter


def _part(key: str, value: str) -> dict:
    named = {"name": {"eqIgnoreCase": value}}
    if key == "state":
        return {"state": named}
    if key == "label":
        return {"labels": {"some": named}}
    if key == "project":
        return {"project": named}
    if key == "cycle":
        relative = {"current": "isActive", "previous": "isPrevious", "next": "isNext"}
        if value.lower() in relative:
            return {"cycle": {relative[value.lower()]: {"eq": True}}}
        if not value.isdigit():
            raise ValueError("cycle is current, previous, next or a cycle's number")
        return {"cycle": {"number": {"eq": int(value)}}}
    if not (_DATE.fullmatch(value) or _PLACEHOLDER_DATE.fullmatch(value)):
        raise ValueError(f"{key} takes a date such as 2026-10-01 or {{cycle_start}}")
    return {"completedAt" if key == "completed-after" else "createdAt": {"gte": value}}


def filter_problem(text: str) -> str | None:
    try:
        parse_filter(text)
    except ValueError as error:
        return str(error)
    return None


def read(connection: Connection, reading: Reading, reach: Reach) -> float:
    try:
        team, issue_filter = parse_filter(reading.query or "")
    except ValueError as error:
        raise SourceError(str(error), field="query") from None
    count, cursor = 0, None
    for _ in range(MAX_PAGES):
        variables = {"team": team, "filter": issue_filter, "after": cursor}
        data = _data(call(connection, "/graphql", reach, body={"query": QUERY, "variables": variables}))
        if not (data.get("teams") or {}).get("nodes"):
            raise SourceError(
                f"Linear has no team with the key {quoted(team)} that the key may see", field="query"
            )
        issues = data.get("issues") or {}
        nodes, page = issues.get("nodes"), issues.get("pageInfo") or {}
        if not isinstance(nodes, list):
            raise SourceError("Linear's answer holds no list of issues")
        count += len(nodes)
        cursor = page.get("endCursor")
        if not page.get("hasNextPage") or not cursor:
            return float(count)
    raise SourceError(f"the filter matches more than {MAX_PAGES * PAGE:,} issues; narrow it", field="query")


def _data(answer) -> dict:
    body = lenient(answer) if not answer.ok else document(answer, PROVIDER)
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors and isinstance(errors, list):
        first = errors[0] if isinstance(errors[0], dict) else {}
        code = str((first.get("extensions") or {}).get("code") or "").upper()
        said = first.get("message")
        if code == "RATELIMITED" or answer.status == 429:
            raise SourceError(
                f"Linear's rate limit was reached{retry_after(answer)}; tried again at the next sync"
            )
        if code in ("AUTHENTICATION_ERROR", "UNAUTHENTICATED") or answer.status == 401:
            raise SourceError(
                f"Linear refused the connection's API key: “{quoted(said)}”; the operator renews it"
            )
        raise SourceError(f"Linear says “{quoted(said)}”", field="query")
    if not answer.ok:
        raise status_error(PROVIDER, answer, field="query", credential="API key")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise SourceError("Linear's answer holds no data")
    return data
