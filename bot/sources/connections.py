"""The data-source connections the operator declared in the server's environment, parsed and
checked once at start-up, then passed in (never read from the environment at call time).

    NORTHLINE_SOURCE_<NAME>_URL     an http(s)://host[:port] origin (an http connection) or a
                                    database URL (a sql connection)
    NORTHLINE_SOURCE_<NAME>_TOKEN   http(s) origins: the secret sent with every request…
    NORTHLINE_SOURCE_<NAME>_HEADER  …in this header (default Authorization; http kind only)
    NORTHLINE_SOURCE_<NAME>_TEAMS   the workspaces (T…,T…) that may use it; required when Northline
                                    serves several workspaces (OAuth), optional with one bot token
    NORTHLINE_SOURCE_<NAME>_KIND    what the origin is: jira, github, linear, prometheus,
                                    spreadsheet, or http (default for an http(s) origin); sql for a
                                    database URL (its default, and the only kind it may have)
    NORTHLINE_SOURCE_<NAME>_EMAIL   jira only: the account's e-mail for Jira Cloud (basic auth with
                                    the API token); without it the token is a Data Center bearer token

A binding names a connection (`crm` for NORTHLINE_SOURCE_CRM_URL) and adds only what is not
secret: a path and query under the origin and a JSON pointer, a SQL query, or what its connector
asks (a JQL query, a search, a filter, a PromQL query, a CSV's path and cell). The secret goes only
to its own connection's origin, in the header its kind fixes (http: the one the operator named).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

PREFIX = "NORTHLINE_SOURCE_"
SUFFIXES = ("URL", "TOKEN", "HEADER", "TEAMS", "KIND", "EMAIL")
CONNECTORS = ("jira", "github", "linear", "prometheus", "spreadsheet")
HTTP_KINDS = ("http", *CONNECTORS)
KINDS = ("sql", *HTTP_KINDS)
# Whether a kind needs a token (True), may have one (False), or may not (None: a published CSV).
_TOKEN_NEEDED = {"http": False, "jira": True, "github": False, "linear": True, "prometheus": False}
_EMAIL = re.compile(r"[^@\s:]{1,64}@[^@\s:]{1,255}")
SQL_BACKENDS = ("postgresql", "mysql", "mariadb", "sqlite")
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_VARIABLE = re.compile(rf"{PREFIX}([A-Z][A-Z0-9_]{{0,39}})_({'|'.join(SUFFIXES)})")
_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")  # an HTTP field-name (RFC 9110)
_TEAM = re.compile(r"[TE][A-Z0-9]{2,20}")
_ORIGIN = re.compile(r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?/?", re.I)
PATH_MAX = 2000


class ConnectionsError(ValueError):
    """A declaration that cannot be used; the message names the variable, never its value."""


@dataclass(frozen=True)
class Connection:
    name: str  # lower case, as bindings name it
    kind: str  # one of KINDS: "sql", "http" or a ready connector ("jira", …)
    target: str = field(repr=False)  # the origin (http) or the database URL (sql): a secret for sql
    secret: str | None = field(default=None, repr=False)  # http: the header's value
    header: str = "Authorization"
    teams: frozenset[str] | None = None  # None: every workspace (one-workspace installs only)

    @property
    def transport(self) -> str:
        """How it is read, as a binding's stored kind: "sql", or "http" for every http(s) kind."""
        return "sql" if self.kind == "sql" else "http"

    @property
    def variable(self) -> str:
        return f"{PREFIX}{self.name.upper()}_URL"

    def serves(self, team_id: str | None) -> bool:
        return self.teams is None or (team_id is not None and team_id in self.teams)

    def url_for(self, path: str) -> str:
        """The full URL of `path` under this http connection's origin (the path checked already)."""
        return self.target + path

    def secret_headers(self) -> dict[str, str]:
        return {self.header: self.secret} if self.secret else {}


@dataclass(frozen=True)
class Connections:
    by_name: Mapping[str, Connection] = field(default_factory=dict)

    def for_team(self, team_id: str | None) -> list[Connection]:
        """The connections a workspace may choose, by name."""
        return [c for _, c in sorted(self.by_name.items()) if c.serves(team_id)]

    def find(self, name: str | None, team_id: str | None) -> Connection | None:
        """The connection `name` when it is declared for this workspace; None otherwise."""
        connection = self.by_name.get((name or "").strip().lower())
        return connection if connection is not None and connection.serves(team_id) else None


def parse_connections(env: Mapping[str, str], *, several_workspaces: bool) -> Connections:
    """Every NORTHLINE_SOURCE_<NAME>_… variable in `env`, grouped by NAME and checked. Raises
    ConnectionsError on the first one that cannot be used."""
    groups: dict[str, dict[str, str]] = {}
    for variable in sorted(env):
        if not variable.upper().startswith(PREFIX):
            continue
        match = _VARIABLE.fullmatch(variable.upper())
        if match is None:
            raise ConnectionsError(
                f"{variable} is not a data-source declaration: use {PREFIX}<NAME>_URL (with optional "
                "_TOKEN, _HEADER, _TEAMS), NAME in capitals, digits and underscores"
            )
        groups.setdefault(match.group(1), {})[match.group(2)] = env[variable].strip()
    return Connections(
        {name.lower(): _connection(name, parts, several_workspaces) for name, parts in groups.items()}
    )


def _connection(name: str, parts: dict[str, str], several_workspaces: bool) -> Connection:
    variable = f"{PREFIX}{name}_"
    url = parts.get("URL")
    if not url:
        present = next(iter(parts))
        raise ConnectionsError(f"{variable}{present} is set but {variable}URL is not: declare where it goes")
    teams = _teams(variable, parts.get("TEAMS"), several_workspaces)
    kind = (parts.get("KIND") or "").lower()
    if kind and kind not in KINDS:
        raise ConnectionsError(f"{variable}KIND must be one of {', '.join(KINDS)}")
    if _ORIGIN.match(url) or url.lower().startswith(("http://", "https://")):
        if kind == "sql":
            raise ConnectionsError(f"{variable}KIND is sql but {variable}URL is an http(s) origin")
        return _http(name, variable, url, parts, teams, kind or "http")
    _check_database_url(variable, url)
    if kind not in ("", "sql"):
        raise ConnectionsError(f"{variable}KIND is {kind}, which needs an http(s) origin in {variable}URL")
    if parts.get("TOKEN") or parts.get("HEADER") or parts.get("EMAIL"):
        raise ConnectionsError(
            f"{variable}TOKEN, {variable}HEADER and {variable}EMAIL are for http connections; "
            "a database URL holds its own password"
        )
    return Connection(name.lower(), "sql", url, teams=teams)


def _http(
    name: str, variable: str, url: str, parts: dict[str, str], teams: frozenset[str] | None, kind: str
) -> Connection:
    match = _ORIGIN.fullmatch(url)
    if match is None or "@" in url or (match.group(3) and not 0 < int(match.group(3)) < 65536):
        raise ConnectionsError(
            f"{variable}URL must be an origin only, http(s)://host[:port], with no path, query or user"
        )
    scheme, host, port = match.group(1).lower(), match.group(2).lower(), match.group(3)
    origin = f"{scheme}://{host}" + (f":{int(port)}" if port else "")
    header = parts.get("HEADER") or "Authorization"
    if not _HEADER.fullmatch(header):
        raise ConnectionsError(f"{variable}HEADER must be an HTTP header name such as Authorization")
    if parts.get("HEADER") and kind != "http":
        raise ConnectionsError(
            f"{variable}HEADER is for http connections; a {kind} connection's header is fixed"
        )
    if parts.get("HEADER") and not parts.get("TOKEN"):
        raise ConnectionsError(f"{variable}HEADER is set but {variable}TOKEN (its value) is not")
    secret = parts.get("TOKEN") or None
    if secret is not None and any(ord(c) < 32 or ord(c) == 127 for c in secret):
        raise ConnectionsError(f"{variable}TOKEN holds a control character; a header value cannot")
    secret = _kind_secret(variable, kind, secret, parts.get("EMAIL"))
    return Connection(name.lower(), kind, origin, secret, header, teams)


def _kind_secret(variable: str, kind: str, token: str | None, email: str | None) -> str | None:
    """The Authorization value a kind sends (http: the token as the operator wrote it)."""
    needed = _TOKEN_NEEDED.get(kind)
    if email and kind != "jira":
        raise ConnectionsError(f"{variable}EMAIL is for jira connections (Jira Cloud's account e-mail)")
    if needed is None and token:
        raise ConnectionsError(
            f"{variable}TOKEN is not used by a {kind} connection: it reads a published CSV"
        )
    if needed and not token:
        raise ConnectionsError(f"{variable}TOKEN is not set: a {kind} connection needs its API token")
    if token is None or kind == "http":
        return token
    if kind == "jira" and email:
        if not _EMAIL.fullmatch(email):
            raise ConnectionsError(f"{variable}EMAIL must be the Jira Cloud account's e-mail address")
        return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
    if kind == "linear":
        return token  # Linear's personal API keys go as they are
    return f"Bearer {token}"  # Jira Data Center, GitHub, Prometheus behind a proxy


def _check_database_url(variable: str, url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        backend = ""
    if backend not in SQL_BACKENDS:
        raise ConnectionsError(
            f"{variable}URL must be an http(s)://host[:port] origin or a database URL "
            f"({', '.join(SQL_BACKENDS)})"
        )


def _teams(variable: str, value: str | None, several_workspaces: bool) -> frozenset[str] | None:
    if not value:
        if several_workspaces:
            raise ConnectionsError(
                f"{variable}TEAMS is not set: with several workspaces, name the ones (T…,T…) that may use it"
            )
        return None
    teams = [team.strip() for team in value.split(",") if team.strip()]
    if not teams or not all(_TEAM.fullmatch(team) for team in teams):
        raise ConnectionsError(
            f"{variable}TEAMS must list workspace ids separated by commas, e.g. T0123ABCD,T0456EFGH"
        )
    return frozenset(teams)


def path_problem(path: str) -> str | None:
    """Why `path` may not follow a connection's origin, or None: it must stay under the origin."""
    if not path.startswith("/"):
        return "the path starts with / (it follows the connection's origin), e.g. /api/funnel?team=7"
    if len(path) > PATH_MAX:
        return f"the path is longer than {PATH_MAX} characters"
    if any(ord(c) <= 32 or ord(c) == 127 for c in path) or "\\" in path or "#" in path:
        return "the path holds a space, a backslash, a # or a control character"
    decoded = unquote(unquote(path.split("?", 1)[0]))
    if path.startswith("//") or decoded.startswith("//") or "://" in decoded:
        return "the path may not name another host: give only the path and query under the connection"
    if any(segment in ("..", ".") for segment in decoded.replace("\\", "/").split("/")):
        return "the path may not climb out with . or .. segments"
    return None


def url_under(connection: Connection, path: str) -> str:
    """The full URL of `path` under `connection`, checked to keep its scheme, host and port."""
    problem = path_problem(path)
    if problem is not None:
        raise ValueError(problem)
    url = connection.url_for(path)
    parts, origin = urlsplit(url), urlsplit(connection.target)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        raise ValueError(
            "the path may not name another host: give only the path and query under the connection"
        )
    return url


def names(connections: Iterable[Connection]) -> str:
    return ", ".join(f"`{c.name}` ({c.kind})" for c in connections) or "none"


@dataclass(frozen=True)
class SourceConfig:
    """What reading sources needs from the operator's settings, passed in whole."""

    connections: Connections = field(default_factory=Connections)
    allow: tuple[str, ...] = ()  # NORTHLINE_FETCH_ALLOW
    max_sources: int = 200  # NORTHLINE_MAX_SOURCES: bindings per workspace
    threads: int = 8  # NORTHLINE_SYNC_THREADS: sources read at once
