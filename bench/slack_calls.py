"""What one Web API call costs the app, over HTTPS as Slack is served: slack_sdk's own client (a
new connection and TLS handshake a call) against the delivery engine's pooled client
(bot/slack_client.py PooledWebClient: connections kept alive), side by side in one run.

A local HTTPS server (a self-signed certificate made with the `openssl` command, trusted through
SSL_CERT_FILE) answers chat.postMessage at once, in a process of its own, so only the client's
CPU is counted. Plain HTTP (what the fan-out benches' emulator speaks) is measured beside it.

    python bench/slack_calls.py [--calls 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import self_signed_certificate  # noqa: E402

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 300}}]


def serve(port: int, cert: str | None, key: str | None) -> None:
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"ok": True, "channel": "D0BENCH", "ts": "1.000001"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    if cert and key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(url: str, pooled: bool, calls: int) -> tuple[float, float]:
    """(ms of CPU, ms of wall time) per chat.postMessage."""
    from bot.slack_client import build_web_client, connection_pool

    client = build_web_client("xoxb-bench", url, pool=connection_pool(4) if pooled else None)
    client.chat_postMessage(channel="D0BENCH", text="warm up")
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(calls):
        client.chat_postMessage(channel="D0BENCH", text=f"reminder {n}", blocks=BLOCKS)
    return 1000 * (time.process_time() - cpu) / calls, 1000 * (time.perf_counter() - wall) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="northline-tls-"))
    cert, key = self_signed_certificate(folder)  # the clients' default context trusts it
    servers, urls = [], {}
    for scheme, tls in (("https", (cert, key)), ("http", (None, None))):
        port = free_port()
        process = multiprocessing.Process(target=serve, args=(port, *tls), daemon=True)
        process.start()
        servers.append(process)
        urls[scheme] = f"{scheme}://127.0.0.1:{port}/api/"
    time.sleep(1)
    print(
        f"one chat.postMessage, {args.calls} calls a round, {args.rounds} rounds, side by side (ms per call)"
    )
    try:
        for scheme, url in urls.items():
            for pooled in (False, True):
                runs = [measure(url, pooled, args.calls) for _ in range(args.rounds)]
                cpu = sorted(r[0] for r in runs)[len(runs) // 2]
                wall = sorted(r[1] for r in runs)[len(runs) // 2]
                name = "pooled (kept alive)" if pooled else "slack_sdk (a connection a call)"
                print(f"  {scheme:5} {name:32}: {cpu:5.2f} ms CPU, {wall:5.2f} ms wall (median)")
    finally:
        for process in servers:
            process.terminate()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
