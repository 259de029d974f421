"""Citizen service registers a power of attorney for a citizen who cannot (with the reason), and ends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cast import STAFF_PASSWORD
from digitalpost.accounts.services import create_user, grant_role
from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.selectors import active_power_held
from digitalpost.audit.models import AuditEntry
from digitalpost.core.roles import Role


@pytest.fixture
def clara(cast, staff) -> Client:
    user = create_user(username="clara", full_name="Clara Borgerservice", password=STAFF_PASSWORD)
    grant_role(authority=cast.nordby.authority, user=user, role=Role.CITIZEN_SERVICE)
    return staff.client(user)


def _powers_url(cast, contact) -> str:
    return f"/portal/{cast.nordby.authority.cvr}/register/{contact.pk}/powers/"


def _form(**changes) -> dict[str, str]:
    today = timezone.localdate()
    return {"holder_cpr": "0807984567", "level": "READ_WRITE", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=365)).isoformat(), "reason": "Bent bad om det ved skranken"} | changes


def test_citizen_service_registers_a_power_with_its_reason_and_ends_it(cast, clara):
    assert 'id="powers-link"' in clara.get(f"/portal/{cast.nordby.authority.cvr}/register/{cast.bent.pk}/") \
        .content.decode()
    response = clara.post(_powers_url(cast, cast.bent), _form())
    assert response.status_code == 302
    power = PowerOfAttorney.objects.get()
    assert (power.grantor, power.holder, power.registered_by, power.registered_in) == (
        cast.bent, cast.bodil, "clara", cast.nordby.authority.cvr)
    assert active_power_held(cast.bodil.pk, power.pk) == power
    page = clara.get(_powers_url(cast, cast.bent)).content.decode()
    assert "Bodil Bertelsen" in page
    assert "Bent bad om det ved skranken" in page
    assert cast.bodil.number not in page
    granted = AuditEntry.objects.get(action="attorney.granted")
    assert (granted.organisation, granted.actor_label, granted.after["reason"]) == (
        cast.nordby.authority.cvr, "clara", "Bent bad om det ved skranken")
    assert clara.post(f"{_powers_url(cast, cast.bent)}{power.pk}/end/").status_code == 302
    assert active_power_held(cast.bodil.pk, power.pk) is None
    assert AuditEntry.objects.get(action="attorney.ended").organisation == cast.nordby.authority.cvr


def test_the_reason_is_mandatory(cast, clara):
    response = clara.post(_powers_url(cast, cast.bent), _form(reason=""))
    assert response.status_code == 400
    response = clara.post(_powers_url(cast, cast.bent), _form(reason="   "))
    assert response.status_code == 400
    assert not PowerOfAttorney.objects.exists()


def test_an_unknown_holder_is_said_so_with_its_code(cast, clara):
    response = clara.post(_powers_url(cast, cast.bent), _form(holder_cpr="0101011111"))
    assert response.status_code == 400
    assert b"attorney.holder.unknown" in response.content
    assert not PowerOfAttorney.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("nora", 403), ("niels", 403), ("sofie", 404)])
def test_only_the_citizen_service_may(cast, staff, who, status):
    client = staff.client(getattr(staff, who))
    assert client.get(_powers_url(cast, cast.bent)).status_code == status
    assert client.post(_powers_url(cast, cast.bent), _form()).status_code == status
    assert not PowerOfAttorney.objects.exists()


def test_citizen_service_registers_a_power_limited_to_the_citizens_chosen_folders(cast, clara):
    from digitalpost.filing.services.folders import create_folder
    from digitalpost.messages.selectors import MailboxViewer

    pension = create_folder(viewer=MailboxViewer(cast.bent.pk), name="Pension")
    page = clara.get(_powers_url(cast, cast.bent)).content.decode()
    assert f'value="{pension.pk}"' in page  # Bent's folders are offered as checkboxes, with Inbox and Sent
    assert 'value="inbox"' in page
    refused = clara.post(_powers_url(cast, cast.bent), _form(scope="FOLDERS"))
    assert refused.status_code == 400  # limited to folders, but none ticked
    assert not PowerOfAttorney.objects.exists()
    response = clara.post(_powers_url(cast, cast.bent), _form(scope="FOLDERS", folders=["inbox", str(pension.pk)]))
    assert response.status_code == 302
    power = PowerOfAttorney.objects.get()
    assert (power.scope, power.opens_inbox, power.opens_sent) == ("FOLDERS", True, False)
    assert list(power.folders.all()) == [pension]
    entry = AuditEntry.objects.get(action="attorney.granted")
    assert entry.organisation == cast.nordby.authority.cvr
    assert entry.after["folders"] == [{"box": "inbox"}, {"id": str(pension.pk), "name": "Pension"}]
    listed = clara.get(_powers_url(cast, cast.bent)).content.decode()
    assert 'data-scope="FOLDERS"' in listed
    assert "Pension" in listed
