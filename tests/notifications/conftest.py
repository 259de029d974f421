"""Fixtures for notices: the shared real SMTP relay (tests/helpers/smtp_relay.py) and the web mailbox's address."""

from __future__ import annotations

import pytest

from helpers.notices_world import MAILBOX_URL


@pytest.fixture
def relay(smtp_relay, settings):
    settings.DIGITALPOST_MAILBOX_URL = MAILBOX_URL
    return smtp_relay
