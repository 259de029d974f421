"""Talking to the real server (pytest-django's live_server) as a signed-in portal user, with `requests`."""

from __future__ import annotations

import requests
from django.conf import settings
from django.contrib.auth.models import User

from helpers.otp import verified_client


def staff_session(base: str, user: User) -> requests.Session:
    """A requests session carrying `user`'s portal session cookie (signed in without the login form, second
    factor passed just now, so the tests of other pages do not depend on the sign-in steps)."""
    client = verified_client(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    session.headers["Referer"] = base + "/"
    return session


def csrf_token(session: requests.Session, base: str, path: str) -> str:
    """GET `path` so the CSRF cookie is set; the token to send back in the form."""
    response = session.get(base + path, timeout=30)
    response.raise_for_status()
    return session.cookies[settings.CSRF_COOKIE_NAME]
