"""Secure addresses: created with a certificate checked at once, renewed, and deleted only when safe."""

from __future__ import annotations

import json

import pytest

from digitalpost.audit.models import AuditEntry
from digitalpost.audit.selectors import verify_audit_log
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress
from digitalpost.systems.services.receivers import (
    create_pull_receiver,
    create_secure_address,
    delete_secure_address,
    renew_secure_address_certificate,
)
from helpers.systems_pki import NORDBY_ADDRESS, der, p12

NORA = Actor("nora", user_id=None)


def add(cast, anchors, pem: bytes, email: str = NORDBY_ADDRESS) -> ReceiverSystem:
    return create_secure_address(authority=cast.nordby.authority, email=email, certificate_pem=pem,
                                 trust_anchors=anchors, actor=NORA)


def codes(refused: pytest.ExceptionInfo) -> set[str]:
    assert isinstance(refused.value, smime.CertificateRejected)
    return {str(problem.code) for problem in refused.value.problems}


def test_an_address_with_a_valid_certificate_gets_its_receiver_and_audit_entries(cast, pki, anchors):
    receiver = add(cast, anchors, pki.address.certificate_pem)
    address = receiver.secure_address
    assert receiver.kind == ReceiverSystem.Kind.SECURE_ADDRESS
    assert address.email == NORDBY_ADDRESS
    assert address.certificate.sha256 == pki.address.certificate.fingerprint

    created = AuditEntry.objects.get(action="secure_address.created")
    assert created.organisation == cast.nordby.authority.cvr
    assert created.actor_label == "nora"
    assert created.after["certificate"] == {
        "subject": pki.address.certificate.subject, "issuer": pki.address.certificate.issuer,
        "serial": str(pki.address.certificate.serial), "sha256": pki.address.certificate.fingerprint,
        "not_after": pki.address.certificate.not_after.isoformat(),
    }
    assert AuditEntry.objects.filter(action="receiver_system.created", object_id=str(receiver.pk)).exists()
    assert "BEGIN CERTIFICATE" not in json.dumps([e.after for e in AuditEntry.objects.all()])
    assert verify_audit_log().intact


@pytest.mark.parametrize("encode", [der, p12], ids=["der", "pkcs12"])
def test_der_and_pkcs12_without_password_are_accepted_and_only_the_certificate_is_kept(cast, pki, anchors, encode):
    receiver = add(cast, anchors, encode(pki.address))
    stored = receiver.secure_address.certificate
    assert stored.sha256 == pki.address.certificate.fingerprint
    assert "PRIVATE KEY" not in stored.pem


@pytest.mark.parametrize(("issued", "expected"), [
    ("address_expired", {"certificate.expired"}),
    ("address_wrong_email", {"certificate.email.mismatch"}),
    ("address_wrong_usage", {"certificate.key.usage"}),
    ("address_untrusted", {"certificate.untrusted"}),
])
def test_a_bad_certificate_is_refused_with_its_code_and_nothing_is_stored(cast, pki, anchors, issued, expected):
    with pytest.raises(DigitalPostError) as refused:
        add(cast, anchors, getattr(pki, issued).certificate_pem)
    assert codes(refused) == expected
    assert not SecureAddress.objects.exists()
    assert not Certificate.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="secure_address").exists()


def test_every_problem_of_a_certificate_is_reported_at_once(cast, pki, anchors):
    with pytest.raises(DigitalPostError) as refused:
        add(cast, anchors, pki.address_wrong_usage.certificate_pem, email="other@nordby.localhost")
    assert codes(refused) == {"certificate.key.usage", "certificate.email.mismatch"}


def test_a_file_that_is_no_certificate_is_unreadable(cast, anchors):
    with pytest.raises(DigitalPostError) as refused:
        add(cast, anchors, b"this is not a certificate")
    assert refused.value.code == ErrorCode.CERTIFICATE_UNREADABLE


def test_the_same_address_twice_is_refused_as_taken(cast, pki, anchors):
    add(cast, anchors, pki.address.certificate_pem)
    with pytest.raises(DigitalPostError) as refused:
        add(cast, anchors, pki.address_renewed.certificate_pem, email=NORDBY_ADDRESS.upper())
    assert refused.value.code == ErrorCode.NAME_TAKEN


def test_renewal_replaces_the_certificate_and_logs_before_and_after(cast, pki, anchors):
    address = add(cast, anchors, pki.address.certificate_pem).secure_address
    renewed = renew_secure_address_certificate(address=address, certificate_pem=pki.address_renewed.certificate_pem,
                                               trust_anchors=anchors, actor=NORA)
    assert renewed.certificate.sha256 == pki.address_renewed.certificate.fingerprint
    entry = AuditEntry.objects.get(action="secure_address.certificate_renewed")
    assert entry.before["certificate"]["sha256"] == pki.address.certificate.fingerprint
    assert entry.after["certificate"]["sha256"] == pki.address_renewed.certificate.fingerprint


def test_renewal_with_a_certificate_for_another_address_is_refused(cast, pki, anchors):
    address = add(cast, anchors, pki.address.certificate_pem).secure_address
    with pytest.raises(DigitalPostError) as refused:
        renew_secure_address_certificate(address=address, certificate_pem=pki.address_wrong_email.certificate_pem,
                                         trust_anchors=anchors)
    assert codes(refused) == {"certificate.email.mismatch"}
    address.refresh_from_db()
    assert address.certificate.sha256 == pki.address.certificate.fingerprint


def test_an_unused_address_is_deleted_with_its_receiver_and_its_certificate_stays(cast, pki, anchors):
    receiver = add(cast, anchors, pki.address.certificate_pem)
    assert delete_secure_address(address=receiver.secure_address, actor=NORA) == []
    assert not SecureAddress.objects.exists()
    assert not ReceiverSystem.objects.filter(pk=receiver.pk).exists()
    assert Certificate.objects.filter(sha256=pki.address.certificate.fingerprint).exists()
    assert AuditEntry.objects.filter(action="secure_address.deleted", before__email=NORDBY_ADDRESS).exists()
    assert AuditEntry.objects.filter(action="receiver_system.deleted", object_id=str(receiver.pk)).exists()


def test_deleting_an_address_that_mailboxes_use_is_refused_naming_them(cast, pki, anchors):
    receiver = add(cast, anchors, pki.address.certificate_pem)
    for name in ("Borgerservice", "Byggesager"):
        create_mailbox(authority=cast.nordby.authority, name=name, receiver_system=receiver)
    with pytest.raises(DigitalPostError) as refused:
        delete_secure_address(address=receiver.secure_address)
    assert refused.value.code == ErrorCode.SECURE_ADDRESS_IN_USE
    assert refused.value.detail == "Borgerservice, Byggesager"
    assert SecureAddress.objects.filter(pk=receiver.secure_address.pk).exists()


def test_deleting_with_a_replacement_repoints_the_mailboxes_in_the_same_change(cast, pki, anchors):
    receiver = add(cast, anchors, pki.address.certificate_pem)
    box = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", receiver_system=receiver)
    pull, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby ESDH")

    moved = delete_secure_address(address=receiver.secure_address, repoint_to=pull, actor=NORA)

    assert [m.pk for m in moved] == [box.pk]
    assert AuthorityMailbox.objects.get(pk=box.pk).receiver_system_id == pull.pk
    assert not SecureAddress.objects.exists()
    entry = AuditEntry.objects.get(action="mailbox.receiver_changed", object_id=str(box.pk))
    assert entry.before == {"receiver_system": str(receiver.pk)}
    assert entry.after["receiver_system"] == str(pull.pk)
    assert verify_audit_log().intact


def test_mailboxes_cannot_be_repointed_to_another_organisations_receiver(cast, pki, anchors):
    receiver = add(cast, anchors, pki.address.certificate_pem)
    box = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", receiver_system=receiver)
    theirs, _ = create_pull_receiver(authority=cast.sydby.authority, name="Sydby ESDH")
    with pytest.raises(DigitalPostError) as refused:
        delete_secure_address(address=receiver.secure_address, repoint_to=theirs)
    assert refused.value.code == ErrorCode.OBJECT_NOT_FOUND
    assert AuthorityMailbox.objects.get(pk=box.pk).receiver_system_id == receiver.pk
    assert not AuditEntry.objects.filter(action="mailbox.receiver_changed").exists()
