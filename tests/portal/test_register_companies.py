"""Citizen service appoints a company's mailbox administrator; the appointed person then signs in as one."""

from __future__ import annotations

import pytest
from django.test import Client

from cast import STAFF_PASSWORD
from digitalpost.accounts.services import create_user, grant_role
from digitalpost.audit.models import AuditEntry
from digitalpost.core.roles import Role
from digitalpost.inbox.signin import SignedInPerson, mailbox_access_for
from digitalpost.registry.models import CompanyMailboxAccess

APPOINTED = "urn:uuid:appointed-admin"


@pytest.fixture
def clara(cast, staff) -> Client:
    user = create_user(username="clara", full_name="Clara Borgerservice", password=STAFF_PASSWORD)
    grant_role(authority=cast.nordby.authority, user=user, role=Role.CITIZEN_SERVICE)
    return staff.client(user)


def test_citizen_service_appoints_and_ends_a_company_administrator(cast, clara):
    base = f"/portal/{cast.nordby.authority.cvr}/register/companies/"
    found = clara.post(base, {"cvr": cast.dorte.number})
    assert found.status_code == 302
    company_page = found["Location"]
    assert cast.dorte.number not in company_page  # addressed by the register's id, not the CVR

    assert clara.post(company_page, {"employee_id": APPOINTED, "employee_name": "Dorthe"}).status_code == 302
    right = CompanyMailboxAccess.objects.get(employee_id=APPOINTED)
    assert (right.is_administrator, right.level, right.granted_by) == (True, "READ_WRITE", "clara")
    entry = AuditEntry.objects.get(action="company.access.granted")
    assert (entry.organisation, entry.actor_label) == (cast.dorte.number, "clara")
    person = SignedInPerson(cpr=None, cvr=cast.dorte.number, employee_id=APPOINTED, name="Dorthe",
                            assurance="Substantial", privileges="")
    assert mailbox_access_for(person).company_admin

    clara.post(f"{company_page}administrators/{right.pk}/end/")
    assert not CompanyMailboxAccess.objects.exists()
    assert AuditEntry.objects.filter(action="company.access.revoked").count() == 1


def test_an_unknown_cvr_is_said_so_and_a_citizen_is_no_company(cast, clara):
    base = f"/portal/{cast.nordby.authority.cvr}/register/companies/"
    assert "No company with this CVR number" in clara.post(base, {"cvr": "10000009"}).content.decode()
    assert clara.get(f"{base}{cast.anna.pk}/").status_code == 404
