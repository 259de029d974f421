"""Sender systems: one standard system, tokens that stop at once, certificates and IP allow-lists checked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.selectors import check_sender_setup
from digitalpost.systems.services.senders import (
    create_secure_mail_sender,
    create_sender_system,
    make_standard_sender_system,
    parse_ip_allowlist,
    renew_sender_certificate,
    rotate_sender_token,
    set_ip_allowlist,
    set_sender_system_active,
)


def receipts(token: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/apis/v1/receipts").status_code


def standard_names(authority) -> list[str]:
    return list(SenderSystem.objects.filter(authority=authority, is_standard=True).values_list("name", flat=True))


def test_a_secure_mail_system_without_certificate_is_refused(cast, anchors):
    with pytest.raises(DigitalPostError) as refused:
        create_secure_mail_sender(authority=cast.nordby.authority, name="Svar", certificate_pem=b"",
                                  trust_anchors=anchors)
    assert refused.value.code == ErrorCode.SENDER_CERTIFICATE_REQUIRED


def test_a_secure_mail_system_with_an_expired_certificate_is_refused(cast, pki, anchors):
    with pytest.raises(DigitalPostError) as refused:
        create_secure_mail_sender(authority=cast.nordby.authority, name="Svar", trust_anchors=anchors,
                                  certificate_pem=pki.base.nordby_expired.pem)
    assert refused.value.code == ErrorCode.CERTIFICATE_EXPIRED
    assert standard_names(cast.nordby.authority) == ["Nordby fjernprint"]


def test_a_new_standard_system_takes_the_flag_from_the_old_one_in_one_change(cast, pki, anchors):
    create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar", trust_anchors=anchors,
                              certificate_pem=pki.sender.certificate_pem, is_standard=True)
    assert standard_names(cast.nordby.authority) == ["Nordby svar"]
    assert standard_names(cast.sydby.authority) == ["Sydby fjernprint"]
    removed = AuditEntry.objects.get(action="sender_system.standard_removed")
    assert removed.object_id == str(cast.nordby.system.pk)
    assert (removed.before["is_standard"], removed.after["is_standard"]) == (True, False)
    created = AuditEntry.objects.get(action="sender_system.created", object_label="Nordby svar")
    assert created.after["certificate"]["sha256"] == pki.sender.certificate.fingerprint
    assert "token_sha256" not in created.after


def test_making_a_system_standard_moves_the_flag(cast):
    other = create_sender_system(authority=cast.nordby.authority, name="Nordby ESDH").system
    make_standard_sender_system(system=other)
    assert standard_names(cast.nordby.authority) == ["Nordby ESDH"]
    assert AuditEntry.objects.filter(action="sender_system.made_standard", object_id=str(other.pk)).exists()


def test_the_standard_system_cannot_be_deactivated(cast):
    with pytest.raises(DigitalPostError) as refused:
        set_sender_system_active(system=cast.nordby.system, is_active=False)
    assert refused.value.code == ErrorCode.STANDARD_SENDER_SYSTEM_REMOVAL
    assert SenderSystem.objects.get(pk=cast.nordby.system.pk).is_active


def test_a_deactivated_system_is_refused_at_once_and_works_again_when_activated(cast):
    issued = create_sender_system(authority=cast.nordby.authority, name="Nordby ESDH")
    assert receipts(issued.token) == 200  # now in this process's token cache
    set_sender_system_active(system=issued.system, is_active=False)
    assert receipts(issued.token) == 401
    set_sender_system_active(system=issued.system, is_active=True)
    assert receipts(issued.token) == 200
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(issued.system.pk)).order_by("seq")] == [
        "sender_system.created", "sender_system.deactivated", "sender_system.activated"]


def test_a_rotated_token_stops_working_at_once_and_the_new_one_works(cast):
    old = cast.nordby.token
    assert receipts(old) == 200  # cached now: rotation must clear it
    before = SenderSystem.objects.get(pk=cast.nordby.system.pk).token_issued_at
    new = rotate_sender_token(system=cast.nordby.system)
    assert new != old
    assert receipts(old) == 401
    assert receipts(new) == 200
    assert SenderSystem.objects.get(pk=cast.nordby.system.pk).token_issued_at > before
    entry = AuditEntry.objects.get(action="sender_system.token_rotated")
    assert "token_sha256" not in entry.after
    assert new not in str(entry.after)


def test_names_are_unique_within_an_organisation(cast):
    with pytest.raises(DigitalPostError) as refused:
        create_sender_system(authority=cast.nordby.authority, name="nordby FJERNPRINT")
    assert refused.value.code == ErrorCode.NAME_TAKEN
    create_sender_system(authority=cast.sydby.authority, name="Nordby fjernprint")  # another organisation: fine


def test_a_secure_mail_certificate_is_renewed_with_the_same_checks(cast, pki, anchors):
    system = create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar", trust_anchors=anchors,
                                       certificate_pem=pki.sender.certificate_pem)
    with pytest.raises(DigitalPostError) as refused:
        renew_sender_certificate(system=system, certificate_pem=pki.base.stranger.pem, trust_anchors=anchors)
    assert refused.value.code == ErrorCode.CERTIFICATE_UNTRUSTED
    renewed = renew_sender_certificate(system=system, certificate_pem=pki.sender_renewed.certificate_pem,
                                       trust_anchors=anchors)
    assert renewed.certificate.sha256 == pki.sender_renewed.certificate.fingerprint
    entry = AuditEntry.objects.get(action="sender_system.certificate_renewed")
    assert entry.before["certificate"]["sha256"] == pki.sender.certificate.fingerprint


def test_a_rest_system_certificate_must_allow_client_authentication(cast, pki, anchors):
    with pytest.raises(DigitalPostError) as refused:
        renew_sender_certificate(system=cast.nordby.system, certificate_pem=pki.sender.certificate_pem,
                                 trust_anchors=anchors)
    assert refused.value.code == ErrorCode.CERTIFICATE_KEY_USAGE
    renewed = renew_sender_certificate(system=cast.nordby.system, certificate_pem=pki.client.certificate_pem,
                                       trust_anchors=anchors)
    assert renewed.certificate.sha256 == pki.client.certificate.fingerprint


def test_ip_allowlist_entries_are_normalised_and_deduplicated():
    assert parse_ip_allowlist("192.0.2.10\n 192.0.2.0/24 \n\n192.0.2.10/32\n2001:db8::/32\n") == [
        "192.0.2.10", "192.0.2.0/24", "2001:db8::/32"]


@pytest.mark.parametrize("bad", ["192.0.2.300", "192.0.2.10/24", "example.org", "10.0.0.0/33"])
def test_an_invalid_ip_allowlist_entry_is_refused_by_name(cast, bad):
    with pytest.raises(DigitalPostError) as refused:
        set_ip_allowlist(system=cast.nordby.system, entries=f"192.0.2.1\n{bad}")
    assert refused.value.code == ErrorCode.IP_ALLOWLIST_INVALID
    assert refused.value.detail == bad
    assert SenderSystem.objects.get(pk=cast.nordby.system.pk).ip_allowlist == []


def test_an_ip_allowlist_change_is_logged_with_before_and_after(cast):
    set_ip_allowlist(system=cast.nordby.system, entries=["192.0.2.0/24"])
    set_ip_allowlist(system=cast.nordby.system, entries="")
    first, second = AuditEntry.objects.filter(action="sender_system.ip_allowlist_changed").order_by("seq")
    assert (first.before["ip_allowlist"], first.after["ip_allowlist"]) == ([], ["192.0.2.0/24"])
    assert (second.before["ip_allowlist"], second.after["ip_allowlist"]) == (["192.0.2.0/24"], [])


def test_the_setup_is_flagged_without_standard_system_or_when_it_cannot_sign(cast, pki, anchors):
    at = timezone.now()
    assert check_sender_setup(cast.nordby.authority, at=at).standard_cannot_sign  # the cast's is REST
    create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar", trust_anchors=anchors,
                              certificate_pem=pki.sender.certificate_pem, is_standard=True)
    problems = check_sender_setup(cast.nordby.authority, at=at)
    assert (problems.no_standard, problems.standard_cannot_sign) == (False, False)
    assert check_sender_setup(cast.nordby.authority, at=pki.sender.certificate.not_after.replace(year=2100)
                              ).standard_cannot_sign
    SenderSystem.objects.filter(authority=cast.sydby.authority).update(is_standard=False)
    assert check_sender_setup(cast.sydby.authority, at=at).no_standard
