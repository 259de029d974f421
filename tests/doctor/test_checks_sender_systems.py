"""The sender-system checks: a standard system that can sign replies, and no forgotten systems or old tokens.

Each fault-injection test starts from the healthy Nordby, breaks one thing through the real services (or lets
time pass), runs the doctor and expects exactly that finding; the pure tests feed hand-built snapshots.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from digitalpost.core.findings import Severity, SubjectKind
from digitalpost.doctor.checks.sender_systems import forgotten_sender_systems, standard_sender_system
from digitalpost.doctor.checks.snapshot import CertificateInfo, OrgSnapshot, SenderSystemInfo
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services.senders import (
    create_sender_system,
    make_standard_sender_system,
    set_sender_system_active,
)
from helpers.doctor_world import HealthyOrg, findings_of, mine, only

CODES = {"sender.system.standard.missing", "sender.system.standard.cannot.sign", "sender.system.forgotten",
         "sender.system.token.old"}


def test_a_healthy_organisation_has_no_sender_system_finding(healthy: HealthyOrg):
    assert [f.code for f in findings_of(healthy) if f.code in CODES] == []


# --- the standard sender system --------------------------------------------------------------------------------


def test_no_standard_sender_system_is_critical_for_the_organisation(healthy: HealthyOrg):
    # The services only ever move the standard flag, never drop it (a new organisation simply starts without
    # one); dropping it here keeps the rest of the healthy set-up as it is.
    SenderSystem.objects.filter(pk=healthy.standard_sender.pk).update(is_standard=False)
    finding = only(findings_of(healthy), "sender.system.standard.missing")
    assert finding.severity is Severity.CRITICAL
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.ORGANISATION, healthy.authority.cvr)
    assert finding.facts == {"senderSystems": 2}
    assert mine(findings_of(healthy), "sender.system.standard.cannot.sign") == []


def test_a_rest_system_made_standard_cannot_sign_replies(healthy: HealthyOrg):
    make_standard_sender_system(system=healthy.rest_sender)
    finding = only(findings_of(healthy), "sender.system.standard.cannot.sign")
    assert finding.severity is Severity.CRITICAL
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.rest_sender.pk))
    assert finding.facts == {"causes": "not.secure.mail", "channel": "REST"}
    assert "REST system" in finding.why
    assert "Make standard sender system" in finding.fix


def test_a_deactivated_standard_system_cannot_sign_replies(healthy: HealthyOrg):
    # set_sender_system_active refuses to deactivate the standard system; the state still arises from data
    # written before that rule, so the doctor must see it.
    SenderSystem.objects.filter(pk=healthy.standard_sender.pk).update(is_active=False)
    finding = only(findings_of(healthy), "sender.system.standard.cannot.sign")
    assert finding.subject.id == str(healthy.standard_sender.pk)
    assert finding.facts["causes"] == "inactive"
    assert "portal" in finding.why
    assert "Activate" in finding.fix


def test_a_standard_system_without_certificate_cannot_sign_replies(healthy: HealthyOrg):
    # create_secure_mail_sender requires a certificate; only a direct write can remove it.
    SenderSystem.objects.filter(pk=healthy.standard_sender.pk).update(certificate=None)
    finding = only(findings_of(healthy), "sender.system.standard.cannot.sign")
    assert finding.facts["causes"] == "no.certificate"
    assert "Renew certificate" in finding.fix


def test_a_standard_system_whose_certificate_may_not_sign_mail_is_critical(healthy: HealthyOrg):
    # Uploads are checked for e-mail signing, so the client-authentication certificate of a REST system (a
    # real upload) is put on the standard system directly, as a mix-up in the database would.
    rest = create_sender_system(authority=healthy.authority, name="Nordby mTLS",
                                certificate_pem=healthy.pki.client.certificate.pem,
                                trust_anchors=(healthy.pki.base.ca.issued.certificate,)).system
    SenderSystem.objects.filter(pk=healthy.standard_sender.pk).update(certificate=rest.certificate)
    finding = only(findings_of(healthy), "sender.system.standard.cannot.sign")
    assert finding.subject.id == str(healthy.standard_sender.pk)
    assert finding.facts["causes"] == "certificate.key.usage"
    assert "key usage" in finding.why


def test_a_standard_system_whose_issuer_the_hub_no_longer_trusts_is_critical(healthy: HealthyOrg, settings):
    settings.DIGITALPOST_TRUST_ANCHORS = healthy.pki.base.untrusted_ca.cert_file
    finding = only(findings_of(healthy), "sender.system.standard.cannot.sign")
    assert finding.facts["causes"] == "certificate.untrusted"


def test_unreadable_trust_anchors_say_why_replies_cannot_be_signed(healthy: HealthyOrg, settings, tmp_path):
    settings.DIGITALPOST_TRUST_ANCHORS = tmp_path / "gone.pem"
    finding = only(findings_of(healthy), "sender.system.standard.cannot.sign")
    assert finding.facts["causes"] == "hub.trust.anchors.unreadable"
    assert "cannot read its trust anchors" in finding.why


def test_an_expired_standard_certificate_is_left_to_the_certificate_check(healthy: HealthyOrg):
    later = healthy.standard_sender.certificate.not_after + timedelta(days=2)
    found = findings_of(healthy, now=later)
    assert mine(found, "sender.system.standard.cannot.sign") == []
    assert str(healthy.standard_sender.certificate_id) in [f.subject.id for f in mine(found, "certificate.expired")]


# --- forgotten systems and old tokens ----------------------------------------------------------------------------


def test_a_system_never_used_for_90_days_is_forgotten(healthy: HealthyOrg):
    assert mine(findings_of(healthy, now=timezone.now() + timedelta(days=89)), "sender.system.forgotten") == []
    found = mine(findings_of(healthy, now=timezone.now() + timedelta(days=91)), "sender.system.forgotten")
    by_id = {f.subject.id: f for f in found}
    rest = by_id[str(healthy.rest_sender.pk)]
    assert (rest.severity, rest.facts["daysIdle"], rest.facts["lastUsedAt"]) == (Severity.WARNING, 91, "")
    assert "never used since" in rest.why
    assert "Deactivate" in rest.fix
    # the standard system must stay, so its idleness is only worth knowing
    assert by_id[str(healthy.standard_sender.pk)].severity is Severity.INFO


def test_sending_a_letter_counts_as_traffic(healthy: HealthyOrg, cast):
    # An old system: created_at is set on insert, so the test moves it back directly.
    SenderSystem.objects.filter(pk=healthy.rest_sender.pk).update(created_at=timezone.now() - timedelta(days=200))
    assert str(healthy.rest_sender.pk) in [f.subject.id for f in mine(findings_of(healthy), "sender.system.forgotten")]
    assert cast.nordby.submit(cast.nordby.memo(cast.anna)).status_code == 201
    assert str(healthy.rest_sender.pk) not in [
        f.subject.id for f in mine(findings_of(healthy), "sender.system.forgotten")]
    finding = next(f for f in mine(findings_of(healthy, now=timezone.now() + timedelta(days=95)),
                                   "sender.system.forgotten") if f.subject.id == str(healthy.rest_sender.pk))
    assert finding.facts["lastUsedAt"][:10] == timezone.now().date().isoformat()
    assert "last used on" in finding.why


def test_a_deactivated_system_is_not_forgotten(healthy: HealthyOrg):
    set_sender_system_active(system=healthy.rest_sender, is_active=False)
    found = findings_of(healthy, now=timezone.now() + timedelta(days=400))
    assert str(healthy.rest_sender.pk) not in [f.subject.id for f in found if f.code in CODES]


def test_a_rest_token_older_than_a_year_is_a_warning(healthy: HealthyOrg):
    assert mine(findings_of(healthy, now=timezone.now() + timedelta(days=364)), "sender.system.token.old") == []
    found = findings_of(healthy, now=timezone.now() + timedelta(days=366))
    finding = only(found, "sender.system.token.old")  # the secure-mail system's token is never handed out
    assert (finding.severity, finding.subject.id) == (Severity.WARNING, str(healthy.rest_sender.pk))
    assert finding.facts["tokenAgeDays"] == 366
    assert "Issue a new API token" in finding.fix


# --- pure: hand-built snapshots -----------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def system(**changes) -> SenderSystemInfo:
    values = dict(id="s1", name="Sikker post", channel="SECURE_MAIL", is_active=True, is_standard=True,
                  certificate_id="c1", token_issued_at=NOW - timedelta(days=10), created_at=NOW - timedelta(days=10),
                  last_used_at=None)
    return SenderSystemInfo(**(values | changes))


def certificate(**changes) -> CertificateInfo:
    values = dict(id="c1", subject="CN=post", not_before=NOW - timedelta(days=10),
                  not_after=NOW + timedelta(days=300), emails=("post@nordby.localhost",))
    return CertificateInfo(**(values | changes))


def org(*systems: SenderSystemInfo, certificates: tuple[CertificateInfo, ...] = ()) -> OrgSnapshot:
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="", technical_contact_email="",
                       superadministrators=2, reply_deadline_days=10, sender_systems=systems,
                       certificates=certificates)


def test_an_organisation_without_sender_systems_has_no_standard():
    (finding,) = standard_sender_system(org(), NOW)
    assert finding.code == "sender.system.standard.missing"
    assert finding.facts == {"senderSystems": 0}


def test_every_cause_is_named_and_expiry_is_not_one():
    cert = certificate(signing_problems=("certificate.expired", "certificate.key.usage", "certificate.untrusted"))
    (finding,) = standard_sender_system(org(system(is_active=False), certificates=(cert,)), NOW)
    assert finding.facts["causes"] == "inactive, certificate.key.usage, certificate.untrusted"
    assert "deactivated" in finding.why
    assert "key usage" in finding.why
    assert "trusts" in finding.why
    only_expired = certificate(signing_problems=("certificate.expired",))
    assert list(standard_sender_system(org(system(), certificates=(only_expired,)), NOW)) == []


def test_last_traffic_counts_rather_than_creation():
    old = dict(created_at=NOW - timedelta(days=500), token_issued_at=NOW - timedelta(days=100))
    recent = system(is_standard=False, channel="REST", last_used_at=NOW - timedelta(days=3), **old)
    idle = system(id="s2", is_standard=False, channel="REST", last_used_at=NOW - timedelta(days=120), **old)
    found = list(forgotten_sender_systems(org(recent, idle), NOW))
    assert [(f.code, f.subject.id, f.facts["daysIdle"]) for f in found] == [("sender.system.forgotten", "s2", 120)]
