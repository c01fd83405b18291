"""Reading one number from a data source: a SQL query or an HTTP GET of JSON.

Every failure is a SourceError whose message is safe to show in Slack, the API and logs: it
names the connection, never a secret, a database URL or the source's URL (a query string can
hold a key). How a source is read safely is in docs/integrations.md ("How a source is read").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

import jsonpointer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.domain.numbers import MAX_ABS, parse_number
from bot.sources.fetch import MAX_BYTES, FetchError, get_json

TIMEOUT_SECONDS = 10.0
MAX_HTTP_BYTES = MAX_BYTES


class SourceError(Exception):
    """A source that gave no number; the message says why, with no secret in it. `field`: the
    binding's field the provider complained of (query, path, sum, cell), when one is to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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

# Roles that read or run anything on the database server's own machine. A source refuses to run
# as a role that is, or may become (SET ROLE, set_config('role', …)), a superuser or one of these.
_PG_SERVER_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")
_PG_PRIVILEGED = text(
    """
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_roles AS r
        WHERE pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER')
          AND (r.rolsuper OR r.rolname = ANY(CAST(:server_roles AS text[])))
    )
    """
)
# Global privileges of the MySQL/MariaDB account (and its active role) that reach the server's
# files or switch its checks off.
_MYSQL_PRIVILEGED = text(
    """
    SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
    WHERE PRIVILEGE_TYPE IN ('FILE', 'SUPER')
      AND GRANTEE IN (
        CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'",
               SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'"),
        CONCAT("'", COALESCE(CURRENT_ROLE(), ''), "'")
      )
    """
)
_MYSQL_PRIVILEGED_NO_ROLES = text(
    """
    SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
    WHERE PRIVILEGE_TYPE IN ('FILE', 'SUPER')
      AND GRANTEE = CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'",
                           SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")
    """
)


def read_sql(
    database_url: str, query: str, *, connection_name: str, timeout: float = TIMEOUT_SECONDS
) -> float:
    """Run `query` wrapped as `SELECT * FROM (query) AS q LIMIT 2` through a server-side cursor,
    in a read-only transaction with a statement timeout, as a role that cannot reach the server's
    files; it must give one row of one column holding a number. Always rolled back."""
    wrapped = _wrapped(query)
    try:
        engine = create_engine(
            database_url, poolclass=NullPool, connect_args=_connect_args(database_url, timeout)
        )
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise SourceError(
            f"the connection {connection_name} does not hold a database URL Northline can use"
        ) from None
    try:
        with engine.connect() as connection:
            _read_only_with_timeout(connection, timeout)
            _refuse_privileged(connection, connection_name)
            try:
                rows, columns = _first_rows(connection, wrapped)
            except connection.dialect.loaded_dbapi.Error as error:
                raise SourceError(_database_problem(error, connection_name, timeout)) from None
            connection.rollback()
    except DBAPIError as error:
        raise SourceError(_database_problem(error.orig, connection_name, timeout)) from None
    except SQLAlchemyError as error:
        raise SourceError(f"the query could not run ({type(error).__name__})") from None
    finally:
        engine.dispose()
    return _one_number(rows, columns)


def _wrapped(query: str) -> str:
    """The query as a derived table with LIMIT 2: whatever it would return, at most two rows are
    made, and anything but a query (COPY, a write, a second statement) is a syntax error. The
    newlines keep a trailing `-- comment` from swallowing the wrapper's end."""
    body = query.strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    if not body:
        raise SourceError("the query is empty")
    # The query is the binding's own, by design; it runs read-only as a SELECT-only role.
    return f"SELECT * FROM (\n{body}\n) AS q LIMIT 2"  # noqa: S608


def _one_number(rows: list, columns: int | None) -> float:
    if columns is None or not rows:
        raise SourceError("the query returned no rows; it must return exactly one")
    if len(rows) > 1:
        raise SourceError("the query returned more than one row; it must return exactly one")
    if columns != 1:
        raise SourceError(f"the query returned {columns} columns; it must return exactly one")
    return as_number(rows[0][0], "the query's value")


def _refuse_privileged(connection, connection_name: str) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        privileged = connection.execute(_PG_PRIVILEGED, {"server_roles": list(_PG_SERVER_ROLES)}).scalar()
    elif dialect in ("mysql", "mariadb"):
        has_roles = getattr(
            connection.dialect, "is_mariadb", False
        ) or connection.dialect.server_version_info >= (8,)
        statement = _MYSQL_PRIVILEGED if has_roles else _MYSQL_PRIVILEGED_NO_ROLES
        privileged = bool(connection.execute(statement).scalar())
    else:
        return  # SQLite: a file, no server and no roles
    if privileged:
        raise SourceError(
            f"the connection {connection_name} logs in as a role that can read or run files on the"
            " database server (a superuser, or FILE/SUPER, pg_read_server_files,"
            " pg_execute_server_program); give it a role that may only SELECT"
        )


def _first_rows(connection, wrapped: str) -> tuple[list, int | None]:
    """At most the first two rows and the number of columns, read through a server-side cursor
    (PostgreSQL: DECLARE … CURSOR, sent as ONE statement in the extended protocol, so
    `…; COMMIT; DELETE …` cannot end the read-only transaction; MySQL/MariaDB: an unbuffered
    cursor, and PyMySQL refuses several statements; SQLite's cursor steps row by row)."""
    driver_connection = connection.connection.driver_connection
    dialect = connection.dialect.name
    if dialect == "postgresql":
        cursor = driver_connection.cursor(name="northline_source", scrollable=False)
    elif dialect in ("mysql", "mariadb"):
        import pymysql.cursors  # only a MySQL source needs it; the web workers import this module

        cursor = driver_connection.cursor(pymysql.cursors.SSCursor)
    else:
        cursor = driver_connection.cursor()
    try:
        cursor.execute(wrapped)
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
_NOT_ALLOWED = {"42501", 1142, 1143, 1227, 1370}  # insufficient privilege / access denied


def _database_problem(original: BaseException, connection_name: str, timeout: float) -> str:
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
    if code in _NOT_ALLOWED:
        return f"the connection {connection_name}'s role may not do what the query asks (permission denied)"
    sqlite_error = getattr(original, "sqlite_errorname", None)  # sqlite3 on Python 3.11+
    if sqlite_error and sqlite_error not in (
        "SQLITE_CANTOPEN",
        "SQLITE_NOTADB",
        "SQLITE_PERM",
        "SQLITE_AUTH",
    ):
        return f"the database refused the query ({sqlite_error})"
    connecting = (
        code is None
        or (isinstance(code, str) and code[:2] in ("08", "28"))
        or (errno is not None and (2000 <= errno < 3000 or errno in (1044, 1045, 1049)))
    )
    if connecting and type(original).__name__ == "OperationalError":
        return f"could not connect to the database of the connection {connection_name}"
    if isinstance(code, str) and re.fullmatch(r"[0-9A-Z]{5}", code):
        return f"the database refused the query (SQLSTATE {code})"
    if isinstance(code, int):
        return f"the database refused the query (error {code})"
    return f"the database refused the query ({type(original).__name__})"


# --- http --------------------------------------------------------------------------------------------


def _no_constants(name: str) -> float:
    raise SourceError(f"the answer holds {name}, which is not a finite number")


def read_http(
    url: str,
    pointer: str,
    *,
    secret_headers: Mapping[str, str] | None = None,
    allow: Sequence[str] = (),
    timeout: float = TIMEOUT_SECONDS,
) -> float:
    """GET `url` (bot/sources/fetch.py: public addresses or the operator's `allow` entries only,
    no redirects, one deadline, a size cap, JSON only) and read the number at the RFC 6901
    `pointer` ("" is the whole answer). `secret_headers` go to `url` and nowhere else."""
    try:
        body = get_json(url, headers=secret_headers, allow=allow, timeout=timeout)
    except FetchError as error:
        raise SourceError(error.message) from None
    try:
        document = json.loads(body, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SourceError("the answer is not JSON") from None
    try:
        value = jsonpointer.resolve_pointer(document, pointer)
    except jsonpointer.JsonPointerException:
        raise SourceError(f"there is nothing at {pointer or '(the whole answer)'} in the answer") from None
    return as_number(value, f"the value at {pointer or '(the whole answer)'}")
