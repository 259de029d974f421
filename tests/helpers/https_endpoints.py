"""A real HTTPS endpoint on 127.0.0.1 (port 0) with a server certificate from the test CA, as an integrator runs it.

`endpoint_server` records every POST it is sent; while `down` is set it answers 503 (the integrator's service is
down), else 200. Used by the receipt-push tests; the REST push tests to receiver systems use helpers.push_server,
whose server certificate this shares.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from helpers.push_server import serve_https


@dataclass
class Posted:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class EndpointServer:
    port: int = 0
    down: bool = False
    posts: list[Posted] = field(default_factory=list)  # what was answered 2xx
    refused: list[Posted] = field(default_factory=list)  # what came while down

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/digitalpost/receipts"


@contextmanager
def endpoint_server(cert_file: Path, key_file: Path) -> Iterator[EndpointServer]:
    state = EndpointServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            posted = Posted(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                status = 503 if state.down else 200
                (state.refused if state.down else state.posts).append(posted)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serve_https(Handler, cert_file, key_file) as port:
        state.port = port
        yield state
