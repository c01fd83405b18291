"""Reading a source over the network and from real databases, as the sync does it: listeners on
127.0.0.1 (plain and TLS) stand in for an attacker's targets and for honest sources, a resolver
stub maps DNS names onto them, and PostgreSQL / MariaDB roles with and without privileges stand
in for the connections an operator declares."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.sources.fetch import FetchError, get_json
from bot.sources.read import SourceError, read_http, read_sql
from tests.conftest import PG_URL

SECRET = "Bearer sk-live-topsecret-0042"
LOCAL = ("127.0.0.1",)
DRIP_SECONDS = 0.25
DEADLINE = 1.0
# The drip server is cut at DEADLINE; this much more is allowed for a busy machine. A read not cut
# would take the drip's whole length, DRIP_TOTAL.
SLACK_ABOVE_DEADLINE = 2.0
DRIP_TOTAL = 30.0


# --- local listeners ---------------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Listener:
    server: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {"Content-Type": "application/json"}, b'{"data": {"total": 42, "nan": "NaN"}}'),
    "/problem": (200, {"Content-Type": "application/vnd.api+json; charset=utf-8"}, b"[7.5]"),
    "/html": (200, {"Content-Type": "text/html"}, b"<html>42</html>"),
    "/untyped": (200, {}, b"42"),
    "/gzip": (200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"\x1f\x8b"),
    "/fail": (500, {"Content-Type": "application/json"}, b"{}"),
    "/notjson": (200, {"Content-Type": "application/json"}, b"{nope"),
}


class ListeningServer(ThreadingHTTPServer):
    daemon_threads = True
    listener: Listener


class Handler(BaseHTTPRequestHandler):
    """Routes of the test listener; what each request looked like is kept on its Listener."""

    server: ListeningServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.listener.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.path.split("?", 1)[0]
        if route.startswith("/redirect/"):
            self._answer(302, {"Location": route.removeprefix("/redirect/").replace("|", "/")}, b"")
        elif route == "/drip":
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[", b" ", b"1]")
        elif route == "/drip-headers":
            self._drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", b"\r\nContent-Type: application/json\r\n\r\n[1]")
        elif route == "/big":
            self._big(declared=False)
        elif route == "/big-declared":
            self._big(declared=True)
        else:
            self._answer(*ROUTES[route])

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, head: bytes, drop: bytes, tail: bytes) -> None:
        """A valid answer with `drop` sent every DRIP_SECONDS after `head`: each socket read gets
        data long before a per-read timeout, so only a deadline for the whole read ends it."""
        self.close_connection = True
        ends = time.monotonic() + DRIP_TOTAL
        try:
            self.wfile.write(head)
            self.wfile.flush()
            while time.monotonic() < ends and not self.server.listener.stop.wait(DRIP_SECONDS):
                self.wfile.write(drop)
                self.wfile.flush()
            self.wfile.write(tail)
        except OSError:
            return  # the reader hung up: what the test wants

    def _big(self, declared: bool) -> None:
        body = b'{"pad": "' + b"x" * (1024 * 1024) + b'", "n": 1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if declared:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            return


def _serve(context: ssl.SSLContext | None = None) -> Iterator[Listener]:
    server = ListeningServer(("127.0.0.1", 0), Handler)
    listener = Listener(server)
    server.listener = listener
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def source() -> Iterator[Listener]:
    yield from _serve()


@pytest.fixture
def elsewhere() -> Iterator[Listener]:
    """A second listener: another origin a redirect tries to send the read (and its secret) to."""
    yield from _serve()


@dataclass
class Tls:
    listener: Listener
    client: ssl.SSLContext


@pytest.fixture
def tls_source(tmp_path) -> Iterator[Tls]:
    """An https listener whose certificate names source.test and 127.0.0.1, and a client context
    trusting it (the system's authorities would not)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=source.test",
         "-addext", "subjectAltName=DNS:source.test,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    for listener in _serve(server_context):
        yield Tls(listener, client)


def resolver_for(table: dict[str, list[str]], calls: list[str] | None = None):
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


def fails(call, *args, **kwargs) -> str:
    with pytest.raises((SourceError, FetchError)) as raised:
        call(*args, **kwargs)
    return raised.value.message


# --- where a read may go -----------------------------------------------------------------------------


def test_an_allowed_local_source_gives_its_number_and_gets_its_secret(source):
    assert (
        read_http(source.url("/ok"), "/data/total", secret_headers={"Authorization": SECRET}, allow=LOCAL)
        == 42
    )
    assert source.seen[0].headers["authorization"] == SECRET
    assert source.seen[0].headers["host"] == f"127.0.0.1:{source.port}"
    assert read_http(source.url("/problem"), "/0", allow=LOCAL) == 7.5  # any +json type


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("[::ffff:127.0.0.1]", "loopback (inside an IPv6 address)"),
        ("2130706433", "loopback"),  # 127.0.0.1 written as one number: what it resolves to counts
    ],
)
def test_loopback_in_any_spelling_is_refused_and_never_reached(source, host, reason):
    message = fails(read_http, source.url("/ok?key=k-123", host=host), "", secret_headers={"X-Key": SECRET})
    assert message == (
        f"the source's host is a {reason} address, which Northline does not reach unless the"
        " operator allows it (NORTHLINE_FETCH_ALLOW)"
    )
    assert source.seen == []
    assert "k-123" not in message and "127.0.0.1" not in message


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "private"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("::ffff:169.254.169.254", "link-local (inside an IPv6 address)"),
        ("2002:a00:1::1", "private (inside an IPv6 address)"),  # 6to4 around 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local (inside an IPv6 address)"),  # NAT64 around the metadata
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting(address, reason):
    resolve = resolver_for({"metrics.example": [address]})
    message = fails(get_json, "http://metrics.example/v1?token=t", timeout=DEADLINE, resolver=resolve)
    assert message.startswith(f"the source's host is a {reason} address")


def test_one_internal_address_among_public_ones_refuses_the_name(source):
    """A name answering with a public and an internal address (DNS rebinding) is refused whole."""
    resolve = resolver_for({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    message = fails(get_json, source.url("/ok", host="mixed.example"), timeout=DEADLINE, resolver=resolve)
    assert message.startswith("the source's host is a loopback address")
    assert source.seen == []


def test_the_checked_address_is_the_one_connected_to_after_one_lookup(source):
    calls: list[str] = []
    resolve = resolver_for({"metrics.internal": ["127.0.0.1"]}, calls)
    body = get_json(
        source.url("/ok", host="metrics.internal"),
        allow=("metrics.internal",),
        timeout=DEADLINE,
        resolver=resolve,
    )
    assert json.loads(body)["data"]["total"] == 42
    assert calls == ["metrics.internal"]
    assert source.seen[0].headers["host"] == f"metrics.internal:{source.port}"


def test_an_address_that_refuses_the_connection_moves_on_to_the_next_checked_one(source):
    """127.0.0.2 is loopback too, but nothing listens there on the source's port."""
    resolve = resolver_for({"metrics.internal": ["127.0.0.2", "127.0.0.1"]})
    url = source.url("/ok", host="metrics.internal")
    assert (
        json.loads(get_json(url, allow=("127.0.0.0/8",), timeout=DEADLINE, resolver=resolve))["data"]["total"]
        == 42
    )
    assert len(source.seen) == 1


@pytest.mark.parametrize("entry", ["metrics.internal", "METRICS.internal.", "127.0.0.0/8", "127.0.0.1"])
def test_the_allow_list_admits_a_name_or_a_network(source, entry):
    resolve = resolver_for({"metrics.internal": ["127.0.0.1"]})
    url = source.url("/ok", host="metrics.internal")
    assert (
        json.loads(get_json(url, allow=(entry,), timeout=DEADLINE, resolver=resolve))["data"]["total"] == 42
    )


def test_the_allow_list_admits_nothing_else(source):
    resolve = resolver_for({"metrics.internal": ["127.0.0.1"], "other.internal": ["127.0.0.1"]})
    for allow in (("other.internal",), ("10.0.0.0/8",), ("127.0.0.2",)):
        message = fails(
            get_json, source.url("/ok", host="metrics.internal"), allow=allow, timeout=1, resolver=resolve
        )
        assert message.startswith("the source's host is a loopback address")
    assert source.seen == []


def test_a_name_that_does_not_resolve_says_so():
    resolve = resolver_for({})
    assert fails(get_json, "http://nowhere.example/", timeout=DEADLINE, resolver=resolve) == (
        "could not resolve the source's host name"
    )


def test_a_resolver_failing_in_any_way_is_a_lookup_error():
    def broken(host: str, port: int) -> list[str]:
        raise RuntimeError("resolver bug")

    assert fails(get_json, "http://x.example/", timeout=DEADLINE, resolver=broken) == (
        "could not resolve the source's host name"
    )


def test_a_lookup_that_hangs_is_cut_at_the_deadline():
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(DRIP_TOTAL)
        return ["93.184.216.34"]

    started = time.monotonic()
    try:
        message = fails(get_json, "http://slow-dns.example/", timeout=0.5, resolver=hanging)
    finally:
        release.set()
    assert message == "the source did not answer within 0.5 s"
    assert time.monotonic() - started < 0.5 + SLACK_ABOVE_DEADLINE


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "the source's URL must start with http:// or https://"),
        ("file:///etc/passwd", "the source's URL must start with http:// or https://"),
        ("http://user:pw@example.com/", "the source's URL must not hold a user name or password"),
        ("http:///nohost", "the source's URL names no host"),
        ("http://example.com:99999/", "the source's URL is not a valid URL"),
        ("http://example.com/a b", "the source's URL holds spaces or control characters"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url, message):
    assert fails(get_json, url, timeout=DEADLINE, resolver=resolver_for({})) == message


# --- redirects and TLS -------------------------------------------------------------------------------


def test_a_redirect_is_refused_and_the_secret_goes_nowhere_else(source, elsewhere):
    away = elsewhere.url("/ok").replace("/", "|")
    message = fails(
        read_http, source.url(f"/redirect/{away}"), "", secret_headers={"Authorization": SECRET}, allow=LOCAL
    )
    assert (
        message == "the source redirected (HTTP 302); redirects are not followed, so bind the final address"
    )
    assert [seen.headers["authorization"] for seen in source.seen] == [SECRET]
    assert elsewhere.seen == []


def test_tls_is_checked_against_the_name_while_connecting_to_the_checked_address(tls_source):
    resolve = resolver_for({"source.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})
    url = tls_source.listener.url("/ok", scheme="https", host="source.test")
    body = get_json(url, allow=LOCAL, timeout=5, resolver=resolve, ssl_context=tls_source.client)
    assert json.loads(body)["data"]["total"] == 42
    impostor = tls_source.listener.url("/ok", scheme="https", host="impostor.test")
    message = fails(
        get_json, impostor, allow=LOCAL, timeout=5, resolver=resolve, ssl_context=tls_source.client
    )
    assert message == "the source's TLS certificate could not be verified"
    untrusted = fails(get_json, url, allow=LOCAL, timeout=5, resolver=resolve)  # system authorities only
    assert untrusted == "the source's TLS certificate could not be verified"


def test_a_redirect_from_https_to_http_is_refused_as_a_downgrade(tls_source, elsewhere):
    down = elsewhere.url("/ok").replace("/", "|")
    url = tls_source.listener.url(f"/redirect/{down}", scheme="https")
    message = fails(
        get_json,
        url,
        headers={"Authorization": SECRET},
        allow=LOCAL,
        timeout=5,
        ssl_context=tls_source.client,
    )
    assert message == "the source redirected from https to plain http (HTTP 302); Northline refuses that"
    assert elsewhere.seen == []


# --- the answer: deadline, size, type ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_server_dripping_bytes_is_cut_at_the_deadline(source, path):
    started = time.monotonic()
    message = fails(read_http, source.url(path), "/0", allow=LOCAL, timeout=DEADLINE)
    elapsed = time.monotonic() - started
    assert message == f"the source did not answer within {DEADLINE:g} s"
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + SLACK_ABOVE_DEADLINE


def test_a_tls_handshake_dripping_bytes_is_cut_at_the_deadline(raw_answer):
    """A TLS record header announcing 16 KB, then one byte every DRIP_SECONDS: the handshake
    reads from the raw socket, which the deadline shuts as well."""
    port, answers = raw_answer
    answers.append(b"\x16\x03\x03\x40\x00")
    answers.append(b"\x02")  # more bytes, one per DRIP_SECONDS, until the reader hangs up
    started = time.monotonic()
    message = fails(get_json, f"https://127.0.0.1:{port}/", allow=LOCAL, timeout=DEADLINE)
    assert message == f"the source did not answer within {DEADLINE:g} s"
    assert time.monotonic() - started < DEADLINE + SLACK_ABOVE_DEADLINE


@pytest.mark.parametrize("path", ["/big", "/big-declared"])
def test_an_answer_over_the_size_cap_is_refused(source, path):
    assert fails(read_http, source.url(path), "/n", allow=LOCAL) == "the answer is larger than 1024 KB"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html", "the source answered text/html, not JSON"),
        ("/untyped", "the source's answer has no content type; it must be JSON"),
        ("/gzip", "the source's answer is compressed; it must be sent uncompressed"),
        ("/fail?api_key=k-999", "the source answered HTTP 500"),
        ("/notjson", "the answer is not JSON"),
    ],
)
def test_answers_that_are_not_plain_json_are_refused(source, path, message):
    assert fails(read_http, source.url(path), "", allow=LOCAL) == message


@pytest.fixture
def raw_answer() -> Iterator[tuple[int, list[bytes]]]:
    """A socket answering the first request with whatever bytes the test puts in the list."""
    server = socket.create_server(("127.0.0.1", 0))
    answers: list[bytes] = []  # what is sent at once, then (if given) a drop sent on and on
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            client, _ = server.accept()
            with client:
                client.recv(65536)
                client.sendall(answers[0])
                ends = time.monotonic() + DRIP_TOTAL
                while len(answers) > 1 and time.monotonic() < ends and not stop.wait(DRIP_SECONDS):
                    client.sendall(answers[1])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], answers
    finally:
        stop.set()
        server.close()
        thread.join(DEADLINE)


def test_headers_that_do_not_parse_leave_no_url_in_the_logs(raw_answer, caplog):
    port, answers = raw_answer
    answers.append(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json <a href=x>\r\n"
        b"nocolon\r\nContent-Length: 2\r\n\r\n42"
    )
    caplog.set_level(logging.DEBUG)
    message = fails(read_http, f"http://127.0.0.1:{port}/v1?api_key=k-777", "", allow=LOCAL)
    assert message == "the source answered another type, not JSON"  # the server's text is not echoed
    assert "urllib3.connection" in {record.name for record in caplog.records}  # it did log, but:
    assert "k-777" not in caplog.text and "/v1" not in caplog.text


def test_the_pointer_must_lead_to_a_finite_number(source):
    assert fails(read_http, source.url("/ok"), "/data/missing", allow=LOCAL) == (
        "there is nothing at /data/missing in the answer"
    )
    assert (
        fails(read_http, source.url("/ok"), "/data/nan", allow=LOCAL)
        == "the value at /data/nan is not a finite number"
    )


def test_a_closed_port_says_it_could_not_reach_the_source(source):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    message = fails(read_http, f"http://127.0.0.1:{closed}/x?key=k-1", "", allow=LOCAL)
    assert message == "could not reach the source (connection refused)"
    assert "k-1" not in message and str(closed) not in message


def test_a_header_value_with_a_line_break_is_refused_before_sending(source):
    message = fails(read_http, source.url("/ok"), "", secret_headers={"X-Key": "a\r\nX-Evil: 1"}, allow=LOCAL)
    assert message == "a header for the source holds characters HTTP does not allow"
    assert source.seen == []


# --- sql ---------------------------------------------------------------------------------------------


def _sqlite_source(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'sales.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE sales (amount NUMERIC)"))
        connection.execute(text("INSERT INTO sales VALUES (40.5), (2)"))
    engine.dispose()
    return url


def test_sqlite_reads_one_number_with_a_trailing_semicolon_or_comment(tmp_path):
    url = _sqlite_source(tmp_path)
    assert read_sql(url, "SELECT SUM(amount) FROM sales;", connection_name="sales") == 42.5
    assert read_sql(url, "SELECT SUM(amount) FROM sales -- the total", connection_name="sales") == 42.5


@pytest.mark.parametrize(
    "query",
    ["DELETE FROM sales", "SELECT 1; DELETE FROM sales", "SELECT 1) AS q; DELETE FROM sales; SELECT (1"],
)
def test_sqlite_anything_but_one_query_is_refused_and_changes_nothing(tmp_path, query):
    url = _sqlite_source(tmp_path)
    assert fails(read_sql, url, query, connection_name="sales").startswith("the database refused the query")
    assert read_sql(url, "SELECT COUNT(*) FROM sales", connection_name="sales") == 2


def test_sqlite_three_million_rows_stop_at_the_second(tmp_path):
    url = _sqlite_source(tmp_path)
    query = (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000000) SELECT n FROM s"
    )
    started = time.monotonic()
    assert fails(read_sql, url, query, connection_name="sales", timeout=5) == (
        "the query returned more than one row; it must return exactly one"
    )
    assert time.monotonic() - started < 3


def test_sqlite_rows_past_the_second_are_never_made(tmp_path):
    url = _sqlite_source(tmp_path)
    query = (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10)"
        " SELECT CASE WHEN n > 2 THEN abs(-9223372036854775807 - 1) ELSE n END FROM s"
    )  # abs() of the smallest integer is an overflow error in SQLite
    assert fails(read_sql, url, query, connection_name="sales") == (
        "the query returned more than one row; it must return exactly one"
    )


def test_a_name_in_another_script_is_looked_up_in_its_ascii_form(source):
    calls: list[str] = []
    resolve = resolver_for({"xn--bcher-kva.example": ["127.0.0.1"]}, calls)
    url = source.url("/ok", host="Bücher.example")
    assert json.loads(get_json(url, allow=LOCAL, timeout=DEADLINE, resolver=resolve))["data"]["total"] == 42
    assert calls == ["xn--bcher-kva.example"]
    assert source.seen[0].headers["host"] == f"xn--bcher-kva.example:{source.port}"


def test_a_url_that_is_not_a_database_names_the_connection():
    assert fails(read_sql, "not a url", "SELECT 1", connection_name="sales") == (
        "the connection sales does not hold a database URL Northline can use"
    )


PRIVILEGED = (
    "the connection {name} logs in as a role that can read or run files on the database server (a"
    " superuser, or FILE/SUPER, pg_read_server_files, pg_execute_server_program); give it a role"
    " that may only SELECT"
)


@dataclass
class PgRoles:
    superuser_url: str
    reader_url: str
    file_reader_url: str
    table: str


@pytest.fixture
def pg_roles(database_url) -> Iterator[PgRoles]:
    """This run's PostgreSQL database with a table, a SELECT-only role and a role that holds
    pg_read_server_files (both login without a password: the test server trusts 127.0.0.1)."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set NORTHLINE_TEST_DATABASE_URL=postgresql+psycopg://… (a superuser)")
    suffix = uuid.uuid4().hex[:8]
    table, reader, file_reader = f"src_{suffix}", f"northline_reader_{suffix}", f"northline_files_{suffix}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE TABLE {table} AS SELECT 42.5 AS amount"))
        connection.execute(text(f"CREATE ROLE {reader} LOGIN"))
        connection.execute(text(f"GRANT SELECT ON {table} TO {reader}"))
        connection.execute(text(f"CREATE ROLE {file_reader} LOGIN IN ROLE pg_read_server_files"))
        connection.execute(text(f"GRANT SELECT ON {table} TO {file_reader}"))
    url = make_url(database_url)
    as_role = lambda role: url.set(username=role, password=None).render_as_string(hide_password=False)  # noqa: E731
    try:
        yield PgRoles(database_url, as_role(reader), as_role(file_reader), table)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
            for role in (reader, file_reader):
                connection.execute(text(f"DROP OWNED BY {role}"))
                connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def test_postgresql_a_select_only_role_reads_its_number(pg_roles):
    assert (
        read_sql(pg_roles.reader_url, f"SELECT amount FROM {pg_roles.table}", connection_name="sales") == 42.5
    )


def test_postgresql_a_superuser_or_a_file_reading_role_is_refused(pg_roles):
    for url in (pg_roles.superuser_url, pg_roles.file_reader_url):
        assert fails(read_sql, url, "SELECT 1", connection_name="sales") == PRIVILEGED.format(name="sales")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "COPY (SELECT 1) TO PROGRAM 'touch /tmp/northline-pwned'",
            "the database refused the query (SQLSTATE 42601)",
        ),
        ("SELECT length(pg_read_file('/etc/hostname'))", "permission denied"),
        ("SELECT 1; COMMIT; DROP TABLE {t}", "the database refused the query (SQLSTATE 42601)"),
        ("WITH d AS (DELETE FROM {t} RETURNING 1) SELECT COUNT(*) FROM d", "the database refused the query"),
        ("SELECT count(*) FROM (SELECT set_config('role', 'postgres', false)) AS s", "permission denied"),
    ],
)
def test_postgresql_files_programs_and_writes_are_refused(pg_roles, query, message):
    got = fails(read_sql, pg_roles.reader_url, query.format(t=pg_roles.table), connection_name="sales")
    assert message in got
    assert (
        read_sql(pg_roles.reader_url, f"SELECT COUNT(*) FROM {pg_roles.table}", connection_name="sales") == 1
    )


def test_postgresql_a_write_through_a_function_is_refused_by_the_read_only_transaction(pg_roles):
    admin = create_engine(pg_roles.superuser_url, isolation_level="AUTOCOMMIT")
    function = f"bump_{pg_roles.table}"
    with admin.connect() as connection:
        connection.execute(
            text(
                f"CREATE FUNCTION {function}() RETURNS int LANGUAGE sql AS"
                f" 'UPDATE {pg_roles.table} SET amount = amount + 1 RETURNING 1'"
            )
        )
        connection.execute(
            text(f"GRANT UPDATE ON {pg_roles.table} TO {make_url(pg_roles.reader_url).username}")
        )
    admin.dispose()
    assert fails(read_sql, pg_roles.reader_url, f"SELECT {function}()", connection_name="sales") == (
        "the query tried to write; a source runs in a read-only transaction"
    )
    assert (
        read_sql(pg_roles.reader_url, f"SELECT amount FROM {pg_roles.table}", connection_name="sales") == 42.5
    )


def test_postgresql_three_million_rows_are_not_buffered(pg_roles):
    started = time.monotonic()
    message = fails(
        read_sql, pg_roles.reader_url, "SELECT generate_series(1, 3000000)", connection_name="s", timeout=5
    )
    assert message == "the query returned more than one row; it must return exactly one"
    assert time.monotonic() - started < 3  # a buffered read of 3 M rows takes seconds and ~90 MiB


def test_postgresql_rows_past_the_second_are_never_made(pg_roles):
    """The third row would divide by zero: had the whole result been made, the read would fail
    with that error instead of counting two rows."""
    query = "SELECT 10 / (3 - n) FROM generate_series(1, 3000000) AS n"
    assert fails(read_sql, pg_roles.reader_url, query, connection_name="s") == (
        "the query returned more than one row; it must return exactly one"
    )


def test_postgresql_a_query_cannot_lift_its_own_timeout(pg_roles):
    query = "SELECT 1 FROM (SELECT set_config('statement_timeout', '0', false), pg_sleep(5)) AS s"
    assert fails(read_sql, pg_roles.reader_url, query, connection_name="s", timeout=1) == (
        "the query took longer than 1 s and was stopped"
    )


def test_postgresql_a_slow_query_is_stopped_at_the_timeout(pg_roles):
    assert fails(
        read_sql, pg_roles.reader_url, "SELECT 1 FROM pg_sleep(5)", connection_name="s", timeout=1
    ) == ("the query took longer than 1 s and was stopped")


MARIADB = os.environ.get("NORTHLINE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


@dataclass
class MariaDbUsers:
    root_url: str
    reader_url: str
    file_url: str
    table: str


@pytest.fixture
def mariadb_users() -> Iterator[MariaDbUsers]:
    """A table in MariaDB's `test` database and a user that may only SELECT from it."""
    engine = create_engine(MARIADB, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure: skip, saying why
        engine.dispose()
        pytest.skip(f"needs MariaDB/MySQL at {make_url(MARIADB).host} as root ({type(error).__name__}); "
                    "set NORTHLINE_TEST_MARIADB_URL")  # fmt: skip
    suffix = uuid.uuid4().hex[:8]
    table, reader, file_reader = f"src_{suffix}", f"nl_reader_{suffix}", f"nl_files_{suffix}"
    database = make_url(MARIADB).database
    with engine.connect() as connection:
        connection.execute(text(f"CREATE TABLE {table} (amount DECIMAL(10, 2))"))
        connection.execute(text(f"INSERT INTO {table} VALUES (42.5)"))
        connection.execute(text(f"CREATE USER '{reader}'@'%'"))
        connection.execute(text(f"GRANT SELECT ON {database}.{table} TO '{reader}'@'%'"))
        connection.execute(text(f"CREATE USER '{file_reader}'@'%'"))
        connection.execute(text(f"GRANT FILE ON *.* TO '{file_reader}'@'%'"))
        connection.execute(text(f"GRANT SELECT ON {database}.{table} TO '{file_reader}'@'%'"))
    url = make_url(MARIADB)
    reader_url = url.set(username=reader, password=None).render_as_string(hide_password=False)
    file_url = url.set(username=file_reader, password=None).render_as_string(hide_password=False)
    try:
        yield MariaDbUsers(MARIADB, reader_url, file_url, table)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
            connection.execute(text(f"DROP USER IF EXISTS '{reader}'@'%'"))
            connection.execute(text(f"DROP USER IF EXISTS '{file_reader}'@'%'"))
        engine.dispose()


def test_mariadb_a_select_only_user_reads_and_root_or_file_is_refused(mariadb_users):
    query = f"SELECT amount FROM {mariadb_users.table}"
    assert read_sql(mariadb_users.reader_url, query, connection_name="m") == 42.5
    for url in (mariadb_users.root_url, mariadb_users.file_url):
        assert fails(read_sql, url, "SELECT 1", connection_name="m") == PRIVILEGED.format(name="m")


def test_mariadb_an_account_without_the_database_cannot_connect(mariadb_users):
    other = make_url(mariadb_users.reader_url).set(database="mysql").render_as_string(hide_password=False)
    assert fails(read_sql, other, "SELECT 1", connection_name="m") == (
        "could not connect to the database of the connection m"
    )


def test_mariadb_files_writes_and_many_rows_are_refused(mariadb_users):
    url, table = mariadb_users.reader_url, mariadb_users.table
    assert fails(read_sql, url, "SELECT LENGTH(LOAD_FILE('/etc/hostname'))", connection_name="m") == (
        "the query's value is NULL, not a number"  # no FILE privilege: MariaDB reads nothing
    )
    assert fails(read_sql, url, f"DELETE FROM {table}", connection_name="m").startswith(
        "the database refused"
    )
    assert fails(read_sql, url, f"SELECT 1; DELETE FROM {table}", connection_name="m").startswith(
        "the database refused"
    )
    digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)"
    many = "SELECT 1 FROM " + ", ".join(f"{digits} AS t{i}" for i in range(10))  # 5^10: ~9.8 M rows
    assert fails(read_sql, url, many, connection_name="m", timeout=5) == (
        "the query returned more than one row; it must return exactly one"
    )
    assert read_sql(url, f"SELECT COUNT(*) FROM {table}", connection_name="m") == 1
