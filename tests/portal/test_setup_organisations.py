"""The platform operator's page: a new organisation together with its first superadministrator."""

from __future__ import annotations

import re

from django.contrib.auth.models import User

from digitalpost.accounts.models import Membership
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Authority

URL = "/portal/platform/organisations/new/"
FORM = {"cvr": "12345674", "name": "Østby Kommune", "kind": "KOMMUNE", "may_send_mandatory": "on",
        "superadmin_username": "ole", "superadmin_full_name": "Ole Østergaard", "superadmin_email": "ole@ostby.example"}


def test_the_operator_creates_an_organisation_with_its_first_superadministrator(staff):
    client = staff.client(staff.otto)
    assert client.get(URL).status_code == 200
    response = client.post(URL, FORM)
    assert response.status_code == 200
    password = re.search(r'<p class="secret">([^<]+)</p>', response.content.decode()).group(1)
    authority = Authority.objects.get(cvr="12345674")
    assert (authority.may_send_mandatory, authority.may_send_legal_notification) == (True, False)
    ole = User.objects.get(username="ole")
    assert ole.check_password(password)
    assert Membership.objects.get(user=ole).role == "superadministrator"
    entry = AuditEntry.objects.get(action="organisation.created", organisation="12345674")
    assert entry.actor_label == "otto"
    # the new superadministrator can sign in and reach the set-up
    assert staff.client(ole).get("/portal/12345674/mailboxes/").status_code == 200


def test_an_existing_user_becomes_the_superadministrator_without_a_new_password(staff):
    response = staff.client(staff.otto).post(URL, FORM | {"superadmin_username": "niels"})
    assert response.status_code == 200
    assert 'class="secret"' not in response.content.decode()
    assert Membership.objects.filter(user=staff.niels, authority__cvr="12345674", role="superadministrator").exists()


def test_an_invalid_cvr_is_refused_with_its_code(staff):
    response = staff.client(staff.otto).post(URL, FORM | {"cvr": "12345678"})
    assert response.status_code == 400
    assert "contact.id.invalid" in response.content.decode()
    assert not Authority.objects.filter(cvr="12345678").exists()


def test_only_the_platform_operator_reaches_the_page(staff):
    for user in (staff.nora, staff.sofie, staff.niels):
        client = staff.client(user)
        assert client.get(URL).status_code == 404
        assert client.post(URL, FORM).status_code == 404
    assert not Authority.objects.filter(cvr="12345674").exists()
