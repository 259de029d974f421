"""Secure address pages: list with expiry, upload checked at once, renewal, and deletion that keeps mail flowing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.systems.models import SecureAddress
from digitalpost.systems.services.receivers import create_pull_receiver, create_secure_address
from helpers.systems_pki import NORDBY_ADDRESS, SystemsPki, p12, trusted


@pytest.fixture
def pki(settings) -> SystemsPki:
    return trusted(settings)


@pytest.fixture
def address(cast, pki):
    """Nordby's secure address, delivering the mailbox Borgerservice's inquiries."""
    receiver = create_secure_address(authority=cast.nordby.authority, email=NORDBY_ADDRESS,
                                     certificate_pem=pki.address.certificate_pem,
                                     trust_anchors=[pki.base.ca.certificate])
    create_mailbox(authority=cast.nordby.authority, name="Byggesager", receiver_system=receiver)
    return receiver.secure_address


def base(cast) -> str:
    return f"/portal/{cast.nordby.authority.cvr}/secure-addresses/"


def upload(data: bytes, name: str = "certificate.pem") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_the_list_shows_the_address_its_expiry_days_left_and_mailboxes(staff, cast, address):
    response = staff.client(staff.nora).get(base(cast))
    body = response.content.decode()
    assert response.status_code == 200
    assert NORDBY_ADDRESS in body
    # The page shows the expiry in the hub's time zone (Europe/Copenhagen), not in UTC.
    assert f"{timezone.localtime(address.certificate.not_after):%Y-%m-%d}" in body
    assert "days left" in body
    assert "Byggesager" in body


def test_a_valid_certificate_upload_adds_the_address_and_logs_who_did_it(staff, cast, pki):
    response = staff.client(staff.nora).post(base(cast) + "new/", {
        "email": NORDBY_ADDRESS, "certificate": upload(p12(pki.address), "address.p12"), "receiver_name": "",
    })
    assert response.status_code == 302
    assert response["Location"] == base(cast)
    stored = SecureAddress.objects.get(authority=cast.nordby.authority)
    assert stored.certificate.sha256 == pki.address.certificate.fingerprint
    entry = AuditEntry.objects.get(action="secure_address.created")
    assert (entry.actor_label, entry.actor_user_id) == ("nora", staff.nora.pk)


def test_every_problem_of_an_upload_is_shown_with_its_code_and_fix(staff, cast, pki):
    response = staff.client(staff.nora).post(base(cast) + "new/", {
        "email": "other@nordby.localhost", "certificate": upload(pki.address_wrong_usage.certificate_pem),
    })
    body = response.content.decode()
    assert response.status_code == 400
    assert "certificate.key.usage" in body
    assert "certificate.email.mismatch" in body
    assert "Order a certificate with the right key usage" in body
    assert not SecureAddress.objects.exists()


def test_an_expired_certificate_is_refused_on_the_page(staff, cast, pki):
    response = staff.client(staff.nora).post(base(cast) + "new/", {
        "email": NORDBY_ADDRESS, "certificate": upload(pki.address_expired.certificate_pem)})
    assert response.status_code == 400
    assert "certificate.expired" in response.content.decode()


def test_a_renewed_certificate_replaces_the_old_one(staff, cast, pki, address):
    response = staff.client(staff.nora).post(f"{base(cast)}{address.pk}/certificate/", {
        "certificate": upload(pki.address_renewed.certificate.der, "renewed.cer")})
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.certificate.sha256 == pki.address_renewed.certificate.fingerprint


def test_deleting_an_address_in_use_without_replacement_is_refused_naming_the_mailboxes(staff, cast, address):
    client = staff.client(staff.nora)
    page = client.get(f"{base(cast)}{address.pk}/delete/")
    assert "Byggesager" in page.content.decode()
    response = client.post(f"{base(cast)}{address.pk}/delete/", {"repoint_to": ""})
    body = response.content.decode()
    assert response.status_code == 409
    assert "secure.address.in.use" in body
    assert "Byggesager" in body
    assert SecureAddress.objects.filter(pk=address.pk).exists()


def test_deleting_with_a_replacement_repoints_the_mailboxes(staff, cast, address):
    pull, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby ESDH")
    response = staff.client(staff.nora).post(f"{base(cast)}{address.pk}/delete/", {"repoint_to": str(pull.pk)})
    assert response.status_code == 302
    assert not SecureAddress.objects.filter(pk=address.pk).exists()
    box = AuthorityMailbox.objects.get(authority=cast.nordby.authority, name="Byggesager")
    assert box.receiver_system_id == pull.pk
    assert AuditEntry.objects.filter(action="mailbox.receiver_changed", object_id=str(box.pk)).exists()


def test_another_organisations_receiver_is_no_choice_for_repointing(staff, cast, address):
    theirs, _ = create_pull_receiver(authority=cast.sydby.authority, name="Sydby ESDH")
    response = staff.client(staff.nora).post(f"{base(cast)}{address.pk}/delete/", {"repoint_to": str(theirs.pk)})
    assert response.status_code == 200  # the form refuses the unknown choice
    assert SecureAddress.objects.filter(pk=address.pk).exists()


def pages(cvr: str, address_id) -> list[str]:
    root = f"/portal/{cvr}/secure-addresses/"
    return [root, root + "new/", f"{root}{address_id}/certificate/", f"{root}{address_id}/delete/"]


def test_the_intruder_finds_nothing_under_either_organisation(staff, cast, address):
    client = staff.client(staff.sofie)
    for url in pages(cast.nordby.authority.cvr, address.pk):
        assert client.get(url).status_code == 404, url
    for url in pages(cast.sydby.authority.cvr, address.pk)[2:]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"repoint_to": ""}).status_code == 404, url
    assert SecureAddress.objects.filter(pk=address.pk).exists()


def test_a_caseworker_may_neither_see_nor_change_addresses(staff, cast, address):
    client = staff.client(staff.niels)
    for url in pages(cast.nordby.authority.cvr, address.pk):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{base(cast)}{address.pk}/delete/", {"repoint_to": ""}).status_code == 403


def test_the_operator_sees_the_list_but_cannot_change_it(staff, cast, address):
    client = staff.client(staff.otto)
    assert client.get(base(cast)).status_code == 200
    for url in pages(cast.nordby.authority.cvr, address.pk)[1:]:
        assert client.get(url).status_code == 403, url
