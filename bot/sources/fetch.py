"""One HTTP GET that a data source cannot turn against the server's own network (and one POST of
JSON, for the operator's language model: bot/ai/model.py).

- The host is resolved once; every address it resolves to must be on the public internet
  (`bot.domain.addresses`) unless the operator's allow-list (NORTHLINE_FETCH_ALLOW) admits the host
  name or the address. The connection goes to an address that was checked: urllib3 is handed the
  address itself, with the name kept for the Host header, SNI and the certificate's check, so no
  second lookup can answer differently.
- Redirects are not followed: a 3xx is an error saying so (and that https → http is refused), so
  a secret header only ever goes to the URL it was bound to.
- One deadline covers the lookup, the connection, the headers and the body: a watchdog closes the
  socket when it passes, however slowly the server drips.
- The body is capped, must be uncompressed, and must say it is JSON.

Every failure is a FetchError whose message names no URL, no query string and no secret.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error

from bot.domain.addresses import Address, AllowList, as_ipv4, parse_address, refusal

MAX_BYTES = 1024 * 1024
USER_AGENT = "Northline source sync"
_CHUNK = 16 * 1024

# host, port -> the addresses it resolves to, as text. Tests pass their own to name hosts.
Resolver = Callable[[str, int], Sequence[str]]


class _NoUrlsInLogs(logging.Filter):
    """urllib3 logs the request's URL, query string and all, with a traceback, when an answer's
    headers do not parse; a query string can hold a key. The line is kept, without the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "url=" in record.msg:
            record.msg = "a data source answered with headers that do not parse"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("urllib3.connection").addFilter(_NoUrlsInLogs())


class FetchError(Exception):
    """A GET that gave no usable answer; the message is safe to show anywhere."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as written (lower case), for Host, SNI and the certificate check
    port: int
    path: str  # path and query: what goes on the request line

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"


def _target(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("the source's URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("the source's URL must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise FetchError("the source's URL must not hold a user name or password")
    if not parts.hostname:
        raise FetchError("the source's URL names no host")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if any(ord(character) < 33 or ord(character) == 127 for character in path):
        raise FetchError("the source's URL holds spaces or control characters")
    try:  # a name in another script travels as its ASCII (IDNA) form
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise FetchError("the source's URL is not a valid URL") from None
    default = 443 if scheme == "https" else 80
    return _Target(scheme, host, port or default, path)


class _Deadline:
    """One deadline for the whole read; `left()` raises once it has passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise self.missed()
        return remaining

    def missed(self) -> FetchError:
        return FetchError(f"the source did not answer within {self.seconds:g} s")


def _resolve(target: _Target, resolver: Resolver, deadline: _Deadline) -> list[Address]:
    literal = parse_address(target.host)
    if literal is not None:
        return [literal]
    found: list[Sequence[str]] = []
    failed: list[BaseException] = []

    def lookup() -> None:
        try:
            found.append(resolver(target.host, target.port))
        except Exception as error:  # a resolver's failure of any kind is "could not resolve"
            failed.append(error)

    # getaddrinfo has no timeout of its own: the lookup runs aside and is waited for until the
    # deadline. A lookup still hanging then ends on its own; nothing waits for it.
    thread = threading.Thread(target=lookup, name="northline-resolve", daemon=True)
    thread.start()
    thread.join(deadline.left())
    if thread.is_alive():
        raise deadline.missed()
    addresses = [parse_address(text) for text in (found[0] if found else [])]
    if failed or not addresses or None in addresses:
        raise FetchError("could not resolve the source's host name")
    return [address for address in addresses if address is not None]


def _checked(target: _Target, addresses: list[Address], allow: AllowList) -> list[Address]:
    """The addresses to try, if every one may be reached: a name resolving to one public and one
    internal address is refused, so a rebinding answer gains nothing."""
    for address in addresses:
        reason = refusal(address)
        if reason is not None and not allow.admits(target.host, address):
            raise FetchError(
                f"the source's host is a {reason} address, which Northline does not reach"
                " unless the operator allows it (NORTHLINE_FETCH_ALLOW)"
            )
    return [as_ipv4(address) for address in addresses]


class _Cuttable:
    """Keeps the TCP socket (under TLS too) so that a deadline can shut it, whichever layer is
    reading from it: the handshake, the headers or the body. `_new_conn` is urllib3's hook for
    making that socket (its SOCKS support overrides it as well). A deadline passing while the
    socket is being made cuts it the moment it exists."""

    _raw: socket.socket | None = None
    _was_cut = False

    def _new_conn(self) -> socket.socket:
        raw = super()._new_conn()  # type: ignore[misc]
        self._raw = raw
        if self._was_cut:  # the deadline passed while connecting
            self.cut()
        return raw

    def cut(self) -> None:
        self._was_cut = True
        raw = self._raw
        if raw is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to cut
                raw.shutdown(socket.SHUT_RDWR)


class _Http(_Cuttable, HTTPConnection):
    pass


class _Https(_Cuttable, HTTPSConnection):
    pass


def _connection(
    target: _Target, address: Address, timeout: float, ssl_context: ssl.SSLContext | None
) -> _Http | _Https:
    if target.scheme == "http":
        return _Http(str(address), target.port, timeout=timeout)
    # The address is connected to; the name is what TLS presents (SNI) and checks the
    # certificate against. A host written as an address is checked as that address.
    return _Https(
        str(address),
        target.port,
        timeout=timeout,
        server_hostname=target.host,
        assert_hostname=target.host,
        cert_reqs="CERT_REQUIRED",
        ssl_context=ssl_context,
    )


class _Watchdog:
    """Cuts the connection when the deadline passes, ending any blocked read or handshake."""

    def __init__(self, connection: _Cuttable, deadline: _Deadline):
        self.fired = False
        self._connection = connection
        self._timer = threading.Timer(max(deadline.ends - time.monotonic(), 0), self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.fired = True
        self._connection.cut()

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()


def _problem(error: BaseException, deadline: _Deadline, watchdog: _Watchdog | None) -> FetchError:
    if isinstance(error, FetchError):
        return error
    if (watchdog is not None and watchdog.fired) or isinstance(error, TimeoutError | socket.timeout):
        return deadline.missed()
    if "timed out" in str(error).lower():
        return deadline.missed()
    if isinstance(error, ssl.SSLCertVerificationError) or type(error).__name__ == "CertificateError":
        return FetchError("the source's TLS certificate could not be verified")
    if isinstance(error, ssl.SSLError) or "SSL" in type(error).__name__:
        return FetchError("the TLS handshake with the source failed")
    cause = error.__cause__ or error.__context__ or error  # urllib3 wraps the socket's error
    named = {ConnectionRefusedError: "connection refused", ConnectionResetError: "connection reset"}
    return FetchError(f"could not reach the source ({named.get(type(cause), type(cause).__name__)})")


_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,40}/[a-z0-9][a-z0-9!#$&^_.+-]{0,40}")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _check_sent(headers: Mapping[str, str]) -> None:
    """A header name that is not an HTTP token, or a value with a line break or another control
    character, would let a stored value add headers or a second request of its own."""
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
            raise FetchError("a header for the source holds characters HTTP does not allow")


def _redirect(target: _Target, status: int, location: str | None) -> FetchError:
    if target.scheme == "https" and (location or "").strip().lower().startswith("http:"):
        return FetchError(
            f"the source redirected from https to plain http (HTTP {status}); Northline refuses that"
        )
    return FetchError(
        f"the source redirected (HTTP {status}); redirects are not followed, so bind the final address"
    )


def _check_headers(target: _Target, response, *, event_stream: bool = False) -> None:
    status = response.status
    if 300 <= status < 400:
        raise _redirect(target, status, response.headers.get("Location"))
    if not 200 <= status < 300:
        raise FetchError(f"the source answered HTTP {status}")
    media_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if not media_type:
        raise FetchError("the source's answer has no content type; it must be JSON")
    if event_stream and media_type == "text/event-stream":
        pass  # a streamed answer, read as it comes (post_json's `sink`)
    elif media_type != "application/json" and not media_type.endswith("+json"):
        shown = media_type if _MEDIA_TYPE.fullmatch(media_type) else "another type"
        raise FetchError(f"the source answered {shown}, not JSON")
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchError("the source's answer is compressed; it must be sent uncompressed")


def _body(
    response, deadline: _Deadline, max_bytes: int, sink: Callable[[bytes], None] | None = None
) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the answer is larger than {max_bytes // 1024} KB")
    chunks: list[bytes] = []
    size = 0
    while True:
        deadline.left()
        chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the answer is larger than {max_bytes // 1024} KB")
        chunks.append(chunk)
        if sink is not None:
            sink(chunk)
    deadline.left()
    return b"".join(chunks)


class _Unreachable(FetchError):
    """No connection to this address: the next checked address may still answer."""


def _exchange(
    target: _Target,
    address: Address,
    headers: Mapping[str, str],
    deadline: _Deadline,
    max_bytes: int,
    ssl_context: ssl.SSLContext | None,
    body: bytes | None = None,
    sink: Callable[[bytes], None] | None = None,
) -> bytes:
    connection = _connection(target, address, deadline.left(), ssl_context)
    watchdog = _Watchdog(connection, deadline)
    try:
        with watchdog:
            try:
                connection.connect()
            except (OSError, Urllib3Error, ValueError) as error:
                problem = _problem(error, deadline, watchdog)
                if problem.message.startswith("could not reach"):
                    raise _Unreachable(problem.message) from None
                raise problem from None
            method = "GET" if body is None else "POST"
            connection.request(method, target.path, body=body, headers=dict(headers), preload_content=False)
            response = connection.getresponse()
            deadline.left()  # headers cut short by the deadline are no answer
            _check_headers(target, response, event_stream=sink is not None)
            return _body(response, deadline, max_bytes, sink)
    except FetchError:
        if watchdog.fired:
            raise deadline.missed() from None
        raise
    except (OSError, Urllib3Error, ValueError) as error:
        raise _problem(error, deadline, watchdog) from None
    finally:
        connection.close()


def get_json(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    allow: Sequence[str] | AllowList = (),
    timeout: float,
    max_bytes: int = MAX_BYTES,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
) -> bytes:
    """The body of a GET of `url` answering 2xx with JSON, within `timeout` seconds in all.

    `headers` go to `url` alone. `allow`: the operator's allow-list entries. `resolver` and
    `ssl_context` are for tests (a name mapped to a local listener; a test certificate)."""
    return _send(url, None, headers, allow, timeout, max_bytes, resolver, ssl_context)


def post_json(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    allow: Sequence[str] | AllowList = (),
    timeout: float,
    max_bytes: int = MAX_BYTES,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
    sink: Callable[[bytes], None] | None = None,
) -> bytes:
    """The body of a POST of the JSON `body` to `url` answering 2xx with JSON, within `timeout`
    seconds in all: the same checks as get_json (addresses, one deadline, no redirects, size cap).
    Sent once: a POST is never repeated on another address once its request went out.

    With `sink`, an answer may also be an event stream (text/event-stream): each piece read is
    handed to `sink` as it arrives, under the same deadline and cap. `sink` must not raise."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if sink is not None:
        sent["Accept"] = "text/event-stream, application/json"
    return _send(url, body, sent, allow, timeout, max_bytes, resolver, ssl_context, sink)


def _send(
    url: str,
    body: bytes | None,
    headers: Mapping[str, str] | None,
    allow: Sequence[str] | AllowList,
    timeout: float,
    max_bytes: int,
    resolver: Resolver,
    ssl_context: ssl.SSLContext | None,
    sink: Callable[[bytes], None] | None = None,
) -> bytes:
    target = _target(url)
    deadline = _Deadline(timeout)
    try:
        allowed = allow if isinstance(allow, AllowList) else AllowList.parse(allow)
    except ValueError:
        raise FetchError("NORTHLINE_FETCH_ALLOW holds an entry that is not a host, address or CIDR") from None
    addresses = _checked(target, _resolve(target, resolver, deadline), allowed)
    sent = {
        "Host": target.host_header,
        "Accept": "application/json",
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
        "Connection": "close",
        **{name: value for name, value in (headers or {}).items() if name.lower() != "host"},
    }
    _check_sent(sent)
    unreachable = _Unreachable("could not reach the source")
    for address in addresses:  # the request is sent once: only a failed connection moves on
        try:
            return _exchange(target, address, sent, deadline, max_bytes, ssl_context, body, sink)
        except _Unreachable as error:
            unreachable = error
    raise FetchError(unreachable.message)
