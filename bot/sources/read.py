"""Reading one number from a data source: a SQL query or an HTTP GET of JSON.

Every failure is a SourceError whose message is safe to show in Slack, the API and logs: it
names the declared connection, never its secret, and never the URL (a query string can hold a
key). Secrets live only in the operator's declarations (bot/sources/connections.py).
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from decimal import Decimal

import jsonpointer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.domain.numbers import MAX_ABS, parse_number

TIMEOUT_SECONDS = 10.0
MAX_HTTP_BYTES = 1024 * 1024


class SourceError(Exception):
    """A source that gave no number; the message says why, with no secret in it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def as_number(value: object, where: str) -> float:
    """One finite number from what a source gave: a number, or text such as "42.5"."""
    if value is None:
        raise SourceError(f"{where} is NULL, not a number")
    if isinstance(value, bool):
        raise SourceError(f"{where} is true/false, not a number")
    if isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = parse_number(value)
        except ValueError as error:
            if "finite" in str(error):  # "NaN", "Infinity": refused, and said so
                raise SourceError(f"{where} is not a finite number") from None
            raise SourceError(f"{where} is text that is not a number") from None
    else:
        raise SourceError(f"{where} is {type(value).__name__}, not a number")
    if not math.isfinite(number) or abs(number) > MAX_ABS:
        raise SourceError(f"{where} is not a finite number within ±{MAX_ABS:,}")
    return number


# --- sql ---------------------------------------------------------------------------------------------


def read_sql(
    database_url: str, query: str, *, connection_name: str, timeout: float = TIMEOUT_SECONDS
) -> float:
    """Run `query` in a read-only transaction with a statement timeout; it must return one row of
    one column holding a number. The transaction is always rolled back."""
    url, env_name = database_url, f"the connection {connection_name}"
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=_connect_args(url, timeout))
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise SourceError(f"{env_name} is not a database Northline can use") from None
    try:
        with engine.connect() as connection:
            _read_only_with_timeout(connection, timeout)
            try:
                rows, columns = _one_statement(connection, query)
            except connection.dialect.loaded_dbapi.Error as error:
                raise SourceError(_database_problem(error, env_name, timeout)) from None
            connection.rollback()
    except DBAPIError as error:
        raise SourceError(_database_problem(error.orig, env_name, timeout)) from None
    except SQLAlchemyError as error:
        raise SourceError(f"the query could not run ({type(error).__name__})") from None
    finally:
        engine.dispose()
    if columns is None or not rows:
        raise SourceError("the query returned no rows; it must return exactly one")
    if len(rows) > 1:
        raise SourceError("the query returned more than one row; it must return exactly one")
    if columns != 1:
        raise SourceError(f"the query returned {columns} columns; it must return exactly one")
    return as_number(rows[0][0], "the query's value")


def _one_statement(connection, query: str) -> tuple[list, int | None]:
    """The query's first two rows and its number of columns, as ONE statement: psycopg would run
    `SELECT 1; COMMIT; DELETE …` as three and end the read-only transaction, so it is prepared
    (the extended protocol takes one statement). PyMySQL and sqlite3 refuse several already."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(query, prepare=True)
        else:
            cursor.execute(query)
        if cursor.description is None:
            return [], None
        return list(cursor.fetchmany(2)), len(cursor.description)
    finally:
        cursor.close()


def _connect_args(url: str, timeout: float) -> dict:
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return {"connect_timeout": max(1, int(timeout))}
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": max(1, int(timeout)), "read_timeout": max(1, int(timeout) + 5)}
    return {}


def _read_only_with_timeout(connection, timeout: float) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SET TRANSACTION READ ONLY"))
        connection.execute(text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
    elif dialect in ("mysql", "mariadb"):
        if getattr(connection.dialect, "is_mariadb", False):
            connection.execute(text(f"SET SESSION max_statement_time = {timeout:.3f}"))
        else:
            connection.execute(text(f"SET SESSION MAX_EXECUTION_TIME = {int(timeout * 1000)}"))
        # The session too, not only this transaction: DDL commits the transaction it is in and
        # would run outside it.
        connection.execute(text("SET SESSION TRANSACTION READ ONLY"))
        connection.commit()
        connection.execute(text("START TRANSACTION READ ONLY"))
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")
    else:
        raise SourceError(
            f"{dialect} databases are not supported as sources (PostgreSQL, MySQL, MariaDB, SQLite are)"
        )


_READ_ONLY = {"25006", 1792, 1290}  # PostgreSQL read_only_sql_transaction; MySQL/MariaDB read-only
_TIMED_OUT = {"57014", "70100", 1969, 3024}  # PostgreSQL query_canceled; MariaDB, MySQL: interrupted


def _database_problem(original: BaseException, env_name: str, timeout: float) -> str:
    """What went wrong, from the error's codes alone: a driver's message can quote a host or user."""
    code = getattr(original, "sqlstate", None)
    args = getattr(original, "args", ())
    errno = args[0] if args and isinstance(args[0], int) else None  # PyMySQL: (errno, message)
    if code is None:
        code = errno
    if (
        code in _READ_ONLY or errno in _READ_ONLY or "readonly database" in str(original)
    ):  # SQLite: query_only
        return "the query tried to write; a source runs in a read-only transaction"
    if code in _TIMED_OUT or errno in _TIMED_OUT:
        return f"the query took longer than {timeout:g} s and was stopped"
    connecting = (
        code is None
        or (isinstance(code, str) and code[:2] in ("08", "28"))
        or (isinstance(code, int) and (2000 <= code < 3000 or code in (1044, 1045, 1049)))
    )
    if connecting and type(original).__name__ == "OperationalError":
        return f"could not connect to the database of {env_name}"
    if isinstance(code, str) and re.fullmatch(r"[0-9A-Z]{5}", code):
        return f"the database refused the query (SQLSTATE {code})"
    if isinstance(code, int):
        return f"the database refused the query (error {code})"
    return f"the database refused the query ({type(original).__name__})"


# --- http --------------------------------------------------------------------------------------------


def _no_constants(name: str) -> float:
    raise SourceError(f"the answer holds {name}, which is not a finite number")


def _refuse_loopback(url: str, allow: Sequence[str]) -> None:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host in ("localhost", "127.0.0.1", "::1") and host not in allow:
        raise SourceError("the source's host is not publicly routable and not in NORTHLINE_FETCH_ALLOW")


def read_http(
    url: str,
    pointer: str,
    *,
    secret_headers: Mapping[str, str] | None = None,
    allow: Sequence[str] = (),
    timeout: float = TIMEOUT_SECONDS,
) -> float:
    """GET `url`, read its JSON answer, and the number at the RFC 6901 `pointer` ("" is the whole
    answer). `secret_headers` go only to `url`'s origin: never copied onto a redirect."""
    headers = {"Accept": "application/json", "User-Agent": "Northline source sync"}
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError("the source's URL must start with http:// or https://")
    _refuse_loopback(url, allow)
    request = urllib.request.Request(url, headers=headers, method="GET")
    for name, value in (secret_headers or {}).items():
        request.add_unredirected_header(name, value)  # urllib copies the others onto a redirect
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_HTTP_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise SourceError(f"the source answered HTTP {error.code}") from None
    except TimeoutError:
        raise SourceError(f"the source did not answer within {timeout:g} s") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise SourceError(f"the source did not answer within {timeout:g} s") from None
        raise SourceError(f"could not reach the source ({type(reason).__name__})") from None
    if len(body) > MAX_HTTP_BYTES:
        raise SourceError(f"the answer is larger than {MAX_HTTP_BYTES // 1024} KB")
    try:
        document = json.loads(body, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError):
        raise SourceError("the answer is not JSON") from None
    try:
        value = jsonpointer.resolve_pointer(document, pointer)
    except jsonpointer.JsonPointerException:
        raise SourceError(f"there is nothing at {pointer or '(the whole answer)'} in the answer") from None
    return as_number(value, f"the value at {pointer or '(the whole answer)'}")
