"""Staff sign-in in a real browser: a new member changes the generated password and enrols an authenticator
(the secret read off the page, the code computed from it as an app would), signing in with the app's code, a
wrong code refused, the lock-out after repeated failures, a reset link that works once and expires, and the
prompt for a fresh code before a token is created.
"""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from cast import STAFF_PASSWORD, Cast, build_staff
from digitalpost.accounts.services import create_organisation
from digitalpost.audit.models import AuditEntry
from helpers.browser import sign_in, type_code, type_password
from helpers.otp import authenticator, code_at, next_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PASSWORD = "my-own-long-password-2026"


def test_a_new_member_changes_the_initial_password_and_enrols_an_authenticator(
    page: Page, live_server, tx_cast: Cast, screenshot
):
    base = live_server.url
    cvr = "12345674"
    added = create_organisation(cvr=cvr, name="Østby Kommune", superadmin_username="ida",
                                superadmin_email="ida@example.org").superadmin
    type_password(page, base, "ida", added.initial_password or "")
    expect(page).to_have_url(re.compile(r"/portal/login/password/"))
    page.goto(f"{base}/portal/{cvr}/")  # nothing else opens before the password is changed
    expect(page).to_have_url(re.compile(r"/portal/login/password/"))
    page.locator('input[name="old_password"]').fill(added.initial_password or "")
    page.locator('input[name="new_password1"]').fill(NEW_PASSWORD)
    page.locator('input[name="new_password2"]').fill(NEW_PASSWORD)
    page.locator("#password-change button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/portal/login/enrol/"))
    expect(page.locator("#totp-qr svg")).to_be_visible()
    screenshot("portal-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key_hex = base64.b32decode(secret).hex()
    type_code(page, code_at(key_hex, int(time.time()) // 30))
    expect(page.locator("#backup-codes li")).to_have_count(10)
    page.locator("#continue").click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/")
    assert User.objects.get(username="ida").check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="second_factor.enrolled", object_label="ida").exists()


def test_sign_in_with_the_apps_code_and_a_wrong_code_is_refused(page: Page, live_server, tx_cast: Cast):
    build_staff(tx_cast)
    base = live_server.url
    device = authenticator(User.objects.get(username="nora"))
    type_password(page, base, "nora")
    expect(page).to_have_url(re.compile(r"/portal/login/verify/"))
    right = next_code(device)
    type_code(page, f"{(int(right) + 1) % 1_000_000:06d}")
    expect(page.locator("#second-factor .errorlist")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/portal/login/verify/"))
    type_code(page, right)
    expect(page).to_have_url(f"{base}/portal/{tx_cast.nordby.authority.cvr}/")


def test_repeated_failures_lock_out_with_a_clear_message(page: Page, live_server, tx_cast: Cast, settings,
                                                          screenshot):
    build_staff(tx_cast)
    base = live_server.url
    for _ in range(settings.AXES_FAILURE_LIMIT):
        type_password(page, base, "nora", "wrong-password")
    expect(page.locator("#locked-out")).to_be_visible()
    screenshot("portal-locked-out")
    type_password(page, base, "nora")  # the right password changes nothing while locked out
    expect(page.locator("#locked-out")).to_be_visible()
    assert AuditEntry.objects.filter(action="sign_in.locked_out", object_label="nora").exists()


def _reset_link(smtp_relay) -> str:
    *_, (_, mail) = smtp_relay.notices("password-reset")
    return re.search(r"http://\S+/portal/login/reset/\S+/", mail.get_content()).group(0)


def _ask_for_reset(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/portal/login/")
    page.locator("a[href=\"/portal/login/reset/\"]").click()
    page.locator('input[name="email"]').fill(email)
    page.locator("#password-reset button[type=submit]").click()
    expect(page.locator("#reset-sent")).to_be_visible()


def test_a_reset_link_works_once_and_expires(page: Page, live_server, tx_cast: Cast, settings, smtp_relay):
    build_staff(tx_cast)
    base = live_server.url
    settings.DIGITALPOST_PORTAL_URL = base
    _ask_for_reset(page, base, "nobody@example.org")  # the same answer, and no mail
    assert smtp_relay.mails == []
    _ask_for_reset(page, base, "nora@example.org")
    link = _reset_link(smtp_relay)
    page.goto(link)
    page.locator('input[name="new_password1"]').fill(NEW_PASSWORD)
    page.locator('input[name="new_password2"]').fill(NEW_PASSWORD)
    page.locator("#password-reset-confirm button[type=submit]").click()
    expect(page.locator("#reset-done")).to_be_visible()
    assert User.objects.get(username="nora").check_password(NEW_PASSWORD)
    page.goto(link)  # used once: no more
    expect(page.locator("#reset-link-invalid")).to_be_visible()

    _ask_for_reset(page, base, "nora@example.org")
    expiring = _reset_link(smtp_relay)
    settings.PASSWORD_RESET_TIMEOUT = -1  # its lifetime is over
    page.goto(expiring)
    expect(page.locator("#reset-link-invalid")).to_be_visible()


def test_creating_a_token_asks_for_a_fresh_code(page: Page, live_server, tx_cast: Cast, settings):
    build_staff(tx_cast)
    base = live_server.url
    sign_in(page, base, "nora")
    settings.DIGITALPOST_REAUTH_MINUTES = 0  # the sign-in's code is no longer fresh
    page.goto(f"{base}/portal/account/tokens/")
    page.locator('input[name="name"]').fill("nattelig synkronisering")
    page.locator("main form.edit button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/portal/account/confirm/"))
    assert not User.objects.get(username="nora").admin_tokens.exists()
    settings.DIGITALPOST_REAUTH_MINUTES = 10
    type_code(page, next_code(authenticator(User.objects.get(username="nora"))))
    expect(page).to_have_url(f"{base}/portal/account/tokens/")
    page.locator('input[name="name"]').fill("nattelig synkronisering")
    page.locator("main form.edit button[type=submit]").click()
    expect(page.locator("#issued")).to_be_visible()
    assert User.objects.get(username="nora").admin_tokens.count() == 1


def test_the_staff_password_alone_never_reaches_a_page(page: Page, live_server, tx_cast: Cast):
    build_staff(tx_cast)
    base = live_server.url
    authenticator(User.objects.get(username="nora"))
    type_password(page, base, "nora", STAFF_PASSWORD)
    page.goto(f"{base}/portal/{tx_cast.nordby.authority.cvr}/")
    expect(page).to_have_url(re.compile(r"/portal/login/verify/"))
