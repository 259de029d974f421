"""The mailbox checks: every open mailbox needs a working receiver and a secure address the hub can encrypt to.

Each fault-injection test starts from the healthy Nordby, breaks one thing through the real services (or, where
a service refuses the faulty state, writes it directly and says why), runs the doctor and expects exactly that
finding; the pure tests feed hand-built snapshots for states the database cannot hold today.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.core.findings import Severity, SubjectKind
from digitalpost.doctor.checks.mailboxes import mailbox_receivers, secure_address_certificates
from digitalpost.doctor.checks.snapshot import (
    CertificateInfo,
    MailboxInfo,
    OrgSnapshot,
    ReceiverSystemInfo,
    SecureAddressInfo,
)
from digitalpost.protocols.smime import Issued
from digitalpost.systems.models import Certificate, SecureAddress
from digitalpost.systems.receiver_health import note_receiver_failure
from digitalpost.systems.services.receivers import create_push_receiver
from helpers.doctor_world import HealthyOrg, close, findings_of, mine, only

CODES = {"mailbox.no.receiver", "mailbox.receiver.missing",
         "mailbox.secure.address.missing", "secure.address.certificate.unusable"}


def put_certificate(healthy: HealthyOrg, issued: Issued) -> None:
    """Give the secure address a certificate the upload check would refuse (a direct write, see the callers)."""
    cert = issued.certificate
    row = Certificate.objects.create(
        authority=healthy.authority, pem=cert.pem.decode(), sha256=cert.fingerprint, subject=cert.subject,
        issuer=cert.issuer, serial=str(cert.serial), emails=list(cert.emails), not_before=cert.not_before,
        not_after=cert.not_after)
    SecureAddress.objects.filter(pk=healthy.receiver.secure_address_id).update(certificate=row)


def test_a_healthy_organisation_has_no_mailbox_finding(healthy: HealthyOrg):
    assert [f.code for f in findings_of(healthy) if f.code in CODES] == []


# --- receivers --------------------------------------------------------------------------------------------------


def test_an_open_mailbox_without_receiver_is_critical_and_a_closed_one_is_not(healthy: HealthyOrg):
    pas = create_mailbox(authority=healthy.authority, name="Pas", parent=healthy.mailbox)
    create_mailbox(authority=healthy.authority, name="Arkiv", is_open=False)
    finding = only(findings_of(healthy), "mailbox.no.receiver")
    assert finding.severity is Severity.CRITICAL
    assert (finding.subject.kind, finding.subject.id, finding.subject.name) == (
        SubjectKind.MAILBOX, str(pas.pk), "Borgerservice / Pas")
    assert "Portal → Mailboxes" in finding.fix


def test_a_mailbox_pointing_at_a_receiver_outside_the_organisation_is_critical(healthy: HealthyOrg, cast):
    # The database's PROTECT keeps a used receiver from being deleted, and the mailbox service refuses another
    # organisation's receiver; a direct write of such a pointer is the one way the database can hold a receiver
    # the organisation does not have, and the doctor must report it rather than trust it.
    sydby = create_push_receiver(authority=cast.sydby.authority, name="Sydby ESDH",
                                 endpoint_url="https://esdh.sydby.localhost/inbox")
    AuthorityMailbox.objects.filter(pk=healthy.mailbox.pk).update(receiver_system=sydby)
    finding = only(findings_of(healthy), "mailbox.receiver.missing")
    assert (finding.severity, finding.subject.id) == (Severity.CRITICAL, str(healthy.mailbox.pk))
    assert finding.facts == {"receiverId": str(sydby.pk)}
    assert "Sydby" not in finding.why  # never names another organisation's objects


def test_a_deactivated_receiver_is_one_finding_that_names_its_open_mailbox(healthy: HealthyOrg, settings):
    settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS = 0  # deactivate at the first failure
    note_receiver_failure(receiver=healthy.receiver, reason="550 5.1.1 user unknown")
    found = findings_of(healthy)
    finding = only(found, "receiver.deactivated")
    assert (finding.severity, finding.subject.id) == (Severity.CRITICAL, str(healthy.receiver.pk))
    assert healthy.mailbox.name in finding.why
    assert [f for f in found if f.code in CODES] == []  # not a second alert per mailbox


def test_a_closed_mailbox_gets_no_finding_about_its_receiver(healthy: HealthyOrg, settings):
    settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS = 0
    note_receiver_failure(receiver=healthy.receiver, reason="550 5.1.1 user unknown")
    healthy.mailbox.refresh_from_db()
    close(healthy.mailbox)
    assert [f.code for f in findings_of(healthy) if f.code in CODES] == []


# --- the secure address's certificate ----------------------------------------------------------------------------


@pytest.mark.parametrize(("certificate", "cause"), [
    # create_secure_address and renew_secure_address_certificate check usage and e-mail on upload, so these
    # certificates can only be in place through a direct write (data from before the checks, a restore).
    ("address_wrong_usage", "certificate.key.usage"),
    ("address_wrong_email", "certificate.email.mismatch"),
])
def test_an_address_certificate_that_cannot_encrypt_is_critical(healthy: HealthyOrg, certificate, cause):
    put_certificate(healthy, getattr(healthy.pki, certificate))
    finding = only(findings_of(healthy), "secure.address.certificate.unusable")
    assert finding.severity is Severity.CRITICAL
    assert (finding.subject.kind, finding.subject.id, finding.subject.name) == (
        SubjectKind.SECURE_ADDRESS, str(healthy.receiver.secure_address_id), "borgerservice@nordby.localhost")
    assert finding.facts["causes"] == cause
    assert finding.facts["mailboxes"] == "Borgerservice"
    assert "Renew certificate" in finding.fix


def test_an_address_whose_issuer_the_hub_no_longer_trusts_is_critical(healthy: HealthyOrg, settings):
    settings.DIGITALPOST_TRUST_ANCHORS = healthy.pki.base.untrusted_ca.cert_file
    finding = only(findings_of(healthy), "secure.address.certificate.unusable")
    assert finding.facts["causes"] == "certificate.untrusted"


@pytest.mark.parametrize("anchors", ["missing", "empty", "not-a-certificate"])
def test_unreadable_trust_anchors_are_named_as_the_cause_not_blamed_on_the_certificate(
        healthy: HealthyOrg, settings, tmp_path, anchors: str):
    path = tmp_path / "ca.pem"
    if anchors != "missing":
        path.write_bytes(b"" if anchors == "empty" else b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n")
    settings.DIGITALPOST_TRUST_ANCHORS = path
    finding = only(findings_of(healthy), "secure.address.certificate.unusable")
    assert finding.facts["causes"] == "hub.trust.anchors.unreadable"
    assert "cannot read its trust anchors" in finding.why


def test_an_expired_address_certificate_is_left_to_the_certificate_check(healthy: HealthyOrg):
    later = healthy.receiver.secure_address.certificate.not_after + timedelta(days=1)
    found = findings_of(healthy, now=later)
    assert mine(found, "secure.address.certificate.unusable") == []
    assert str(healthy.receiver.secure_address.certificate_id) in [
        f.subject.id for f in mine(found, "certificate.expired")]


def test_an_unusable_address_only_closed_mailboxes_use_is_not_reported(healthy: HealthyOrg):
    put_certificate(healthy, healthy.pki.address_wrong_usage)
    close(healthy.mailbox)
    assert mine(findings_of(healthy), "secure.address.certificate.unusable") == []


# --- pure: hand-built snapshots -----------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CERT = CertificateInfo(id="c1", subject="CN=borgerservice", not_before=NOW - timedelta(days=10),
                       not_after=NOW + timedelta(days=300), emails=("Borgerservice@nordby.localhost",))
ADDRESS = SecureAddressInfo(id="a1", email="borgerservice@nordby.localhost", certificate_id="c1")
RECEIVER = ReceiverSystemInfo(id="r1", name="borgerservice@nordby.localhost", kind="SECURE_ADDRESS", is_active=True,
                              secure_address_id="a1", failing_since=None, deactivated_at=None)


def org(*mailboxes: MailboxInfo, receivers=(RECEIVER,), addresses=(ADDRESS,), certificates=(CERT,)) -> OrgSnapshot:
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="", technical_contact_email="",
                       superadministrators=2, reply_deadline_days=10, mailboxes=mailboxes,
                       receiver_systems=tuple(receivers), secure_addresses=tuple(addresses),
                       certificates=tuple(certificates))


def mailbox(receiver_id: str | None = "r1", *, is_open: bool = True) -> MailboxInfo:
    return MailboxInfo(id="m1", name="Borgerservice", is_open=is_open, is_visible=True, is_standard=True,
                       receiver_system_id=receiver_id)


def test_a_healthy_snapshot_gives_nothing_and_e_mail_case_does_not_matter():
    snapshot = org(mailbox())
    assert list(mailbox_receivers(snapshot, NOW)) + list(secure_address_certificates(snapshot, NOW)) == []


def test_a_deleted_receiver_is_reported():
    # PROTECT on the mailbox's receiver makes this impossible in the database today; the check guards it anyway.
    (finding,) = mailbox_receivers(org(mailbox("gone"), receivers=()), NOW)
    assert (finding.code, finding.facts) == ("mailbox.receiver.missing", {"receiverId": "gone"})


def test_a_deleted_secure_address_behind_the_receiver_is_reported():
    # The brief's "secure address deleted while mailboxes still point at it": delete_secure_address refuses it
    # (or re-points the mailboxes) and PROTECT backs that up, so only a hand-built snapshot can show it.
    (finding,) = mailbox_receivers(org(mailbox(), addresses=()), NOW)
    assert finding.code == "mailbox.secure.address.missing"
    assert finding.facts == {"receiverId": "r1", "receiverName": RECEIVER.name, "secureAddressId": "a1"}


def test_closed_mailboxes_are_not_checked():
    assert list(mailbox_receivers(org(mailbox(None, is_open=False), mailbox("gone", is_open=False)), NOW)) == []


def test_every_encryption_cause_but_expiry_is_named():
    cert = replace(CERT, encryption_problems=("certificate.expired", "certificate.revoked"))
    (finding,) = secure_address_certificates(org(mailbox(), certificates=(cert,)), NOW)
    assert finding.facts["causes"] == "certificate.revoked"
    (finding,) = secure_address_certificates(org(mailbox(), certificates=()), NOW)
    assert finding.facts["causes"] == "no.certificate"
