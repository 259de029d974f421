"""Fixtures for notices: a real SMTP relay (aiosmtpd on 127.0.0.1); helpers live in notices_world."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from notices_world import MAILBOX_URL, Relay, free_port


@pytest.fixture
def relay(settings):
    sink = Relay(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = sink.port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    settings.DIGITALPOST_MAILBOX_URL = MAILBOX_URL
    yield sink
    controller.stop()
