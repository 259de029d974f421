"""Slow clients and oversized requests against the real web hub that `digitalpost run` starts, without nginx.

128 connections trickle their headers or a declared body at one byte a second; normal requests are still answered,
and every slow connection is closed once it passes the header timeout or the slowest upload rate allowed. A 20 MB
form to the sign-in page is refused from its Content-Length, before its body is read.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import pytest

from helpers.hub_process import HubProcess, rss_bytes, running_hub, slow_clients

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]

SLOW_CLIENTS = 128
FORM_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[HubProcess]:
    with running_hub(tmp_path_factory.mktemp("hub"), "--no-smtp", "--no-scheduler",
                     DIGITALPOST_WEB_HEADER_SECONDS="4", DIGITALPOST_WEB_BODY_GRACE_SECONDS="4") as running:
        yield running


def test_normal_requests_are_answered_while_128_slow_clients_trickle(hub):
    with slow_clients(hub.port, SLOW_CLIENTS) as slow:
        time.sleep(3)  # the attack stopped the gthread hub within 3 s
        assert slow.waiting_count() == SLOW_CLIENTS, "the slow clients should still be connected, trickling"
        for path in ("/apis/v1/health", "/portal/login/", "/apis/v1/health", "/"):
            status, _ = hub.get(path, timeout=10)
            assert status in (200, 302), path
        # Bounded read times: no slow client keeps its connection past the header timeout or the body grace.
        deadline = time.monotonic() + 30
        while slow.waiting_count() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.waiting_count() == 0, f"{slow.waiting_count()} slow clients still waiting"
        assert hub.get("/apis/v1/health")[0] == 200
    assert '"POST /portal/login/ HTTP/1.1" 408' in hub.log_text(), "slow bodies are answered 408 request.too.slow"


def test_a_20_mb_form_is_refused_from_its_content_length_before_its_body_is_read(hub):
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
        # Only the headers: the answer comes without a byte of the body, so the body cannot have been read.
        sock.sendall(b"POST /portal/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % FORM_BYTES)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"request.too.large" in answer


def test_a_20_mb_form_sent_in_full_does_not_grow_the_web_server(hub):
    before = {pid: rss_bytes(pid) for pid in hub.web_pids()}
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    body = b"username=" + b"a" * (FORM_BYTES - 9)
    try:
        conn.request("POST", "/portal/login/", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        assert response.status == 413
        assert b"request.too.large" in response.read()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the hub answered and closed while the client was still sending: refused unread all the same
    finally:
        conn.close()
    grown = max(rss_bytes(pid) - before.get(pid, 0) for pid in hub.web_pids())
    assert grown < FORM_BYTES, f"a web process grew by {grown} bytes for a refused {FORM_BYTES}-byte form"


def test_chunked_bodies_are_cut_off_at_the_route_cap(hub):
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    chunks = iter([b"a" * (1024 * 1024)] * 4)  # 4 MB, no Content-Length; the form cap is 2 MB
    try:
        conn.request("POST", "/portal/login/", body=chunks, encode_chunked=True,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert conn.getresponse().status == 413
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        conn.close()
    assert '"POST /portal/login/ HTTP/1.1" 413' in hub.log_text()
