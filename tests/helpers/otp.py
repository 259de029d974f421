"""The second factor in tests: an enrolled authenticator, its codes, and clients past the sign-in.

Codes are computed from the device's key with django-otp's own HOTP, exactly as an authenticator app does.
A TOTP code is accepted once (django-otp remembers the last time step used) and within one step either side
of now, so `next_code` gives the earliest step not yet used.
"""

from __future__ import annotations

import time

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from digitalpost.accounts.selectors import must_change_password
from digitalpost.accounts.services import change_password, enrol_totp_with_key
from digitalpost.portal.signin import complete_second_factor


def authenticator(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, enrolled now if they have none."""
    found = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return found or enrol_totp_with_key(user=user).device


def code_at(key_hex: str, step: int) -> str:
    return f"{hotp(bytes.fromhex(key_hex), step, 6):06d}"


def next_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    now = int(time.time() - device.t0) // device.step
    # django-otp accepts the steps around now (shifted by the drift it learnt), each only once.
    window = range(now + device.drift - device.tolerance, now + device.drift + device.tolerance + 1)
    usable = [step for step in window if step > device.last_t]
    if not usable:  # all used within this step: wait for the next, as a person would
        time.sleep(device.step - time.time() % device.step + 0.1)
        return next_code(device)
    return code_at(device.key, min(usable, key=lambda step: abs(step - now)))


def verified_client(user: User, *, language: str = "en") -> Client:
    """A test client signed in as `user` with the second factor passed, marked through django-otp's login()."""
    if must_change_password(user):  # they chose their own password at their first sign-in
        from cast import STAFF_PASSWORD  # here: cast imports this module

        change_password(user=user, new_password=STAFF_PASSWORD)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    complete_second_factor(request, authenticator(user))
    request.session.save()
    return client


def sign_in_with_code(client: Client, username: str, password: str, device: TOTPDevice) -> None:
    """Sign in through the portal's own pages: the password, then the authenticator's code."""
    response = client.post("/portal/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    assert response["Location"].startswith("/portal/login/verify/"), response["Location"]
    response = client.post(response["Location"], {"code": next_code(device)})
    assert response.status_code == 302, response.content
