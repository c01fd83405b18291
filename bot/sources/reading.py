"""Reading what a binding asks, through its declared connection: a stored binding at sync time,
or a binding not yet saved, tried once so its number or the provider's error is known before it
is saved (the form, OKRs-as-code). The quarter's window is filled in here (bot/sources/window.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sources.connections import Connection, SourceConfig, url_under
from bot.sources.connectors import Reach, Reading, read_connector
from bot.sources.read import SourceError, read_http, read_sql
from bot.sources.spec import SourceSpec
from bot.sources.window import Window, substitute

SQL, HTTP = "sql", "http"


@dataclass(frozen=True)
class Wanted:
    """What a binding asks, however it came (a stored binding, a form not yet saved)."""

    connection: str | None
    kind: str  # as stored: sql or http
    path: str | None = None
    pointer: str | None = None
    query: str | None = None


def connection_of(wanted: Wanted, team_id: str, config: SourceConfig) -> Connection:
    connection = config.connections.find(wanted.connection, team_id)
    if connection is None:
        raise SourceError(
            f"the connection {wanted.connection} is not declared for this workspace any more "
            f"(NORTHLINE_SOURCE_{(wanted.connection or '').upper()}_URL)"
        )
    if connection.transport != wanted.kind or not _fits(connection.kind, wanted):
        raise SourceError(f"the connection {connection.name} is now {connection.kind}; bind it again")
    return connection


def _fits(kind: str, wanted: Wanted) -> bool:
    """Whether a stored binding's fields are what `kind` reads: a connection the operator
    re-declared as another kind (http → jira) must not read an old binding's fields as new ones."""
    query, path, pointer = bool(wanted.query), bool(wanted.path), wanted.pointer is not None
    if kind == HTTP:
        return pointer and not query
    if kind == "spreadsheet":
        return path and pointer and not query
    if kind in (SQL, "jira", "github"):  # jira's pointer: a field to sum; github's: a metric
        return query and not path
    return query and not path and not pointer  # linear, prometheus


def read_wanted(
    wanted: Wanted, team_id: str, config: SourceConfig, window: Window, *, timeout: float | None = None
) -> float:
    """The number `wanted` gives now, its placeholders filled from `window`."""
    connection = connection_of(wanted, team_id, config)
    extra = {"timeout": timeout} if timeout is not None else {}
    query = substitute(wanted.query, window) if wanted.query else wanted.query
    path = substitute(wanted.path, window) if wanted.path else wanted.path
    if connection.kind == SQL:
        return read_sql(connection.target, query or "", connection_name=connection.name, **extra)
    if connection.kind == HTTP:
        try:
            url = url_under(connection, path or "/")
        except ValueError as refused:
            raise SourceError(str(refused)) from None
        return read_http(
            url, wanted.pointer or "", secret_headers=connection.secret_headers(), allow=config.allow, **extra
        )
    reach = Reach(allow=config.allow, **extra)
    return read_connector(connection, Reading(query, path, wanted.pointer), reach)


VALIDATE_SECONDS = 2.0  # a form's trial read: Slack waits 3 s for the answer to a submitted modal


def needs_trial(connection: Connection) -> bool:
    """A ready connector's binding is run once when it is saved; a generic one is not."""
    return connection.kind not in (SQL, HTTP)


def try_spec(
    spec: SourceSpec, team_id: str, config: SourceConfig, window: Window, *, timeout: float
) -> float:
    """The number a binding not yet saved gives now: SourceError (with its field) otherwise."""
    connection = config.connections.find(spec.connection, team_id)
    if connection is None:
        raise SourceError(
            f"no connection {spec.connection} is declared for this workspace", field="connection"
        )
    wanted = Wanted(spec.connection, connection.transport, spec.path, spec.stored_pointer, spec.query)
    return read_wanted(wanted, team_id, config, window, timeout=timeout)
