"""What every connector shares: a request through the safe fetcher under the connection's
origin, one deadline for all of a read's pages, and a provider's answer put into words."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.sources.connections import Connection, url_under
from bot.sources.fetch import JSON, Answer, Deadline, FetchError, fetch
from bot.sources.read import SourceError

PROVIDER_TEXT = 300  # the most of a provider's own message quoted in an error


@dataclass(frozen=True)
class Reading:
    """A binding's own fields, placeholders already filled: what a connector is asked."""

    query: str | None = None
    path: str | None = None
    pointer: str | None = None  # Jira's field to sum, a spreadsheet's cell


@dataclass
class Reach:
    """How far and how long a read may go: the operator's allow-list and one deadline for every
    page. `resolver`: tests name hosts with it."""

    allow: Sequence[str] = ()
    timeout: float = 10.0
    resolver: object | None = None
    deadline: Deadline = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = Deadline(self.timeout)


def call(
    connection: Connection,
    path: str,
    reach: Reach,
    *,
    body: object | None = None,
    headers: Mapping[str, str] | None = None,
    accept: Sequence[str] = JSON,
    redirects: bool = False,
) -> Answer:
    """One request of `path` under `connection`'s origin with its secret: a GET, or a POST of
    `body` as JSON. Its failures (unreachable, too slow, refused by the fetcher) as SourceError.
    `redirects`: a redirect is returned rather than refused (for a connection with no secret)."""
    try:
        url = url_under(connection, path)
    except ValueError as refused:
        raise SourceError(str(refused), field="path") from None
    return call_url(
        url,
        reach,
        connection.secret_headers(),
        body=body,
        headers=headers,
        accept=accept,
        redirects=redirects,
    )


def call_url(
    url: str,
    reach: Reach,
    secret: Mapping[str, str],
    *,
    body: object | None = None,
    headers: Mapping[str, str] | None = None,
    accept: Sequence[str] = JSON,
    redirects: bool = False,
) -> Answer:
    extra = {"resolver": reach.resolver} if reach.resolver is not None else {}
    try:
        return fetch(
            url,
            method="GET" if body is None else "POST",
            body=None if body is None else json.dumps(body).encode(),
            content_type="application/json",
            accept=accept,
            headers={**secret, **(headers or {})},
            allow=reach.allow,
            deadline=reach.deadline,
            redirects=redirects,
            **extra,
        )
    except FetchError as error:
        raise SourceError(error.message) from None


def document(answer: Answer, provider: str) -> object:
    """The answer's JSON; SourceError when it is not."""
    try:
        return json.loads(answer.body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SourceError(f"{provider} answered something that is not JSON") from None


def lenient(answer: Answer) -> object:
    """An error answer's JSON, or None when it has none (an HTML page from a proxy)."""
    try:
        return json.loads(answer.body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def quoted(text: object) -> str:
    """A provider's own words, one line and short (shown as text by the UI, never as markup)."""
    line = " ".join(str(text).split())
    return line if len(line) <= PROVIDER_TEXT else line[: PROVIDER_TEXT - 1] + "…"


def status_error(
    provider: str,
    answer: Answer,
    *,
    said: str | None = None,
    field: str | None = None,
    credential: str = "token",
) -> SourceError:
    """A 4xx or 5xx answer in words: what it means and what to do, with the provider's own
    message (`said`) when it gave one."""
    status = answer.status
    detail = f": {provider} says “{quoted(said)}”" if said else ""
    if status == 401:
        return SourceError(
            f"{provider} refused the connection's {credential} (HTTP 401){detail}; the operator renews it"
        )
    if status == 403:
        return SourceError(
            f"{provider} does not let the connection's {credential} see this (HTTP 403){detail}"
        )
    if status == 404:
        return SourceError(f"{provider} found nothing there (HTTP 404){detail}", field=field)
    if status == 429:
        return SourceError(
            f"{provider}'s rate limit was reached (HTTP 429){retry_after(answer)}; tried again at the next sync"
        )
    if status >= 500:
        return SourceError(
            f"{provider} had a problem of its own (HTTP {status}); tried again at the next sync"
        )
    if said:
        return SourceError(f"{provider} says “{quoted(said)}” (HTTP {status})", field=field)
    return SourceError(f"{provider} answered HTTP {status}", field=field)


def retry_after(answer: Answer) -> str:
    value = (answer.headers.get("retry-after") or "").strip()
    return f", it asks to wait {int(value)} s" if value.isdigit() else ""
