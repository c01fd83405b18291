"""Local fakes of the providers the ready connectors read, on 127.0.0.1 and port 0, written from
each provider's public API documentation: the request shapes they accept (methods, paths,
parameters, bodies), how they authenticate, how they page and how they answer errors.

- Jira Cloud REST v3: POST /rest/api/3/search/approximate-count, POST /rest/api/3/search/jql
  (nextPageToken/isLast); Jira Data Center REST v2: GET /rest/api/2/search (startAt/maxResults/
  total). Errors as {"errorMessages": [...], "errors": {}}.
- GitHub REST: GET /search/issues?q=&per_page= (under /api/v3 on GitHub Enterprise Server, which
  is what a 127.0.0.1 origin is taken for), total_count; 422 Validation Failed; 403 with
  x-ratelimit-remaining: 0; 429 with Retry-After.
- Linear GraphQL: POST /graphql, the API key as Authorization, `issues(filter:, first:, after:)`
  with pageInfo { hasNextPage endCursor }; errors in {"errors": [{"message", "extensions": {"code"}}]}.
- Prometheus HTTP API: GET /api/v1/query?query=, {"status": "success", "data": {...}} or
  {"status": "error", "errorType", "error"}.
- A published spreadsheet: GET of its CSV, text/csv.

Each fake records every request (`seen`) and can be told to answer an error (`fault`) or to be
slow (`delay`); the tests assert on both."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: object


@dataclass
class Fault:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class _Handler(BaseHTTPRequestHandler):
    fake: Fake

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        seen = Seen(method, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
        self.fake.seen.append(seen)
        if self.fake.delay:
            time.sleep(self.fake.delay)
        fault = self.fake.fault
        if fault is not None:
            status, payload, headers, kind = fault.status, fault.body, fault.headers, fault.content_type
        else:
            status, payload, headers, kind = *self.fake.answer(seen), "application/json"
            if isinstance(payload, tuple):  # (content type, text)
                kind, payload = payload
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server's name
        self._handle("GET")

    def do_POST(self):  # noqa: N802 - http.server's name
        self._handle("POST")

    def log_message(self, *args):
        pass


class Fake:
    """A provider on 127.0.0.1: `origin` to declare, `seen` its requests, `fault`/`delay` to set."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.fault: Fault | None = None
        self.delay = 0.0
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        # Polls for shutdown every 0.05 s (the default 0.5 s made each test wait at teardown).
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def answer(self, seen: Seen) -> tuple[int, object, dict[str, str]]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Jira ----------------------------------------------------------------------------------------------

JIRA_EMAIL, JIRA_TOKEN = "ops@acme.example", "jira-api-token-0042"
_CLAUSE = re.compile(r'\s*(\w+)\s*(=|>=|<)\s*"?([^"]+?)"?\s*$')
JIRA_FIELDS = ("project", "status", "resolved")


def jira_error(message: str) -> dict:
    return {"errorMessages": [message], "errors": {}}


class JiraFake(Fake):
    """Jira with `issues` (dicts of project, status, resolved, and customfield_10016 points).
    `cloud`: basic auth with JIRA_EMAIL:JIRA_TOKEN and the v3 endpoints; else a Data Center PAT
    as a bearer and v2. `page`: the most issues a page holds, whatever maxResults asks."""

    def __init__(self, issues: list[dict], *, cloud: bool, page: int = 2) -> None:
        self.issues, self.cloud, self.page = issues, cloud, page
        super().__init__()

    def _authorized(self, seen: Seen) -> bool:
        given = seen.headers.get("Authorization", "")
        if self.cloud:
            return given == "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
        return given == f"Bearer {JIRA_TOKEN}"

    def matching(self, jql: str) -> list[dict] | str:
        """The issues `jql` (clauses joined by AND: field = value, resolved >= date) matches, or
        Jira's error message."""
        found = list(self.issues)
        for clause in re.split(r"\s+AND\s+", jql.strip(), flags=re.IGNORECASE):
            match = _CLAUSE.match(clause)
            if match is None:
                return f"Error in the JQL Query: the clause '{clause}' is not valid."
            name, op, value = match.groups()
            if name not in JIRA_FIELDS:
                return f"Field '{name}' does not exist or you do not have permission to view it."
            if op == "=":
                found = [i for i in found if str(i.get(name)) == value]
            elif op == ">=":
                found = [i for i in found if i.get(name) and i[name] >= value]
            else:
                found = [i for i in found if i.get(name) and i[name] < value]
        return found

    def answer(self, seen: Seen):
        if not self._authorized(seen):
            return (
                401,
                jira_error("You are not authenticated. Authentication required to perform this operation."),
                {},
            )
        if self.cloud and seen.method == "POST" and seen.path == "/rest/api/3/search/approximate-count":
            found = self.matching(seen.body.get("jql", ""))
            return (
                (400, jira_error(found), {}) if isinstance(found, str) else (200, {"count": len(found)}, {})
            )
        if self.cloud and seen.method == "POST" and seen.path == "/rest/api/3/search/jql":
            found = self.matching(seen.body.get("jql", ""))
            if isinstance(found, str):
                return 400, jira_error(found), {}
            start = int(seen.body.get("nextPageToken") or 0)
            size = min(int(seen.body.get("maxResults", 50)), self.page)
            chunk = found[start : start + size]
            last = start + size >= len(found)
            page = {"issues": [self._shaped(i, seen.body.get("fields", [])) for i in chunk], "isLast": last}
            if not last:
                page["nextPageToken"] = str(start + size)
            return 200, page, {}
        if not self.cloud and seen.method == "GET" and seen.path == "/rest/api/2/search":
            found = self.matching(seen.query.get("jql", [""])[0])
            if isinstance(found, str):
                return 400, jira_error(found), {}
            start = int(seen.query.get("startAt", ["0"])[0])
            size = min(int(seen.query.get("maxResults", ["50"])[0]), self.page)
            fields = seen.query.get("fields", ["*all"])[0].split(",")
            chunk = found[start : start + size]
            page = {"startAt": start, "maxResults": size, "total": len(found)}
            return 200, page | {"issues": [self._shaped(i, fields) for i in chunk]}, {}
        return 404, jira_error("Not found"), {}

    @staticmethod
    def _shaped(issue: dict, fields: list[str]) -> dict:
        return {"key": issue["key"], "fields": {f: issue.get(f) for f in fields if f != "none"}}


# --- GitHub --------------------------------------------------------------------------------------------

GITHUB_TOKEN = "ghp_fake0000000000000000000000000000"


class GitHubFake(Fake):
    """GitHub Enterprise Server's REST API under /api/v3. `items`: dicts with a `terms` set; a
    search's qualifiers must all be among an item's terms. `repos`: the repositories a `repo:`
    qualifier may name (another is GitHub's 422), each also at /repos/{owner}/{name}."""

    def __init__(self, items: list[dict], repos: set[str]) -> None:
        self.items, self.repos = items, repos
        super().__init__()

    def answer(self, seen: Seen):
        if seen.headers.get("Authorization") != f"Bearer {GITHUB_TOKEN}":
            return (
                401,
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
                {},
            )
        repository = seen.path.removeprefix("/api/v3/repos/")
        if seen.method == "GET" and repository in self.repos:
            stars = 1200 + len(repository)
            return (
                200,
                {
                    "full_name": repository,
                    "stargazers_count": stars,
                    "forks_count": 87,
                    "subscribers_count": 41,
                    "open_issues_count": 19,
                },
                {},
            )
        if seen.method != "GET" or seen.path != "/api/v3/search/issues":
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}
        terms = seen.query.get("q", [""])[0].split()
        for term in terms:
            if term.startswith("repo:") and term[5:] not in self.repos:
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "message": "The listed users and repositories cannot be searched either because "
                                "the resources do not exist or you do not have permission to view them.",
                                "resource": "Search",
                                "field": "q",
                                "code": "invalid",
                            }
                        ],
                    },
                    {},
                )
        found = [i for i in self.items if set(terms) <= i["terms"]]
        per_page = int(seen.query.get("per_page", ["30"])[0])
        items = [{"number": i["number"]} for i in found[:per_page]]
        return (
            200,
            {"total_count": len(found), "incomplete_results": False, "items": items},
            {"x-ratelimit-remaining": "29"},
        )


# --- Linear --------------------------------------------------------------------------------------------

LINEAR_KEY = "lin_api_fake0000000000000000000000000000"


class LinearFake(Fake):
    """Linear's GraphQL endpoint. `issues`: dicts of team, state, labels, project, cycle (number),
    active (is its cycle the current one), completedAt. `page`: the most nodes a page holds."""

    def __init__(self, issues: list[dict], teams: set[str], page: int = 2) -> None:
        self.issues, self.teams, self.page = issues, teams, page
        super().__init__()

    def answer(self, seen: Seen):
        if seen.headers.get("Authorization") != LINEAR_KEY:
            return (
                400,
                {
                    "errors": [
                        {
                            "message": "Authentication required, not authenticated",
                            "extensions": {"code": "AUTHENTICATION_ERROR", "type": "authentication error"},
                        }
                    ]
                },
                {},
            )
        if seen.method != "POST" or seen.path != "/graphql" or not isinstance(seen.body, dict):
            return 404, {"errors": [{"message": "Not found"}]}, {}
        if "issues(filter: $filter, first: 250, after: $after)" not in seen.body.get("query", ""):
            return (
                400,
                {
                    "errors": [
                        {"message": "Cannot query this", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                    ]
                },
                {},
            )
        variables = seen.body.get("variables") or {}
        try:
            found = [i for i in self.issues if self._matches(i, variables.get("filter") or {})]
        except KeyError as unknown:
            message = f"Field {unknown.args[0]!r} is not defined by type IssueFilter."
            return (
                400,
                {"errors": [{"message": message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]},
                {},
            )
        start = int(variables.get("after") or 0)
        chunk = found[start : start + self.page]
        more = start + self.page < len(found)
        teams = [{"id": f"team-{variables['team']}"}] if variables.get("team") in self.teams else []
        issues = {
            "nodes": [{"id": i["id"]} for i in chunk],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + len(chunk)) if chunk else None},
        }
        return 200, {"data": {"teams": {"nodes": teams}, "issues": issues}}, {}

    @staticmethod
    def _matches(issue: dict, issue_filter: dict) -> bool:
        for key, condition in issue_filter.items():
            if key == "team":
                ok = issue["team"] == condition["key"]["eq"]
            elif key in ("state", "project"):
                ok = (issue.get(key) or "").lower() == condition["name"]["eqIgnoreCase"].lower()
            elif key == "labels":
                wanted = condition["some"]["name"]["eqIgnoreCase"].lower()
                ok = wanted in [label.lower() for label in issue.get("labels", [])]
            elif key == "cycle":
                ok = (
                    issue.get("active", False)
                    if "isActive" in condition
                    else issue.get("cycle") == condition["number"]["eq"]
                )
            elif key in ("completedAt", "createdAt"):
                ok = bool(issue.get(key)) and issue[key] >= condition["gte"]
            else:
                raise KeyError(key)
            if not ok:
                return False
        return True


# --- Prometheus ----------------------------------------------------------------------------------------

PROMETHEUS_TOKEN = "prom-proxy-token"


class PrometheusFake(Fake):
    """/api/v1/query answering `results` (query → (resultType, result)); any other query does
    not parse. Behind a proxy that wants PROMETHEUS_TOKEN as a bearer."""

    def __init__(self, results: dict[str, tuple[str, object]]) -> None:
        self.results = results
        super().__init__()

    def answer(self, seen: Seen):
        if seen.headers.get("Authorization") != f"Bearer {PROMETHEUS_TOKEN}":
            return 401, "Unauthorized", {}
        if seen.method != "GET" or seen.path != "/api/v1/query":
            return 404, {"status": "error", "errorType": "not_found", "error": "not found"}, {}
        query = seen.query.get("query", [""])[0]
        if query not in self.results:
            return (
                400,
                {
                    "status": "error",
                    "errorType": "bad_data",
                    "error": f'invalid parameter "query": 1:1: parse error: unexpected identifier in {query[:20]}',
                },
                {},
            )
        kind, result = self.results[query]
        return 200, {"status": "success", "data": {"resultType": kind, "result": result}}, {}


# --- a published spreadsheet ----------------------------------------------------------------------------


class SheetFake(Fake):
    """Published CSVs by path (as Google Sheets serves them: text/csv). `moved`: paths answering
    307 to another URL, as Google's published link does to googleusercontent.com."""

    def __init__(self, sheets: dict[str, str], moved: dict[str, str] | None = None) -> None:
        self.sheets, self.moved = sheets, moved or {}
        super().__init__()

    def answer(self, seen: Seen):
        path = self.path_of(seen)
        if seen.method == "GET" and path in self.moved:
            target = self.moved[path]
            location = self.origin + target if target.startswith("/") else target
            return (
                307,
                ("text/html; charset=UTF-8", "<html>Temporary Redirect</html>"),
                {"Location": location},
            )
        if seen.method == "GET" and path in self.sheets:
            return 200, ("text/csv; charset=utf-8", self.sheets[path]), {}
        return 404, ("text/html; charset=utf-8", "<html>Not Found</html>"), {}

    @staticmethod
    def path_of(seen: Seen) -> str:
        query = "&".join(f"{k}={v}" for k, values in seen.query.items() for v in values)
        return f"{seen.path}?{query}" if query else seen.path
