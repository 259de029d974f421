"""Signing in to the portal: password, second factor, forced password change, lock-out, reset, re-authentication.

Through the portal's own pages with Django's test client; codes come from the enrolled device's key, as an
authenticator app computes them. The browser versions are in tests/e2e/test_browser_staff_sign_in.py.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.test import Client

from cast import STAFF_PASSWORD
from digitalpost.accounts.services import create_organisation
from digitalpost.audit.models import AuditEntry
from helpers.otp import authenticator, next_code, sign_in_with_code

NEW_PASSWORD = "a-long-fresh-password-2026"


def test_sign_in_takes_a_one_organisation_user_to_its_overview(staff, cast):
    client = Client()
    sign_in_with_code(client, "nora", STAFF_PASSWORD, authenticator(staff.nora))
    response = client.get("/portal/", follow=True)
    assert response.redirect_chain[-1][0] == f"/portal/{cast.nordby.authority.cvr}/"
    assert "Nordby Kommune" in response.content.decode()
    assert AuditEntry.objects.filter(action="sign_in.succeeded", object_label="nora").exists()


def test_the_password_alone_opens_nothing(staff, cast):
    authenticator(staff.nora)
    client = Client()
    response = client.post("/portal/login/", {"username": "nora", "password": STAFF_PASSWORD, "next": "/portal/"})
    assert response["Location"] == "/portal/login/verify/?next=%2Fportal%2F"
    page = client.get(f"/portal/{cast.nordby.authority.cvr}/")
    assert page.status_code == 302
    assert page["Location"].startswith("/portal/login/verify/")


def test_a_wrong_code_is_refused_and_audited(staff):
    device = authenticator(staff.nora)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/portal/login/", {"username": "nora", "password": STAFF_PASSWORD})
    right = next_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post("/portal/login/verify/", {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert AuditEntry.objects.filter(action="second_factor.failed", object_label="nora").exists()
    assert client.post("/portal/login/verify/", {"code": right})["Location"] == "/portal/"


def test_a_wrong_password_is_refused_with_a_clear_text_and_audited(staff):
    response = Client().post("/portal/login/", {"username": "nora", "password": "wrong"})
    assert response.status_code == 200
    assert "superadministrator" in response.content.decode()
    assert AuditEntry.objects.filter(action="sign_in.failed", object_label="nora").exists()


def test_repeated_failures_lock_the_account_out_with_a_message_and_an_audit_entry(staff, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/portal/login/", {"username": "nora", "password": "wrong"}).status_code == 200
    response = client.post("/portal/login/", {"username": "nora", "password": "wrong"})
    assert response.status_code == 429
    assert "Sign-in is locked for now" in response.content.decode()
    # Now even the right password is refused, from any address.
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="192.0.2.7")
    refused = other.post("/portal/login/", {"username": "nora", "password": STAFF_PASSWORD})
    assert refused.status_code == 429
    assert AuditEntry.objects.filter(action="sign_in.locked_out", object_label="nora").exists()


def test_one_address_trying_many_accounts_is_locked_out_too(staff, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.9")
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/portal/login/", {"username": f"guess{i}", "password": "wrong"})
    assert response.status_code == 429
    # Niels has not failed once, but this address has: refused.
    assert client.post("/portal/login/", {"username": "niels", "password": STAFF_PASSWORD}).status_code == 429


def test_wrong_codes_count_towards_the_lock_out(staff, settings):
    authenticator(staff.nora)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/portal/login/", {"username": "nora", "password": STAFF_PASSWORD})
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/portal/login/verify/", {"code": "000000"}).status_code == 200
    response = client.post("/portal/login/verify/", {"code": "000000"})
    assert response.status_code == 429
    assert client.get("/portal/")["Location"].startswith("/portal/login/")  # the half-open session ended


def test_a_generated_password_is_changed_first_then_the_app_is_enrolled(cast, staff):
    created = create_organisation(cvr="12345674", name="Østby Kommune", superadmin_username="ida",
                                  superadmin_email="ida@example.org")
    added = created.superadmin
    assert added.initial_password
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/portal/login/", {"username": "ida", "password": added.initial_password})
    assert response["Location"].startswith("/portal/login/password/")
    assert client.get("/portal/12345674/")["Location"].startswith("/portal/login/password/")
    same = client.post("/portal/login/password/", {"old_password": added.initial_password,
                                                   "new_password1": added.initial_password,
                                                   "new_password2": added.initial_password})
    assert same.status_code == 200
    assert "other than the one you were given" in same.content.decode()
    response = client.post("/portal/login/password/", {"old_password": added.initial_password,
                                                       "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"].startswith("/portal/login/enrol/")
    page = client.get("/portal/login/enrol/").content.decode()
    assert "<svg" in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    ida = User.objects.get(username="ida")
    device = ida.totpdevice_set.get(confirmed=False)
    response = client.post("/portal/login/enrol/", {"code": next_code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert client.get("/portal/12345674/").status_code == 200
    assert AuditEntry.objects.filter(action="password.changed", object_label="ida").exists()
    assert AuditEntry.objects.filter(action="second_factor.enrolled", object_label="ida").exists()
    # A backup code works once instead of the app.
    again = Client()
    again.post("/portal/login/", {"username": "ida", "password": NEW_PASSWORD})
    assert again.post("/portal/login/verify/", {"code": codes[0]})["Location"] == "/portal/"
    third = Client()
    third.post("/portal/login/", {"username": "ida", "password": NEW_PASSWORD})
    assert third.post("/portal/login/verify/", {"code": codes[0]}).status_code == 200


def _reset_link(smtp_relay) -> str:
    (_, mail), = smtp_relay.notices("password-reset")
    return re.search(r"http://\S+/portal/login/reset/\S+/", mail.get_content()).group(0)


def test_reset_answers_the_same_and_mails_a_link_that_works_once(staff, smtp_relay, settings):
    settings.DIGITALPOST_PORTAL_URL = "http://testserver"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.post("/portal/login/reset/", {"email": "nobody@example.org"})
    known = client.post("/portal/login/reset/", {"email": "nora@example.org"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/portal/login/reset/sent/"
    assert [rcpts for rcpts, _ in smtp_relay.mails] == [["nora@example.org"]]
    link = _reset_link(smtp_relay).removeprefix("http://testserver")
    form_page = client.get(link)
    assert form_page.status_code == 302  # Django moves the token out of the URL into the session
    response = client.post(form_page["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == "/portal/login/reset/done/"
    assert User.objects.get(username="nora").check_password(NEW_PASSWORD)
    used = Client(HTTP_ACCEPT_LANGUAGE="en").get(link, follow=True)
    assert "This link no longer works" in used.content.decode()
    assert AuditEntry.objects.filter(action="password.reset_requested", object_label="nora").exists()
    assert AuditEntry.objects.filter(action="password.reset", object_label="nora").exists()


def test_a_reset_link_expires(staff, smtp_relay, settings):
    settings.DIGITALPOST_PORTAL_URL = "http://testserver"
    Client().post("/portal/login/reset/", {"email": "nora@example.org"})
    link = _reset_link(smtp_relay).removeprefix("http://testserver")
    settings.PASSWORD_RESET_TIMEOUT = -1  # the link's lifetime is over
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(link, follow=True)
    assert "This link no longer works" in response.content.decode()


def test_creating_a_token_asks_for_a_fresh_second_factor(staff, settings):
    client = staff.client(staff.nora)
    session = client.session
    session["digitalpost_second_factor_at"] = 0  # verified long ago
    session.save()
    response = client.post("/portal/account/tokens/", {"name": "sync"})
    assert response["Location"] == "/portal/account/confirm/?next=%2Fportal%2Faccount%2Ftokens%2F"
    assert not staff.nora.admin_tokens.exists()
    confirmed = client.post(response["Location"], {"code": next_code(authenticator(staff.nora)),
                                                   "next": "/portal/account/tokens/"})
    assert confirmed["Location"] == "/portal/account/tokens/"
    assert client.post("/portal/account/tokens/", {"name": "sync"}).status_code == 200
    assert staff.nora.admin_tokens.count() == 1


def test_pages_need_sign_in(cast):
    response = Client().get(f"/portal/{cast.nordby.authority.cvr}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_another_organisation_answers_as_if_it_did_not_exist(staff, cast):
    client = staff.client(staff.sofie)
    theirs = client.get(f"/portal/{cast.nordby.authority.cvr}/")
    absent = client.get("/portal/12345674/")
    assert theirs.status_code == absent.status_code == 404
    assert b"organisation.not.found" in theirs.content
    assert b"Nordby" not in theirs.content


def test_the_operator_sees_every_organisation(staff, cast):
    response = staff.client(staff.otto).get("/portal/")
    body = response.content.decode()
    assert "Nordby Kommune" in body
    assert "Sydby Kommune" in body


def test_roles_certificates_and_secure_addresses_ask_for_a_fresh_second_factor_too(staff, cast, settings):
    client = staff.client(staff.nora)
    session = client.session
    session["digitalpost_second_factor_at"] = 0  # verified long ago
    session.save()
    cvr = cast.nordby.authority.cvr
    audit_before = AuditEntry.objects.count()
    for url, data in ((f"/portal/{cvr}/users/invite/", {"email": "ida@example.org", "role": "administrator"}),
                      (f"/portal/{cvr}/secure-addresses/new/", {"email": "post@nordby.localhost"}),
                      (f"/portal/{cvr}/sender-systems/new/", {"name": "Fagsystem"})):
        assert client.get(url).status_code == 200  # reading the form needs nothing more
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/portal/account/confirm/?next="), url
    assert AuditEntry.objects.count() == audit_before  # nothing changed
