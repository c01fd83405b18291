"""One HTTP request that a data source cannot turn against the server's own network: a GET of
JSON (generic http sources) or, for the ready connectors, a GET of CSV or a POST of JSON; and one
POST of JSON for the operator's language model (bot/ai/model.py), its answer possibly streamed.

- The host is resolved once; every address it resolves to must be on the public internet
  (`bot.domain.addresses`) unless the operator's allow-list (NORTHLINE_FETCH_ALLOW) admits the host
  name or the address. The connection goes to an address that was checked: urllib3 is handed the
  address itself, with the name kept for the Host header, SNI and the certificate's check, so no
  second lookup can answer differently.
- Redirects are not followed: a 3xx is an error saying so (and that https → http is refused), so
  a secret header only ever goes to the URL it was bound to.
- One deadline covers the lookup, the connection, the headers and the body: a watchdog closes the
  socket when it passes, however slowly the server drips.
- The body is capped, must be uncompressed, and must be of a type the caller accepts (JSON
  unless told otherwise). A connector may see a 4xx or 5xx answer's body (`fetch`), to put the
  provider's own error into words; `get_json` turns any non-2xx into an error.

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


class Deadline:
    """One deadline for the whole read (a connector's pages share one); `left()` raises once it
    has passed."""

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


def _resolve(target: _Target, resolver: Resolver, deadline: Deadline) -> list[Address]:
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

    def __init__(self, connection: _Cuttable, deadline: Deadline):
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


def _problem(error: BaseException, deadline: Deadline, watchdog: _Watchdog | None) -> FetchError:
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


JSON = ("application/json", "+json")


def _check_headers(target: _Target, response, accept: Sequence[str], redirects: bool = False) -> None:
    """A redirect is an error (returned instead with `redirects`, for a caller that follows it
    itself with no secret); a 2xx answer must be of an accepted type; any answer uncompressed.
    `accept`: media types, or suffixes starting with + (+json)."""
    status = response.status
    if 300 <= status < 400:
        if redirects and status in (301, 302, 303, 307, 308):
            return
        raise _redirect(target, status, response.headers.get("Location"))
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if not 200 <= status < 300:
        return
    media_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    wanted = "JSON" if tuple(accept) == JSON else " or ".join(a for a in accept if not a.startswith("+"))
    if not media_type:
        raise FetchError(f"the source's answer has no content type; it must be {wanted}")
    if not any(media_type == a or (a.startswith("+") and media_type.endswith(a)) for a in accept):
        shown = media_type if _MEDIA_TYPE.fullmatch(media_type) else "another type"
        raise FetchError(f"the source answered {shown}, not {wanted}")
    if encoding != "identity":
        raise FetchError("the source's answer is compressed; it must be sent uncompressed")


def _body(response, deadline: Deadline, max_bytes: int, sink: Callable[[bytes], None] | None = None) -> bytes:
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
            sink(chunk)  # a streamed answer, handed on as it comes, under the same deadline and cap
    deadline.left()
    return b"".join(chunks)


class _Unreachable(FetchError):
    """No connection to this address: the next checked address may still answer."""


@dataclass(frozen=True)
class Answer:
    """What the source answered (never a 3xx): its status, the headers a connector reads for
    rate limits, and the body (capped; for a non-2xx, whatever it was)."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def body_if_ok(self) -> bytes:
        """The body of a 2xx answer; any other is a FetchError naming its status."""
        if not self.ok:
            raise FetchError(f"the source answered HTTP {self.status}")
        return self.body


@dataclass(frozen=True)
class _Request:
    method: str
    headers: Mapping[str, str]
    body: bytes | None
    accept: Sequence[str]
    redirects: bool = False
    sink: Callable[[bytes], None] | None = None  # each piece of a 2xx answer's body, as it arrives


_KEPT_HEADERS = ("retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "content-type", "location")


def _exchange(
    target: _Target,
    address: Address,
    request: _Request,
    deadline: Deadline,
    max_bytes: int,
    ssl_context: ssl.SSLContext | None,
) -> Answer:
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
            connection.request(
                request.method,
                target.path,
                body=request.body,
                headers=dict(request.headers),
                preload_content=False,
            )
            response = connection.getresponse()
            deadline.left()  # headers cut short by the deadline are no answer
            _check_headers(target, response, request.accept, request.redirects)
            kept = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
            sink = request.sink if 200 <= response.status < 300 else None
            return Answer(response.status, kept, _body(response, deadline, max_bytes, sink))
    except FetchError:
        if watchdog.fired:
            raise deadline.missed() from None
        raise
    except (OSError, Urllib3Error, ValueError) as error:
        raise _problem(error, deadline, watchdog) from None
    finally:
        connection.close()


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    content_type: str | None = None,
    accept: Sequence[str] = JSON,
    headers: Mapping[str, str] | None = None,
    allow: Sequence[str] | AllowList = (),
    timeout: float | None = None,
    deadline: Deadline | None = None,
    max_bytes: int = MAX_BYTES,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
    redirects: bool = False,
    sink: Callable[[bytes], None] | None = None,
) -> Answer:
    """The answer to one request of `url` (GET, or POST with `body`), within `timeout` seconds in
    all, or within `deadline` when several requests share one. A 2xx answer must be of a type in
    `accept`; a 4xx or 5xx is returned, for the caller to say what the provider meant; a redirect
    is an error, or returned (its `location` header kept) with `redirects`, for a caller that
    sends no secret to follow it through this function again.

    `headers` go to `url` alone. `allow`: the operator's allow-list entries. `resolver` and
    `ssl_context` are for tests (a name mapped to a local listener; a test certificate)."""
    if method not in ("GET", "POST"):
        raise FetchError("a source is read with GET or POST only")
    target = _target(url)
    if deadline is None:
        deadline = Deadline(timeout if timeout is not None else 10.0)
    try:
        allowed = allow if isinstance(allow, AllowList) else AllowList.parse(allow)
    except ValueError:
        raise FetchError("NORTHLINE_FETCH_ALLOW holds an entry that is not a host, address or CIDR") from None
    addresses = _checked(target, _resolve(target, resolver, deadline), allowed)
    sent = {
        "Host": target.host_header,
        "Accept": ", ".join(a for a in accept if not a.startswith("+")),
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
        "Connection": "close",
        **({"Content-Type": content_type} if body is not None and content_type else {}),
        **({"Content-Length": str(len(body))} if body is not None else {}),
        **{name: value for name, value in (headers or {}).items() if name.lower() != "host"},
    }
    _check_sent(sent)
    request = _Request(method, sent, body, tuple(accept), redirects, sink)
    unreachable = _Unreachable("could not reach the source")
    for address in addresses:  # the request is sent once: only a failed connection moves on
        try:
            return _exchange(target, address, request, deadline, max_bytes, ssl_context)
        except _Unreachable as error:
            unreachable = error
    raise FetchError(unreachable.message)


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
    """The body of a GET of `url` answering 2xx with JSON, within `timeout` seconds in all."""
    return fetch(
        url,
        headers=headers,
        allow=allow,
        timeout=timeout,
        max_bytes=max_bytes,
        resolver=resolver,
        ssl_context=ssl_context,
    ).body_if_ok()


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
    return fetch(
        url,
        method="POST",
        body=body,
        content_type="application/json",
        accept=(*JSON, "text/event-stream") if sink is not None else JSON,
        headers=headers,
        allow=allow,
        timeout=timeout,
        max_bytes=max_bytes,
        resolver=resolver,
        ssl_context=ssl_context,
        sink=sink,
    ).body_if_ok()
