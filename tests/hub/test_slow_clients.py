"""Slow clients (slowloris) against the real web hub that `digitalpost run` starts, without nginx in front.

128 connections trickle their headers or a declared body at one byte a second; normal requests are still answered,
and every slow connection is closed once it passes the header timeout or the slowest upload rate allowed.
"""

from __future__ import annotations

import time

import pytest

from helpers.hub_process import running_hub, slow_clients

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 128


def test_normal_requests_are_answered_while_128_slow_clients_trickle(tmp_path):
    with running_hub(tmp_path, "--no-smtp", "--no-scheduler", DIGITALPOST_WEB_HEADER_SECONDS="4",
                     DIGITALPOST_WEB_BODY_GRACE_SECONDS="4") as hub, slow_clients(hub.port, SLOW_CLIENTS) as slow:
        time.sleep(3)  # the attack stopped the gthread hub within 3 s
        assert slow.waiting_count() == SLOW_CLIENTS, "the slow clients should still be connected, trickling"
        for path in ("/apis/v1/health", "/portal/login/", "/apis/v1/health", "/"):
            status, _ = hub.get(path, timeout=10)
            assert status in (200, 302), path
        # Bounded read times: no slow client keeps its connection past the header timeout or the body grace.
        deadline = time.monotonic() + 30
        while slow.waiting_count() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.waiting_count() == 0, f"{slow.waiting_count()} slow clients still connected"
        assert hub.get("/apis/v1/health")[0] == 200
    assert "408" in hub.log_text(), "the slow bodies should be answered 408 request.too.slow"
