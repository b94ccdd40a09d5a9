"""A real HTTP receiver for heardback's events (the standard library's server in a thread):
it records each request and answers as scripted. Shared by the events tests and the provider
tests that check `command.refused`."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "whsec-test-0123456789abcdef"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.body)
        return doc


@dataclass
class Receiver:
    """Answers each request with the next scripted (status, delay), then `then`."""

    script: list[tuple[int, float]] = field(default_factory=list)
    then: tuple[int, float] = (200, 0.0)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/heardback"

    def taken(self) -> list[dict[str, Any]]:
        """The events answered 2xx, in arrival order (one per attempt that succeeded)."""
        with self.lock:
            return [r.event for r in self.received if r.headers.get("x-answered") == "200"]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.taken() if e["type"] == kind]


@contextlib.contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                status, delay = receiver.script.pop(0) if receiver.script else receiver.then
                headers = {k.lower(): v for k, v in self.headers.items()}
                # An answer slower than heardback's timeout (1 s here) is one it never saw.
                headers["x-answered"] = str(status) if delay < 1.0 else f"{status} too late"
                receiver.received.append(Received(headers, body))
            time.sleep(delay)
            with contextlib.suppress(OSError):  # the client gave up waiting: fine
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def signed_by(r: Received, secret: str) -> bool:
    """The documented check, written out: HMAC-SHA256 of "<t>.<body>" in one of the v1s."""
    parts = dict(p.split("=", 1) for p in r.headers["heardback-signature"].split(",")[:1])
    stamp = parts["t"]
    given = [p[3:] for p in r.headers["heardback-signature"].split(",") if p.startswith("v1=")]
    want = hmac.new(secret.encode(), f"{stamp}.".encode() + r.body, hashlib.sha256).hexdigest()
    return want in given and abs(time.time() - int(stamp)) < 300
