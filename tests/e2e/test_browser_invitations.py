"""An invitation end to end in Chromium: Sydby's superadministrator invites an address, the worker mails the link
through a real SMTP relay on 127.0.0.1, the invitee opens it, signs in and accepts. The attack of issue 18 —
enrolling Nordby's nora by her user name and reading her name and address — finds no way: the invitation
answers the same for any address, shows nobody, and makes no member until the link is accepted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cast import STAFF_PASSWORD, Cast, build_staff
from digitalpost.accounts.models import Invitation, Membership
from digitalpost.outbox.models import WorkKind
from helpers.browser import sign_in, type_code
from helpers.invitations import invitation_link, invitation_mails
from helpers.otp import authenticator, next_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _invite(page: Page, base: str, cvr: str, email: str, role: str) -> str:
    page.goto(f"{base}/portal/{cvr}/users/invite/")
    page.locator('input[name="email"]').fill(email)
    page.locator('select[name="role"]').select_option(role)
    page.locator("main form.edit button[type=submit]").click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/users/")
    return page.locator("main .notice.success").inner_text()


def test_an_invitation_is_mailed_opened_signed_in_to_and_accepted(
    page: Page, live_server, tx_cast: Cast, settings, smtp_relay, drain, screenshot
):
    staff = build_staff(tx_cast)
    base = live_server.url
    settings.DIGITALPOST_PORTAL_URL = base
    sydby = tx_cast.sydby.authority.cvr
    sign_in(page, base, "sofie")
    for_nora = _invite(page, base, sydby, "nora@example.org", "caseworker")
    for_nobody = _invite(page, base, sydby, "nobody-at-all@example.org", "caseworker")
    assert for_nora.replace("nora@example.org", "X") == for_nobody.replace("nobody-at-all@example.org", "X")
    users_page = page.locator("main").inner_text()
    assert "Nora Nielsen" not in users_page
    assert not Membership.objects.filter(user=staff.nora, authority=tx_cast.sydby.authority).exists()
    screenshot("portal-invitations")

    drain(WorkKind.NOTIFY)
    [mail] = [m for rcpts, m in invitation_mails(smtp_relay) if rcpts == ["nora@example.org"]]
    url, token = invitation_link(mail)
    assert url == f"{base}/portal/invitation/"

    page.context.clear_cookies()
    page.goto(f"{url}#{token}")  # invitation.js posts the code; it never travels in a URL
    expect(page.locator("#invitation-heading")).to_contain_text("Sydby Kommune")
    assert token not in page.url
    assert not Membership.objects.filter(user=staff.nora, authority=tx_cast.sydby.authority).exists()
    device = authenticator(staff.nora)  # her authenticator app, enrolled before
    page.locator("#invitation-sign-in").click()
    page.locator('input[name="username"]').fill("nora")
    page.locator('input[name="password"]').fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/portal/login/verify/**")
    type_code(page, next_code(device))
    expect(page).to_have_url(f"{base}/portal/invitation/")
    page.locator("#invitation-accept button[type=submit]").click()
    expect(page).to_have_url(f"{base}/portal/{sydby}/")
    membership = Membership.objects.get(user=staff.nora, authority=tx_cast.sydby.authority)
    assert membership.role == "caseworker"
    assert Invitation.objects.get(email="nora@example.org").accepted_by == staff.nora

    # The link worked once.
    page.goto(f"{url}#{token}")
    expect(page.locator("#invitation-invalid")).to_be_visible()


def test_a_new_person_creates_a_user_through_the_link(
    page: Page, live_server, tx_cast: Cast, settings, smtp_relay, drain
):
    build_staff(tx_cast)
    base = live_server.url
    settings.DIGITALPOST_PORTAL_URL = base
    nordby = tx_cast.nordby.authority.cvr
    sign_in(page, base, "nora")
    _invite(page, base, nordby, "ida@nordby.example", "administrator")
    drain(WorkKind.NOTIFY)
    [(_, mail)] = invitation_mails(smtp_relay)
    url, token = invitation_link(mail)
    page.context.clear_cookies()
    page.goto(f"{url}#{token}")
    page.locator("#invitation-new-user").click()
    page.locator('input[name="username"]').fill("ida")
    page.locator('input[name="full_name"]').fill("Ida Iversen")
    page.locator('input[name="password1"]').fill("ida-s-own-long-password")
    page.locator('input[name="password2"]').fill("ida-s-own-long-password")
    page.locator("#invitation-account button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/portal/login/enrol/"))
    membership = Membership.objects.get(user__username="ida")
    assert (membership.authority.cvr, membership.role, membership.user.email) == (
        nordby, "administrator", "ida@nordby.example")
