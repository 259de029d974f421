"""The citizen service's register pages: find a citizen by CPR, grant and end an exemption, nobody else may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cast import STAFF_PASSWORD
from digitalpost.accounts.services import create_user, grant_role
from digitalpost.audit.models import AuditEntry
from digitalpost.core.roles import Role
from digitalpost.registry.models import Exemption
from digitalpost.registry.selectors import effective_status


@pytest.fixture
def clara(cast, staff) -> Client:
    user = create_user(username="clara", full_name="Clara Borgerservice", password=STAFF_PASSWORD)
    grant_role(authority=cast.nordby.authority, user=user, role=Role.CITIZEN_SERVICE)
    return staff.client(user)


def _contact_url(cast, contact) -> str:
    return f"/portal/{cast.nordby.authority.cvr}/register/{contact.pk}/"


def test_the_citizen_service_finds_a_citizen_by_cpr_in_a_post_body(cast, clara):
    response = clara.post(f"/portal/{cast.nordby.authority.cvr}/register/", {"cpr": "050585-1234"})
    assert response.status_code == 302
    assert response["Location"] == _contact_url(cast, cast.anna)
    page = clara.get(response["Location"])
    assert page.status_code == 200
    assert b'data-status="REGISTERED"' in page.content
    assert b"Skolevej 1" in page.content


@pytest.mark.parametrize(("cpr", "text"), [("0101801111", b"No citizen with this CPR number"),
                                           ("12", b"Not a CPR number")])
def test_unknown_or_malformed_cpr_numbers_are_said_so_on_the_form(cast, clara, cpr, text):
    response = clara.post(f"/portal/{cast.nordby.authority.cvr}/register/", {"cpr": cpr})
    assert response.status_code == 200
    assert text in response.content


def test_granting_and_ending_an_exemption(cast, clara):
    today = timezone.localdate()
    response = clara.post(_contact_url(cast, cast.anna), {
        "reason": "NO_ACCESS", "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=90)).isoformat(),
        "note": ""})
    assert response.status_code == 302
    exemption = Exemption.objects.get(contact=cast.anna)
    assert (exemption.granted_by, exemption.granted_in) == ("clara", cast.nordby.authority.cvr)
    assert effective_status(cast.anna) == "EXEMPT"
    assert b'data-status="EXEMPT"' in clara.get(_contact_url(cast, cast.anna)).content
    end = clara.post(f"{_contact_url(cast, cast.anna)}exemptions/{exemption.pk}/end/")
    assert end.status_code == 302
    assert effective_status(cast.anna) == "REGISTERED"
    assert list(AuditEntry.objects.filter(organisation=cast.nordby.authority.cvr, action__startswith="exemption.")
                .order_by("seq").values_list("action", "actor_label")) == [
        ("exemption.granted", "clara"), ("exemption.ended", "clara")]


def test_an_impossible_exemption_is_refused_on_the_form_with_its_code(cast, clara):
    today = timezone.localdate()
    response = clara.post(_contact_url(cast, cast.anna), {
        "reason": "NO_ACCESS", "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert b"request.invalid" in response.content
    assert not Exemption.objects.exists()


def test_companies_have_no_register_page_and_closed_citizens_no_grant_form(cast, clara):
    assert clara.get(_contact_url(cast, cast.dorte)).status_code == 404
    closed = clara.get(_contact_url(cast, cast.carl))
    assert b'data-status="CLOSED"' in closed.content
    assert b"Grant exemption" not in closed.content


@pytest.mark.parametrize(("who", "status"), [("nora", 403), ("niels", 403), ("sofie", 404)])
def test_only_the_citizen_service_of_the_organisation_may(cast, staff, clara, who, status):
    client = staff.client(getattr(staff, who))
    assert client.get(f"/portal/{cast.nordby.authority.cvr}/register/").status_code == status
    response = client.post(_contact_url(cast, cast.anna), {"reason": "NO_ACCESS",
                                                           "starts_on": timezone.localdate().isoformat()})
    assert response.status_code == status
    assert not Exemption.objects.exists()
