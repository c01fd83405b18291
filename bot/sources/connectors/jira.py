"""Jira: the issues a JQL query matches, or the sum of a numeric field over them (story points).

Jira Cloud (a connection with NORTHLINE_SOURCE_<NAME>_EMAIL: basic auth, e-mail and API token):
  count  POST /rest/api/3/search/approximate-count   {"jql": …}               → {"count": n}
  sum    POST /rest/api/3/search/jql   {"jql", "fields": [f], "maxResults", "nextPageToken"}
         → {"issues": [{"fields": {f: 3}}], "nextPageToken": …, "isLast": …}
Jira Data Center (a personal access token as a bearer token):
  count  GET /rest/api/2/search?jql=…&maxResults=0&fields=none                   → {"total": n}
  sum    GET /rest/api/2/search?jql=…&fields=f&startAt=…&maxResults=100
         → {"startAt", "maxResults", "total", "issues": [{"fields": {f: 3}}]}
A bad query is a 400 with {"errorMessages": […], "errors": {…}}: said back in Jira's words.
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot.sources.connections import Connection
from bot.sources.connectors.common import (
    Reach,
    Reading,
    call,
    document,
    lenient,
    quoted,
    status_error,
)
from bot.sources.fetch import Answer
from bot.sources.read import SourceError, as_number

PROVIDER = "Jira"
PAGE = 100
MAX_ISSUES = 10_000  # a sum over more is refused: narrow the JQL


def is_cloud(connection: Connection) -> bool:
    """Cloud connections log in with e-mail and API token (basic); Data Center with a bearer."""
    return (connection.secret or "").startswith("Basic ")


def read(connection: Connection, reading: Reading, reach: Reach) -> float:
    jql = reading.query or ""
    if reading.pointer:
        return _sum(connection, jql, reading.pointer, reach)
    if is_cloud(connection):
        body = _answer(call(connection, "/rest/api/3/search/approximate-count", reach, body={"jql": jql}))
        return as_number(_get(body, "count"), "Jira's count")
    query = urlencode({"jql": jql, "maxResults": 0, "fields": "none"})
    body = _answer(call(connection, f"/rest/api/2/search?{query}", reach))
    return as_number(_get(body, "total"), "Jira's total")


def _sum(connection: Connection, jql: str, field: str, reach: Reach) -> float:
    total, seen, token, start = 0.0, 0, None, 0
    while True:
        if is_cloud(connection):
            request = {"jql": jql, "fields": [field], "maxResults": PAGE}
            if token:
                request["nextPageToken"] = token
            body = _answer(call(connection, "/rest/api/3/search/jql", reach, body=request))
        else:
            query = urlencode({"jql": jql, "fields": field, "startAt": start, "maxResults": PAGE})
            body = _answer(call(connection, f"/rest/api/2/search?{query}", reach))
        issues = _get(body, "issues")
        if not isinstance(issues, list):
            raise SourceError("Jira's answer holds no list of issues")
        for issue in issues:
            total += _value(issue, field)
        seen += len(issues)
        if seen > MAX_ISSUES:
            raise SourceError(f"the JQL matches more than {MAX_ISSUES:,} issues; narrow it", field="query")
        if is_cloud(connection):
            token = body.get("nextPageToken")
            if body.get("isLast", True) or not token or not issues:
                return total
        else:
            start += len(issues)
            if not issues or start >= int(as_number(body.get("total", 0), "Jira's total")):
                return total


def _value(issue: object, field: str) -> float:
    fields = issue.get("fields") if isinstance(issue, dict) else None
    if not isinstance(fields, dict):
        raise SourceError("Jira's answer holds an issue without fields")
    if fields.get(field) is None:
        return 0.0  # not estimated: adds nothing
    value = fields[field]
    if isinstance(value, dict) and "value" in value:  # a select list's option holding a number
        value = value["value"]
    try:
        return as_number(value, f"the field {field}")
    except SourceError as error:
        raise SourceError(f"{error.message}: sum needs a numeric field", field="sum") from None


def _get(body: dict, key: str) -> object:
    if key not in body:
        raise SourceError(f"Jira's answer has no {key}")
    return body[key]


def _answer(answer: Answer) -> dict:
    if not answer.ok:
        said = _said(lenient(answer))
        if answer.status == 400:
            shown = f": “{quoted(said)}”" if said else " (HTTP 400)"
            raise SourceError(f"Jira says the JQL is not valid{shown}", field="query")
        raise status_error(PROVIDER, answer, said=said, field="query", credential="credentials")
    body = document(answer, PROVIDER)
    if not isinstance(body, dict):
        raise SourceError("Jira's answer is not a JSON object")
    return body


def _said(body: object) -> str | None:
    if not isinstance(body, dict):
        return None
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [f"{key}: {value}" for key, value in errors.items()]
    return " ".join(messages) or None
