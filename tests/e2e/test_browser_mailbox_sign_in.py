"""Signing in to the web mailbox with MitID the real way: a real OpenID provider, the hub, headless Chromium.

The provider is npm's certified `oidc-provider` set up like NemLog-in (tests/helpers/oidc.py). Every refusal —
a wrong signature, a wrong audience, an expired token, a nonce of another sign-in, a replayed answer, a too-low
level of assurance, a missing CPR claim, a company employee without the company's right — gets its own page
with its code, and afterwards nobody is signed in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from cast import Cast
from digitalpost.audit.models import AuditEntry
from digitalpost.registry.models import CompanyMailboxAccess
from helpers.oidc import DORTE_WITH_RIGHT_ID, RunningProvider, oidc_provider, oidc_provider_process  # noqa: F401
from helpers.pages import deliver_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in_at_provider(page: Page, base: str, login: str) -> None:
    """Start at the hub's sign-in page and sign in at the provider's own form as one of provider.js's people."""
    page.goto(f"{base}/login/")
    page.locator("#mitid-sign-in").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any")
    page.locator("button.login-submit").click()


def assert_nobody_signed_in(page: Page, base: str) -> None:
    page.goto(f"{base}/post/")
    expect(page).to_have_url(f"{base}/login/?next=/post/")


def test_citizen_signs_in_reads_her_mail_and_signs_out_at_the_provider_too(
    page: Page, live_server, tx_cast: Cast, drain, oidc_provider: RunningProvider, screenshot  # noqa: F811
):
    deliver_letter(tx_cast, drain, tx_cast.anna, "Afgørelse om boligstøtte", text="Du får boligstøtte.")
    base = live_server.url
    addresses: list[str] = []
    page.on("request", lambda request: addresses.append(request.url))

    sign_in_at_provider(page, base, "anna")

    expect(page).to_have_url(f"{base}/post/")
    expect(page.locator("#messages")).to_contain_text("Afgørelse om boligstøtte")
    screenshot("signin-mitid-mailbox")
    assert not [a for a in addresses if tx_cast.anna.number in a]  # the CPR number was in no address

    page.get_by_role("button", name="Log ud").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own log-out page
    expect(page.locator("#signed-out")).to_be_visible()
    assert_nobody_signed_in(page, base)
    # The provider's session ended too: signing in again asks for the login once more.
    page.goto(f"{base}/login/")
    page.locator("#mitid-sign-in").click()
    expect(page.locator('input[name="login"]')).to_be_visible()


@pytest.mark.parametrize(("login", "tamper", "code"), [
    ("anna", "signature", "signin.token.signature"),
    ("anna", "audience", "signin.token.audience"),
    ("anna", "expired", "signin.token.expired"),
    ("anna", "nonce", "signin.token.nonce"),
    ("anna-low", None, "signin.loa.too.low"),
    ("anna-no-cpr", None, "signin.cpr.missing"),
    ("dorte-without-right", None, "signin.company.access.missing"),
])
def test_each_refusal_has_its_own_page_and_nobody_is_signed_in(
    page: Page, live_server, tx_cast: Cast, oidc_provider: RunningProvider, login, tamper, code  # noqa: F811
):
    base = live_server.url
    if tamper:
        oidc_provider.tamper_next_token(tamper)

    sign_in_at_provider(page, base, login)

    expect(page.locator("#refusal")).to_have_attribute("data-code", code)
    assert tx_cast.anna.number not in page.content()
    assert_nobody_signed_in(page, base)


def test_a_replayed_answer_from_the_provider_is_refused(
    page: Page, live_server, tx_cast: Cast, oidc_provider: RunningProvider  # noqa: F811
):
    base = live_server.url
    callbacks: list[str] = []
    page.on("request", lambda request: callbacks.append(request.url) if "/login/mitid/callback/" in request.url
            else None)
    sign_in_at_provider(page, base, "anna")
    expect(page).to_have_url(f"{base}/post/")

    page.goto(callbacks[0])  # the same code and state again, as an attacker holding the address would

    expect(page.locator("#refusal")).to_have_attribute("data-code", "signin.state.invalid")
    assert_nobody_signed_in(page, base)


def test_an_idle_session_warns_then_signs_out(
    page: Page, live_server, tx_cast: Cast, oidc_provider: RunningProvider, settings  # noqa: F811
):
    settings.DIGITALPOST_MAILBOX_IDLE_SECONDS = 6
    settings.DIGITALPOST_MAILBOX_IDLE_WARNING_SECONDS = 4
    base = live_server.url
    sign_in_at_provider(page, base, "anna")
    expect(page).to_have_url(f"{base}/post/")

    warning = page.locator("#idle-warning")
    expect(warning).to_be_visible(timeout=10_000)
    page.locator("#stay-signed-in").click()  # "stay signed in" starts the clock again
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=10_000)

    expect(page.locator("#refusal")).to_have_attribute("data-code", "signin.session.expired", timeout=10_000)
    assert_nobody_signed_in(page, base)


def test_company_administrator_gives_an_employee_read_access_and_takes_it_away(
    browser: Browser, live_server, tx_cast: Cast, drain, oidc_provider: RunningProvider  # noqa: F811
):
    deliver_letter(tx_cast, drain, tx_cast.dorte, "Momsangivelse", text="Husk momsen.")
    base = live_server.url
    admin = browser.new_context(locale="en-GB").new_page()
    sign_in_at_provider(admin, base, "dorte-admin")
    expect(admin.locator("#messages")).to_contain_text("Momsangivelse")
    admin.goto(f"{base}/post/company/access/")
    admin.locator('input[name="employee_id"]').fill(DORTE_WITH_RIGHT_ID)
    admin.locator('input[name="employee_name"]').fill("Erik Ekspedient")
    admin.locator('select[name="level"]').select_option("READ")
    admin.locator("#grant button[type=submit]").click()
    expect(admin.locator(f'#rights tr[data-employee="{DORTE_WITH_RIGHT_ID}"]')).to_contain_text("Read")
    granted = AuditEntry.objects.get(action="company.access.granted")
    assert granted.organisation == tx_cast.dorte.number
    assert "Dorthe" in granted.actor_label

    employee = browser.new_context(locale="en-GB").new_page()
    sign_in_at_provider(employee, base, "dorte-with-right")
    expect(employee.locator("#messages")).to_contain_text("Momsangivelse")
    # Read access: writing is refused, and the employee cannot hand out rights.
    employee.goto(f"{base}/post/settings/notifications/")
    employee.locator("form button[type=submit]").last.click()
    expect(employee.locator("#refusal")).to_have_attribute("data-code", "company.access.not.allowed")
    assert employee.goto(f"{base}/post/company/access/").status == 404

    admin.locator(f'#rights tr[data-employee="{DORTE_WITH_RIGHT_ID}"] button[name="revoke"]').click()
    expect(admin.locator("#saved")).to_be_visible()
    assert not CompanyMailboxAccess.objects.filter(employee_id=DORTE_WITH_RIGHT_ID).exists()
    assert AuditEntry.objects.filter(action="company.access.revoked").count() == 1

    again = browser.new_context(locale="en-GB").new_page()
    sign_in_at_provider(again, base, "dorte-with-right")
    expect(again.locator("#refusal")).to_have_attribute("data-code", "signin.company.access.missing")


# Staff single sign-on: Nordby's members sign in to the portal through Nordby's own OpenID provider.


@pytest.fixture
def nordby_sign_on(oidc_provider: RunningProvider, settings, tx_cast: Cast):  # noqa: F811
    from cast import build_staff
    from helpers.oidc import CLIENT_ID, CLIENT_SECRET

    staff = build_staff(tx_cast)
    settings.DIGITALPOST_STAFF_SSO = {tx_cast.nordby.authority.cvr: {
        "discovery_url": oidc_provider.discovery_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "claim": "sub", "scopes": "openid nemlogin"}}
    return staff


def sign_on_to_portal(page: Page, base: str, cvr: str, login: str) -> None:
    page.goto(f"{base}/portal/login/")
    page.locator(f'#sso a[data-cvr="{cvr}"]').click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any")
    page.locator("button.login-submit").click()


def test_a_caseworker_signs_in_to_the_portal_through_the_organisations_sign_on(
    page: Page, live_server, tx_cast: Cast, nordby_sign_on, oidc_provider: RunningProvider  # noqa: F811
):
    base = live_server.url
    cvr = tx_cast.nordby.authority.cvr
    sign_on_to_portal(page, base, cvr, "niels")
    expect(page).to_have_url(f"{base}/portal/{cvr}/")
    assert page.goto(f"{base}/portal/{cvr}/inquiries/").status == 200
    assert page.goto(f"{base}/portal/{tx_cast.sydby.authority.cvr}/").status == 404  # only his own organisation
    entry = AuditEntry.objects.get(action="staff.signed.in.sso")
    assert (entry.organisation, entry.actor_label) == (cvr, "niels")


@pytest.mark.parametrize(("login", "tamper", "code"), [
    ("nordby-caseworker", None, "signin.staff.not.member"),  # the provider's name is no portal user of Nordby
    ("niels", "audience", "signin.token.audience"),
    ("niels", "signature", "signin.token.signature"),
])
def test_a_sign_on_that_names_no_member_or_carries_a_broken_token_signs_nobody_in(
    page: Page, live_server, tx_cast: Cast, nordby_sign_on, oidc_provider: RunningProvider,  # noqa: F811
    login, tamper, code,
):
    base = live_server.url
    if tamper:
        oidc_provider.tamper_next_token(tamper)
    sign_on_to_portal(page, base, tx_cast.nordby.authority.cvr, login)
    expect(page.locator("main")).to_contain_text(code)
    page.goto(f"{base}/portal/{tx_cast.nordby.authority.cvr}/")
    expect(page).to_have_url(f"{base}/portal/login/?next=%2Fportal%2F{tx_cast.nordby.authority.cvr}%2F")


@pytest.mark.parametrize("name_taken", [False, True])
def test_an_invitee_signs_on_through_the_organisations_provider_and_joins_unless_the_name_is_taken(
    page: Page, live_server, tx_cast: Cast, nordby_sign_on, oidc_provider: RunningProvider,  # noqa: F811
    settings, smtp_relay, drain, name_taken,
):
    """A new user named by the provider's claim joins; a claim naming an existing user (here one of Sydby's) is
    refused, so Nordby's provider can never vouch for another organisation's user."""
    from django.contrib.auth.models import User

    from digitalpost.accounts.models import Membership
    from digitalpost.accounts.services import create_user, grant_role
    from digitalpost.core.roles import Role
    from digitalpost.notifications.invitations import invite
    from digitalpost.outbox.models import WorkKind
    from helpers.invitations import invitation_link, invitation_mails

    base = live_server.url
    settings.DIGITALPOST_PORTAL_URL = base
    cvr = tx_cast.nordby.authority.cvr
    login = "nordby-caseworker"  # the provider's claim
    if name_taken:
        grant_role(authority=tx_cast.sydby.authority, role=Role.CASEWORKER,
                   user=create_user(username=login, email="someone@sydby.example"))
    invite(authority=tx_cast.nordby.authority, email="new@nordby.example", role=Role.CASEWORKER)
    drain(WorkKind.NOTIFY)
    [(_, mail)] = invitation_mails(smtp_relay)
    url, token = invitation_link(mail)
    page.goto(f"{url}#{token}")
    page.locator("#invitation-sso").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any")
    page.locator("button.login-submit").click()
    if not name_taken:
        expect(page).to_have_url(f"{base}/portal/{cvr}/")
        member = Membership.objects.get(user__username=login, authority=tx_cast.nordby.authority)
        assert (member.role, member.user.email, member.user.has_usable_password()) == (
            "caseworker", "new@nordby.example", False)
    else:
        expect(page.locator("main")).to_contain_text("signin.staff.name.taken")
        assert not Membership.objects.filter(user__username=login, authority=tx_cast.nordby.authority).exists()
        assert User.objects.get(username=login).email == "someone@sydby.example"
