"""Replies filed although the sender's client used 3DES or a SHA-1 signature: one warning per algorithm and
sender, naming the setting to change; nothing for a healthy organisation or for another organisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from digitalpost.conversations.models import LegacyCryptoReply
from digitalpost.core.findings import Finding, Severity, SubjectKind
from digitalpost.doctor.checks.legacy_crypto import legacy_crypto_replies
from digitalpost.doctor.checks.snapshot import LegacyCryptoGroup, OrgSnapshot, SenderSystemInfo
from digitalpost.doctor.services import examine
from helpers.doctor_world import HealthyOrg, findings_of

CODES = {"reply.cipher.3des", "reply.signature.sha1"}
SENDER = "post@nordby.localhost"


def legacy(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.code in CODES]


def record(healthy: HealthyOrg, kind: str, *, at: datetime | None = None, system: bool = True) -> None:
    """What receive_secure_mail stores when it files a reply that used a retiring algorithm."""
    LegacyCryptoReply.objects.create(
        kind=kind, authority=healthy.authority, sender_system=healthy.standard_sender if system else None,
        sender_address=SENDER, detail=kind, received_at=at or timezone.now())


def test_a_healthy_organisation_has_no_legacy_crypto_findings(healthy: HealthyOrg):
    assert legacy(findings_of(healthy)) == []


@pytest.mark.parametrize(("kind", "code", "setting"), [
    ("cipher.3des", "reply.cipher.3des", "AES (256-bit)"),
    ("signature.sha1", "reply.signature.sha1", "SHA256"),
])
def test_replies_with_a_retiring_algorithm_are_one_warning_on_their_sender_system(
    healthy: HealthyOrg, kind: str, code: str, setting: str
):
    record(healthy, kind)
    record(healthy, kind)

    (finding,) = legacy(findings_of(healthy))
    assert (finding.code, finding.severity) == (code, Severity.WARNING)
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.standard_sender.pk))
    assert finding.facts["count"] == 2
    assert "2 replies (from post@nordby.localhost)" in finding.why
    assert setting in finding.fix


def test_both_algorithms_from_one_sender_are_two_findings(healthy: HealthyOrg):
    record(healthy, "cipher.3des")
    record(healthy, "signature.sha1")
    assert sorted(f.code for f in legacy(findings_of(healthy))) == ["reply.cipher.3des", "reply.signature.sha1"]


def test_legacy_replies_leave_the_list_after_thirty_days(healthy: HealthyOrg):
    record(healthy, "cipher.3des")
    assert legacy(findings_of(healthy, now=timezone.now() + timedelta(days=29)))
    assert legacy(findings_of(healthy, now=timezone.now() + timedelta(days=31))) == []


def test_another_organisation_never_sees_nordbys_legacy_replies(healthy: HealthyOrg, cast):
    record(healthy, "signature.sha1")
    assert legacy(examine(cast.sydby.authority, now=timezone.now()).plain) == []


# --- the check over hand-built snapshots ------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def snapshot(*groups: LegacyCryptoGroup) -> OrgSnapshot:
    system = SenderSystemInfo(id="s1", name="Nordby sikker post", channel="SECURE_MAIL", is_active=True,
                              is_standard=True, certificate_id="c1", token_issued_at=NOW, created_at=NOW,
                              last_used_at=None)
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="IT",
                       technical_contact_email="it@nordby.dk", superadministrators=2, reply_deadline_days=10,
                       sender_systems=(system,), legacy_crypto=groups)


def test_a_sender_without_a_registered_system_is_named_by_its_address():
    group = LegacyCryptoGroup(kind="cipher.3des", sender="mail@nordby.dk", count=1, last_at=NOW)
    (finding,) = legacy_crypto_replies(snapshot(group), NOW)
    assert (finding.subject.kind, finding.subject.name) == (SubjectKind.ORGANISATION, "mail@nordby.dk")
    assert "1 reply (from mail@nordby.dk)" in finding.why
    assert " was encrypted with 3DES" in finding.why


def test_an_unknown_kind_yields_nothing():
    group = LegacyCryptoGroup(kind="cipher.rc2", sender="mail@nordby.dk", count=1, last_at=NOW)
    assert list(legacy_crypto_replies(snapshot(group), NOW)) == []
