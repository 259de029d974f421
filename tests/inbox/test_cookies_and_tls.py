"""Cookies and TLS: https is believed only from the configured proxies; then cookies are Secure and HSTS is sent."""

from __future__ import annotations

import pytest
from django.test import Client

TRUSTED = "10.9.8.7"


@pytest.fixture
def behind_tls(settings):
    settings.DIGITALPOST_TRUSTED_PROXIES = [TRUSTED]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


def test_https_from_a_trusted_proxy_gets_hsts_and_secure_cookies(behind_tls, db):
    response = Client(REMOTE_ADDR=TRUSTED).get("/portal/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"] is True


def test_a_client_claiming_https_directly_is_not_believed(behind_tls, db):
    response = Client(REMOTE_ADDR="192.0.2.10").get("/portal/login/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response


def test_sessions_are_short_by_default(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.DIGITALPOST_MAILBOX_IDLE_SECONDS == 15 * 60
