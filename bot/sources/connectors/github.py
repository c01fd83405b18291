"""GitHub: the total count of an issue and pull-request search, or a repository's metric.

  GET /search/issues?q=…&per_page=1   → {"total_count": n, "incomplete_results": …, "items": […]}
with `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and the token as a
bearer. total_count is the whole search's count, so no page is walked. GitHub Enterprise Server
serves the same API under /api/v3 of its own host: a connection whose host is not api.github.com
is read there. Errors: 422 {"message": "Validation Failed", "errors": [{"message": …}]} for a
query GitHub cannot run; 403 with x-ratelimit-remaining: 0, or 429 with Retry-After, when rate
limited; 401 for a bad token.

A repository metric (the binding's query is `owner/name`, its metric one of METRICS):
  GET /repos/{owner}/{name}  → {"stargazers_count", "forks_count", "subscribers_count",
                                "open_issues_count" (issues and pull requests), …}
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

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
from bot.sources.read import SourceError, as_number

PROVIDER = "GitHub"
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
METRICS = {
    "stars": "stargazers_count",
    "forks": "forks_count",
    "watchers": "subscribers_count",
    "open_issues": "open_issues_count",
}
REPOSITORY = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")


def api_root(connection: Connection) -> str:
    return "" if urlsplit(connection.target).hostname == "api.github.com" else "/api/v3"


def read(connection: Connection, reading: Reading, reach: Reach) -> float:
    if reading.pointer:
        return _metric(connection, reading.query or "", reading.pointer, reach)
    path = f"{api_root(connection)}/search/issues?q={quote(reading.query or '', safe='')}&per_page=1"
    answer = call(connection, path, reach, headers=HEADERS, accept=("application/json", "+json"))
    if not answer.ok:
        raise _problem(answer)
    body = document(answer, PROVIDER)
    if not isinstance(body, dict) or "total_count" not in body:
        raise SourceError("GitHub's answer has no total_count")
    return as_number(body["total_count"], "GitHub's total_count")


def _metric(connection: Connection, repository: str, metric: str, reach: Reach) -> float:
    if not REPOSITORY.fullmatch(repository) or metric not in METRICS:
        raise SourceError("a metric needs the repository as owner/name", field="query")
    path = f"{api_root(connection)}/repos/{repository}"
    answer = call(connection, path, reach, headers=HEADERS, accept=("application/json", "+json"))
    if answer.status == 404:
        raise SourceError(
            f"GitHub has no repository {repository} that the token may see (HTTP 404)", field="query"
        )
    if not answer.ok:
        raise _problem(answer)
    body = document(answer, PROVIDER)
    key = METRICS[metric]
    if not isinstance(body, dict) or key not in body:
        raise SourceError(f"GitHub's answer has no {key}")
    return as_number(body[key], f"GitHub's {key}")


def _problem(answer) -> SourceError:
    body = lenient(answer)
    said = None
    if isinstance(body, dict):
        details = [
            e.get("message") for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")
        ]
        said = " ".join(str(d) for d in details) or body.get("message")
    limited = answer.headers.get("x-ratelimit-remaining", "").strip() == "0"
    if answer.status == 403 and limited:
        reset = answer.headers.get("x-ratelimit-reset", "").strip()
        when = f" until {reset} (Unix time)" if reset.isdigit() else ""
        return SourceError(
            f"GitHub's rate limit for the token is used up{when}{retry_after(answer)}; tried again at the next sync"
        )
    if answer.status == 422:
        shown = f": “{quoted(said)}”" if said else ""
        return SourceError(f"GitHub says the search is not valid{shown}", field="query")
    return status_error(PROVIDER, answer, said=said, field="query")
