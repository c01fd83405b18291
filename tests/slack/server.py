"""The emulator's HTTP side: start and stop the server, route each request to a Web API method, a
response_url or a file upload, and answer as Slack does (JSON, or text for the non-API endpoints)."""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import json
import socketserver
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.slack.records import Call, _error, _SlackError, _Token
from tests.slack.scopes import missing_scope
from tests.slack.web_api.chat import RESPONSE_URL_SECONDS, RESPONSE_URL_USES

if TYPE_CHECKING:
    from tests.slack.emulator import SlackEmulator

HTML, TEXT = "text/html", "text/plain"


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")


def _add_pairs(args: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
    """Add form pairs to `args`; a key given twice becomes a list of its values."""
    for key, value in pairs:
        if key in args:
            args[key] = [*args[key], value] if isinstance(args[key], list) else [args[key], value]
        else:
            args[key] = value


def _add_body(args: dict[str, Any], content_type: str, body: bytes) -> None:
    """Add a request body's arguments to `args`: JSON, multipart or url-encoded form."""
    if content_type.startswith("application/json"):
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("json_not_object")
        args.update(data)
    elif content_type.startswith("multipart/form-data"):
        _add_multipart(args, content_type, body)
    else:
        _add_pairs(args, urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _add_multipart(args: dict[str, Any], content_type: str, body: bytes) -> None:
    """Form fields as text, file parts as bytes."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename() is None:
            args[str(name)] = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        else:
            args[str(name)] = payload


def _take_token(headers: Any, args: dict[str, Any]) -> str | None:
    """The call's token, from the Authorization header or else the `token` argument (which is
    removed from `args`). A Basic header (oauth.v2.access, as slack_sdk sends it) gives the app's
    client_id and client_secret instead."""
    auth = headers.get("Authorization") or ""
    token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
    body_token = args.pop("token", None)
    token = token or (body_token if isinstance(body_token, str) else None)
    if auth.startswith("Basic "):
        with contextlib.suppress(ValueError):
            client_id, _, secret = base64.b64decode(auth[len("Basic ") :]).decode().partition(":")
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", secret)
    return token


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slack does not turn connections away at a few dozen at once; socketserver's default backlog
    # of 5 resets them when a fan-out to hundreds of workspaces opens many at the same moment.
    request_queue_size = 1024
    emulator: SlackEmulator
    connections = 0  # TCP connections accepted: a client that keeps them alive opens few
    tls: ssl.SSLContext | None = None  # HTTPS, as Slack is served (the benches' --https)

    def get_request(self) -> tuple[Any, Any]:
        request, address = super().get_request()
        if self.tls is not None:  # the handshake happens on the handler's first read, in its thread
            request = self.tls.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        return request, address

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1  # one thread accepts, so the count needs no lock
        super().process_request(request, client_address)

    def server_bind(self) -> None:  # skip the reverse DNS lookup HTTPServer does
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SlackEmulator/1.0"
    # slack.com speaks HTTP/1.1, where a connection stays open for the next request unless the
    # client says `Connection: close` (RFC 9112 §9.3; urllib says it, urllib3's pool does not).
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle kept-alive connection is closed after this long, as servers do
    # Headers and body go out as two writes: with Nagle's algorithm the body would wait for the
    # client's delayed ACK (40 ms) on a kept-alive connection, a stall Slack's servers do not have.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/link/":  # Socket Mode's WebSocket (web_api/apps.py)
            self.server.emulator._websocket(self, urllib.parse.parse_qs(parts.query))
            return
        self._serve("GET")

    def _serve(self, verb: str) -> None:
        emulator = self.server.emulator
        emulator._answering(+1)
        try:
            self._answer(verb)
        finally:
            emulator._answering(-1)

    def _answer(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.emulator._arrive_late()
        try:
            reply = self.server.emulator._dispatch(verb, self.path, self.headers, body)
        except Exception as exc:  # a bug in the emulator must not look like a hung Slack
            reply = _Reply(500, f"emulator error: {exc!r}".encode(), {"Content-Type": "text/plain"})
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): that is what delay() is for

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HttpServer:
    """The emulator's HTTP side: start and stop the server, route each request to a Web API method, a
    response_url or a file upload, and answer as Slack does (JSON, or text for the non-API endpoints).
    Mixed into ``SlackEmulator``; ``self`` is the emulator."""

    def start(self) -> SlackEmulator:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.emulator = self
        if self.tls is not None:
            certificate, key = self.tls
            server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.tls.load_cert_chain(certificate, key)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self.close_sockets()
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackEmulator is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/"

    @property
    def connections(self) -> int:
        """TCP connections the app has opened to this Slack since it started."""
        return self._server.connections if self._server is not None else 0

    @property
    def base_url(self) -> str:
        """What to give ``WebClient(base_url=...)``."""
        return self.root_url + "api/"

    def _answering(self, change: int) -> None:
        with self._changed:
            self._in_flight += change
            self._changed.notify_all()

    def wait_until_answered(self, timeout: float = 10.0) -> None:
        """Wait until every request that has arrived has had its answer written, a late one
        (``delay()``) too: what a client that gave up left behind has then finished."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._in_flight == 0, timeout):
                raise AssertionError(f"{self._in_flight} request(s) still unanswered after {timeout} s")

    def _arrive_late(self) -> None:
        if self.late:
            with self._lock:
                seconds = self._late_rng.uniform(0, self.late)
            time.sleep(seconds)

    def _dispatch(self, verb: str, raw_path: str, headers: Any, body: bytes) -> _Reply:
        parts = urllib.parse.urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            return self._web_api(verb, path[len("/api/") :], parts.query, headers, body)
        if path.startswith("/response/"):
            return self._response_url(path[len("/response/") :], headers, body)
        if path.startswith("/upload/"):
            return self._upload(path[len("/upload/") :], body)
        return _Reply(404, b"not found", {"Content-Type": "text/plain"})

    def _text_answer(
        self,
        call: Call,
        status: int,
        text: str,
        content_type: str,
        *,
        response: dict[str, Any] | None = None,
        rejected: bool = False,
        wait: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> _Reply:
        """Record `call` as answered with `status` and a plain body, as Slack's webhook and upload
        URLs answer (the Web API answers JSON: _json_reply)."""
        call.status = status
        if response is not None:
            call.response = response
        self._record(call, rejected=rejected)
        return _Reply(status, text.encode(), {"Content-Type": content_type, **(headers or {})}, wait)

    @staticmethod
    def _json_reply(data: dict[str, Any], status: int = 200, **headers: str) -> _Reply:
        return _Reply(
            status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8", **headers}
        )

    @staticmethod
    def _parse_args(query: str, headers: Any, body: bytes) -> dict[str, Any]:
        args: dict[str, Any] = {}
        _add_pairs(args, urllib.parse.parse_qsl(query, keep_blank_values=True))
        content_type = (headers.get("Content-Type") or "").lower()
        if body:
            _add_body(args, content_type, body)
        for key in _JSON_FIELDS:
            value = args.get(key)
            if isinstance(value, str) and value[:1] in ("[", "{"):
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(value)
        return args

    def _record(self, call: Call, *, rejected: bool = False) -> None:
        with self._changed:
            (self.rejected if rejected else self.calls).append(call)
            self._changed.notify_all()

    def _web_api(self, verb: str, method: str, query: str, headers: Any, body: bytes) -> _Reply:
        try:
            args = self._parse_args(query, headers, body)
        except (ValueError, UnicodeDecodeError) as exc:
            error = "json_not_object" if str(exc) == "json_not_object" else "invalid_json"
            if not (headers.get("Content-Type") or "").lower().startswith("application/json"):
                error = "invalid_form_data"
            return self._json_reply({"ok": False, "error": error})
        token = _take_token(headers, args)

        with self._lock:
            tok = self._tokens.get(token) if token else None
            call = Call(method, args, token, tok.team_id if tok else None, time.time(), http_method=verb)
            auth_error = self._auth_error(method, token, tok)
            if auth_error:
                call.response = {"ok": False, "error": auth_error}
                self._record(call)
                return self._json_reply(call.response)
            refused = self._refused_by_fault(call)
            if refused is not None:
                return refused
            call.response = self._answer(call, tok)
            self._record(call)
            delay = self._take_fault("delay", call)
            return _Reply(
                200,
                json.dumps(call.response).encode(),
                {"Content-Type": "application/json; charset=utf-8"},
                delay.seconds if delay else 0.0,
            )

    def _auth_error(self, method: str, token: str | None, tok: _Token | None) -> str | None:
        """Slack's error for the call's token, or None when the token may call `method`."""
        if method in ("api.test", "oauth.v2.access"):  # oauth.v2.access: client_id/secret instead
            return None
        if method == "apps.connections.open":  # an app-level token, never a bot token
            return self.app_token_error(token)
        if not token:
            return "not_authed"
        if tok is None:
            return "invalid_auth"
        if tok.revoked:
            return "token_revoked"
        if tok.expires_at is not None and self.now() >= tok.expires_at:
            return "token_expired"
        return None

    def _refused_by_fault(self, call: Call) -> _Reply | None:
        """The reply of a scheduled server error, rate limit or malformed body that takes `call`,
        recorded; None when none does. Each kind of fault is taken in this order."""
        fault = self._take_fault("server_error", call)
        if fault is not None:
            call.status = fault.status
            self._record(call, rejected=True)
            return _Reply(
                fault.status,
                b"<html><body>Internal Server Error</body></html>",
                {"Content-Type": "text/html"},
            )
        retry_after = self._rate_limited(call)
        if retry_after is not None:
            call.status = 429
            call.response = {"ok": False, "error": "ratelimited"}
            self._record(call, rejected=True)
            return self._json_reply(call.response, 429, **{"Retry-After": str(retry_after)})
        fault = self._take_fault("malformed", call)
        if fault is not None:
            self._record(call)
            kind = "application/json" if fault.body.startswith(b"{") else "text/html"
            return _Reply(200, fault.body, {"Content-Type": kind + "; charset=utf-8"})
        return None

    def _answer(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        """The method's JSON answer, or the error of a scheduled failure or an unknown method."""
        fault = self._take_fault("fail", call)
        handler = self._methods.get(call.method)
        if fault is not None:
            return {"ok": False, "error": fault.error}
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            self._check_scope(call, tok)
            return handler(call, tok)
        except _SlackError as exc:
            return exc.response()

    @staticmethod
    def _check_scope(call: Call, tok: _Token | None) -> None:
        """Slack refuses a call whose token lacks a scope the method needs: ``missing_scope``, with
        the scope ``needed`` and those ``provided`` (docs.slack.dev/reference/methods/*, "Errors")."""
        if tok is None:
            return
        needed = missing_scope(call.method, call.args, tok.scopes)
        if needed is not None:
            raise _SlackError("missing_scope", needed=needed, provided=",".join(sorted(tok.scopes)))

    def _response_url(self, key: str, headers: Any, body: bytes) -> _Reply:
        url = f"{self.root_url}response/{key}"
        with self._lock:
            meta = self._response_urls.get(key)
            try:
                payload = json.loads(body.decode("utf-8")) if body else {}
            except (ValueError, UnicodeDecodeError):
                payload = {"_raw": body.decode("utf-8", "replace")}
            if isinstance(payload, dict) and isinstance(payload.get("blocks"), str):
                with contextlib.suppress(ValueError):
                    payload["blocks"] = json.loads(payload["blocks"])
            call = Call(
                "response_url",
                payload if isinstance(payload, dict) else {"_raw": payload},
                None,
                meta["team_id"] if meta else None,
                time.time(),
                url=url,
            )
            if meta is None:
                return self._text_answer(call, 404, "no_service", HTML, response=_error("no_service"))
            spent = self._response_url_spent(meta)
            if spent is not None:
                self._note("response_url", [f"{spent}: {url}"])
                return self._text_answer(call, 404, spent, HTML, response=_error(spent))
            fault = self._take_fault("server_error", call)
            if fault is not None:
                return self._text_answer(call, fault.status, "Internal Server Error", HTML, rejected=True)
            retry_after = self._rate_limited(call)
            if retry_after is not None:
                return self._text_answer(
                    call, 429, "rate_limited", HTML, rejected=True, headers={"Retry-After": str(retry_after)}
                )
            fault = self._take_fault("fail", call)
            delay = self._take_fault("delay", call)
            wait = delay.seconds if delay else 0.0
            if fault is not None:
                status = 404 if fault.error in ("expired_url", "used_url", "no_service") else 400
                return self._text_answer(
                    call, status, fault.error, HTML, response=_error(fault.error), wait=wait
                )
            if "_raw" in call.args:
                return self._text_answer(
                    call, 400, "invalid_payload", HTML, response=_error("invalid_payload"), wait=wait
                )
            require_text = not call.args.get("delete_original")
            errors = self.check_message("response_url", call.args, require_text=require_text)
            if errors:
                error = "no_text" if errors == ["no_text"] else "invalid_blocks"
                return self._text_answer(
                    call, 400, error, HTML, response={**_error(error), "errors": errors}, wait=wait
                )
            return self._text_answer(call, 200, "ok", HTML, response={"ok": True}, wait=wait)

    def _response_url_spent(self, meta: dict[str, Any]) -> str | None:
        """Slack's refusal of a response_url past its uses or its time, or None (and one more use)."""
        if self.now() - meta["issued"] > RESPONSE_URL_SECONDS:
            return "expired_url"
        if meta["uses"] >= RESPONSE_URL_USES:
            return "used_url"
        meta["uses"] += 1
        return None

    def _upload(self, file_id: str, body: bytes) -> _Reply:
        with self._lock:
            f = self.files.get(file_id)
            call = Call(
                "upload_url",
                {"file_id": file_id, "content": body, "length": len(body)},
                None,
                f.team_id if f else None,
                time.time(),
                url=f"{self.root_url}upload/{file_id}",
            )
            if f is None:
                return self._text_answer(call, 404, "file_not_found", TEXT, response=_error("file_not_found"))
            fault = self._take_fault("server_error", call)
            if fault is not None:
                return self._text_answer(call, fault.status, "Internal Server Error", TEXT, rejected=True)
            f.content = body
            if len(body) != f.length:
                self.warnings.append(
                    f"upload_url: {file_id} declared length {f.length}, got {len(body)} bytes"
                )
            return self._text_answer(call, 200, f"OK - {len(body)}", TEXT, response={"ok": True})
