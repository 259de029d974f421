"""The gateway's session limits, against the real SMTP server on 127.0.0.1: an idle or overlong session is told
why (421 session.too.long) and closed, a connection beyond the cap is answered 421 sessions.too.many, and a mail
whose declared SIZE is over the limit is refused at MAIL FROM, before its data is sent."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time

import pytest

from helpers.secure_mail import HUB_ADDRESS, running_gateway

pytestmark = pytest.mark.slow


def _banner_then_rest(port: int, *, keepalive: float = 0.0, within: float = 20.0) -> tuple[bytes, bytes]:
    """Connect; return the first reply and everything the gateway sends until it closes the session (with
    `keepalive`, a NOOP after each `keepalive` seconds of silence keeps the session from being idle)."""
    with socket.create_connection(("127.0.0.1", port), timeout=within) as sock:
        banner = sock.recv(4096)
        rest = b""
        deadline = time.monotonic() + within
        sock.settimeout(keepalive or within)
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                sock.sendall(b"NOOP\r\n")
                continue
            if not chunk:
                return banner, rest
            rest += chunk
        raise AssertionError(f"the gateway kept the session open for {within} s: {rest!r}")


def test_an_idle_session_is_told_and_closed(hub_settings, settings):
    settings.DIGITALPOST_GATEWAY_IDLE_SECONDS = 1
    with running_gateway() as port:
        banner, rest = _banner_then_rest(port)
    assert banner.startswith(b"220 ")
    assert rest.startswith(b"421")
    assert b"session.too.long" in rest


def test_a_session_that_keeps_talking_is_closed_after_the_session_limit(hub_settings, settings):
    settings.DIGITALPOST_GATEWAY_IDLE_SECONDS = 30
    settings.DIGITALPOST_GATEWAY_SESSION_SECONDS = 2
    with running_gateway() as port:
        banner, rest = _banner_then_rest(port, keepalive=0.3)
    assert banner.startswith(b"220 ")
    assert b"250" in rest, "NOOPs are answered until the limit"
    assert b"421" in rest
    assert b"session.too.long" in rest


def test_connections_beyond_the_cap_are_answered_421_and_a_freed_slot_is_taken(hub_settings, settings):
    settings.DIGITALPOST_GATEWAY_MAX_SESSIONS = 2
    with running_gateway() as port:
        first = socket.create_connection(("127.0.0.1", port), timeout=10)
        second = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            assert first.recv(4096).startswith(b"220 ")
            assert second.recv(4096).startswith(b"220 ")
            refused, rest = _banner_then_rest(port)
            assert refused.startswith(b"421")
            assert b"sessions.too.many" in refused + rest
            first.close()
            time.sleep(0.5)  # the gateway sees the close on its next loop turn
            again, _ = _banner_then_rest_after_quit(port)
            assert again.startswith(b"220 ")
        finally:
            first.close()
            second.close()


def _banner_then_rest_after_quit(port: int) -> tuple[bytes, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        banner = sock.recv(4096)
        sock.sendall(b"QUIT\r\n")
        return banner, sock.recv(4096)


def test_a_declared_size_over_the_limit_is_refused_at_mail_from(hub_settings, settings):
    settings.DIGITALPOST_MAX_MAIL_BYTES = 1_000_000
    with running_gateway() as port, smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client.starttls(context=context)
        client.ehlo()
        code, text = client.mail("sagsbehandler@nordby.dk", options=["SIZE=1000001"])
        assert code == 552
        assert b"message.too.large" in text
        code, _ = client.mail("sagsbehandler@nordby.dk", options=["SIZE=999999"])
        assert code == 250
        code, _ = client.rcpt(HUB_ADDRESS)
        assert code == 250
