"""Socket Mode: apps.connections.open and the WebSocket it hands out.

As Slack documents it (https://docs.slack.dev/reference/methods/apps.connections.open and
https://docs.slack.dev/apis/events-api/using-socket-mode): apps.connections.open takes an
app-level token (xapp-, scope connections:write) and answers
``{"ok": true, "url": "wss://wss-primary.slack.com/link/?ticket=…&app_id=…"}``; a bot token is
refused with ``not_allowed_token_type``. The URL's ticket is good for one connection. Once the
WebSocket is open Slack sends ``{"type": "hello", "num_connections": 1, "debug_info": {…},
"connection_info": {"app_id": …}}`` and answers pings with pongs. The emulator hands out ws:// on
its own address (no TLS), or on ``websocket_origin`` when a test puts something in between.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
from typing import Any

from tests.slack.records import Call, _Token

_WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class SocketModeApi:
    """Mixed into ``SlackEmulator``; ``self`` is the emulator."""

    websocket_origin: str | None = None  # e.g. "ws://127.0.0.1:PORT" of a proxy in front

    def add_app_token(self, token: str) -> str:
        """An app-level token (xapp-…) with connections:write, for apps.connections.open."""
        with self._lock:
            self._app_tokens.add(token)
        return token

    def socket_connections(self) -> int:
        """How many Socket Mode WebSockets are open now."""
        with self._lock:
            return len(self._sockets_open)

    def wait_for_socket(self, count: int = 1, timeout: float = 10.0) -> None:
        """Until `count` WebSockets have been opened in all (since the emulator started)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._sockets_opened >= count, timeout):
                raise AssertionError(f"{self._sockets_opened} WebSocket(s) opened, expected {count}")

    def app_token_error(self, token: str | None) -> str | None:
        """Slack's error for apps.connections.open with `token`, or None."""
        if not token:
            return "not_authed"
        if token in self._app_tokens:
            return None
        return "not_allowed_token_type" if token in self._tokens else "invalid_auth"

    def _apps_connections_open(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        ticket = self._secret("")
        with self._lock:
            self._tickets.add(ticket)
        origin = self.websocket_origin or self.root_url.rstrip("/").replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{origin}/link/?ticket={ticket}&app_id={self.app_id}"}

    # --- the WebSocket ------------------------------------------------------------------------------

    def _websocket(self, handler: Any, query: dict[str, list[str]]) -> None:
        """Serve one Socket Mode connection on the request's socket until either side closes."""
        ticket = (query.get("ticket") or [""])[0]
        key = handler.headers.get("Sec-WebSocket-Key")
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid or not key or (handler.headers.get("Upgrade") or "").lower() != "websocket":
            handler.send_response(400 if key else 426)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        accept = base64.b64encode(hashlib.sha1((key + _WEBSOCKET_GUID).encode()).digest()).decode()  # noqa: S324
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.end_headers()
        handler.wfile.flush()
        handler.close_connection = True
        sock: socket.socket = handler.connection
        with self._changed:
            self._sockets_open.add(sock)
            self._sockets_opened += 1
            self._changed.notify_all()
        try:
            hello = {
                "type": "hello",
                "num_connections": len(self._sockets_open),
                "debug_info": {
                    "host": "applink-emulator",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
            _send(sock, TEXT, json.dumps(hello).encode())
            _serve_frames(sock, handler.rfile)
        except (OSError, ValueError):
            pass
        finally:
            with self._changed:
                self._sockets_open.discard(sock)
                self._changed.notify_all()

    def close_sockets(self) -> None:
        """Drop every open WebSocket, as Slack does when it refreshes its servers."""
        with self._lock:
            sockets = list(self._sockets_open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


_send_lock = threading.Lock()


def _send(sock: socket.socket, opcode: int, payload: bytes) -> None:
    """One unmasked frame (a server never masks)."""
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 65536:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    with _send_lock:
        sock.sendall(head + payload)


def _read_exactly(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise ValueError("connection closed")
    return data


def _serve_frames(sock: socket.socket, stream: Any) -> None:
    """Read the client's (masked) frames: answer pings, end on close."""
    while True:
        first, second = _read_exactly(stream, 2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", _read_exactly(stream, 2))
        elif length == 127:
            (length,) = struct.unpack("!Q", _read_exactly(stream, 8))
        mask = _read_exactly(stream, 4) if second & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exactly(stream, length)))
        if opcode == PING:
            _send(sock, PONG, payload)
        elif opcode == CLOSE:
            _send(sock, CLOSE, payload[:2])
            return
