"""Replies refused in the last 30 days, one finding per cause and sender: critical when every reply from that
sender fails (expired, unregistered or non-standard signer), a warning when it depends on the reply (no thread)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.conversations.services.receive import receive_secure_mail
from digitalpost.conversations.tokens import REPLY_DATA_LABEL
from digitalpost.core.errors import ErrorCode
from digitalpost.core.findings import Finding, Severity, SubjectKind
from digitalpost.doctor.checks.refused_replies import refused_replies
from digitalpost.doctor.checks.snapshot import OrgSnapshot, RefusalGroup, SecureAddressInfo, SenderSystemInfo
from digitalpost.doctor.services import examine
from digitalpost.messages.models import RefusedReply
from digitalpost.protocols import memo
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services.senders import create_sender_system
from helpers.doctor_world import HealthyOrg, findings_of
from helpers.secure_mail import hub_on, plain_entity, protect, untagged_envelope
from helpers.secure_mail_pki import NORDBY_ADDRESS

THREAD_KEYS = "k1:ZG9jdG9yIHRlc3Qga2V5LCB0aGlydHktdHdvIGJ5dGVzIQ=="
CODES = {"reply.refused.thread", "reply.refused.certificate", "reply.refused.not.standard",
         "reply.refused.signer.unknown", "reply.refused.other", "letter.refused"}
FORGED_TAG = "SV: Borgerservice [DP:v1.k1.Zm9yZ2Vk.Zm9yZ2VkIG1hYw]"


@pytest.fixture
def hub(healthy: HealthyOrg, settings) -> Iterator[None]:
    """The hub decrypts with the healthy world's hub key, as the gateway does."""
    with hub_on(settings, healthy.pki.base, thread_keys=THREAD_KEYS):
        yield


def send_reply(healthy: HealthyOrg, *, signer: Any, envelope_from: str = NORDBY_ADDRESS,
               subject: str = "SV: Borgerservice") -> ErrorCode | None:
    """The authority's mail server sends a mail to the hub (what the gateway hands to receive_secure_mail); without a
    thread tag in `subject` it is a new letter (docs/secure-mail-letters.md)."""
    raw = protect(plain_entity("Dit pas er klar."), untagged_envelope(subject), signer=signer,
                  hub=healthy.pki.base.hub)
    return receive_secure_mail(raw=raw, envelope_from=envelope_from).code


def refused(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.code in CODES]


def test_a_healthy_organisation_has_no_refused_replies(healthy: HealthyOrg):
    assert refused(findings_of(healthy)) == []


# --- through the real receive path ----------------------------------------------------------------------------


def test_replies_without_a_valid_dialog_thread_are_a_warning_on_the_standard_sender_system(healthy: HealthyOrg, hub):
    assert send_reply(healthy, signer=healthy.pki.sender_renewed, subject=FORGED_TAG) == ErrorCode.THREAD_INVALID
    assert send_reply(healthy, signer=healthy.pki.sender_renewed, subject=FORGED_TAG) == ErrorCode.THREAD_INVALID

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.thread", Severity.WARNING)
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.standard_sender.pk))
    assert finding.facts["count"] == 2
    assert finding.facts["code"] == "thread.invalid"
    assert "2 replies from Nordby sikker post" in finding.why


def test_refused_letters_started_by_secure_mail_are_their_own_warning_on_the_sender_system(healthy: HealthyOrg, hub):
    """A new mail (no thread tag) without a recipient line: a refused letter, not a refused reply."""
    assert send_reply(healthy, signer=healthy.pki.sender_renewed) == ErrorCode.LETTER_RECIPIENT_MISSING

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("letter.refused", Severity.WARNING)
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.standard_sender.pk))
    assert finding.facts["code"] == "letter.recipient.missing"
    assert "1 letter started by secure mail from Nordby sikker post" in finding.why


def test_refused_rest_replies_are_counted_on_the_sender_system_whose_token_sent_them(healthy: HealthyOrg, cast):
    """A case system answers Anna's conversation, but addresses the answer to Bent: refused, and counted."""
    inquiry = send_inquiry(party=cast.anna, mailbox=healthy.mailbox, inquiry=Inquiry(subject="Mit pas", text="Hej"))
    for _ in range(2):
        letter = cast.nordby.memo(cast.bent)
        letter = replace(letter, header=replace(letter.header, reply_data=(
            memo.ReplyData(message_uuid=str(inquiry.message_uuid)),)))
        assert cast.nordby.submit(letter).json()["errorCode"] == "reply.recipient.mismatch"

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.other", Severity.WARNING)
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.rest_sender.pk))
    assert (finding.facts["count"], finding.facts["code"]) == (2, "reply.recipient.mismatch")
    assert "2 replies from Nordby fjernprint" in finding.why


def rest_answer(cast, inquiry, *, reply_data: tuple[memo.ReplyData, ...] | None = None) -> memo.Message:
    letter = cast.nordby.memo(cast.anna)
    named = reply_data or (memo.ReplyData(message_uuid=str(inquiry.message_uuid)),)
    return replace(letter, header=replace(letter.header, reply_data=named))


def test_rest_replies_with_a_changed_dialog_thread_count_as_thread_refusals_of_the_case_system(
    healthy: HealthyOrg, cast
):
    inquiry = send_inquiry(party=cast.anna, mailbox=healthy.mailbox, inquiry=Inquiry(subject="Mit pas", text="Hej"))
    forged = memo.ReplyData(message_uuid=str(inquiry.message_uuid), additional_reply_data=(
        memo.AdditionalReplyData(label=REPLY_DATA_LABEL, value="v1.k1.Zm9yZ2Vk.Zm9yZ2VkIG1hYw"),))
    assert cast.nordby.submit(rest_answer(cast, inquiry, reply_data=(forged,))).json()["errorCode"] == (
        "reply.thread.invalid")

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.thread", Severity.WARNING)
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.rest_sender.pk))
    assert finding.facts["code"] == "reply.thread.invalid"


def test_rest_replies_sent_with_a_secure_mail_systems_token_are_critical_on_that_system(healthy: HealthyOrg, cast):
    """An Outlook signing identity's API token does not make it a case system: every REST reply it sends fails."""
    outlook = create_sender_system(authority=cast.nordby.authority, name="Nordby Outlook-token")
    SenderSystem.objects.filter(pk=outlook.system.pk).update(channel=SenderSystem.Channel.SECURE_MAIL)
    inquiry = send_inquiry(party=cast.anna, mailbox=healthy.mailbox, inquiry=Inquiry(subject="Mit pas", text="Hej"))
    response = cast.nordby.submit(rest_answer(cast, inquiry), client=Client(
        HTTP_AUTHORIZATION=f"Bearer {outlook.token}"))
    assert response.json()["errorCode"] == "reply.sender.not.allowed"

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.not.standard", Severity.CRITICAL)
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(outlook.system.pk))


def test_replies_signed_with_an_unregistered_certificate_are_critical_for_the_address_they_came_from(
    healthy: HealthyOrg, hub, cast
):
    # The mail server signs with a certificate nobody uploaded: the gateway cannot tell whose reply it is.
    assert send_reply(healthy, signer=healthy.pki.base.nordby_sender) == ErrorCode.SENDER_CERTIFICATE_UNKNOWN
    assert RefusedReply.objects.get().authority is None

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.signer.unknown", Severity.CRITICAL)
    assert (finding.subject.kind, finding.subject.name) == (SubjectKind.SECURE_ADDRESS, NORDBY_ADDRESS)
    assert finding.facts["count"] == 1
    # Sydby has nothing to do with that address: it never sees Nordby's refusals.
    assert refused(examine(cast.sydby.authority, now=timezone.now()).plain) == []


def test_unsigned_replies_are_a_warning_of_their_own_cause(healthy: HealthyOrg, hub):
    assert send_reply(healthy, signer=None) == ErrorCode.SIGNATURE_MISSING

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity, finding.facts["code"]) == (
        "reply.refused.other", Severity.WARNING, "signature.missing")


def test_refusals_leave_the_list_after_thirty_days(healthy: HealthyOrg, hub):
    send_reply(healthy, signer=healthy.pki.sender_renewed)
    assert refused(findings_of(healthy, now=timezone.now() + timedelta(days=29)))
    assert refused(findings_of(healthy, now=timezone.now() + timedelta(days=31))) == []


# --- recorded the way the gateway records them ------------------------------------------------------------------


def record(code: ErrorCode, detail: str, *, sender: str = "post@nordby.localhost") -> None:
    """What receive_secure_mail stores when the signer was refused before its organisation was settled."""
    RefusedReply.objects.create(code=str(code), detail=detail, authority=None, thread=None, sender_address=sender,
                                signer_subject="", received_at=timezone.now())


def test_replies_signed_with_an_expired_certificate_are_critical_on_the_sender_system(healthy: HealthyOrg):
    certificate = healthy.standard_sender.certificate
    record(ErrorCode.SENDER_CERTIFICATE_EXPIRED, f"{certificate.subject} valid until 2025-01-01 00:00:00+00:00")

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.certificate", Severity.CRITICAL)
    assert finding.subject.id == str(healthy.standard_sender.pk)
    assert finding.facts["code"] == "sender.certificate.expired"


def test_replies_signed_by_a_system_that_may_not_reply_are_critical_on_that_system(healthy: HealthyOrg):
    record(ErrorCode.SENDER_NOT_STANDARD_SYSTEM, healthy.rest_sender.name, sender="sagsbehandler@nordby.localhost")

    (finding,) = refused(findings_of(healthy))
    assert (finding.code, finding.severity) == ("reply.refused.not.standard", Severity.CRITICAL)
    assert finding.subject.id == str(healthy.rest_sender.pk)


def test_refusals_from_addresses_of_another_domain_are_not_this_organisations(healthy: HealthyOrg):
    record(ErrorCode.SENDER_CERTIFICATE_UNKNOWN, "CN=Someone", sender="post@elsewhere.localhost")
    assert refused(findings_of(healthy)) == []


# --- the check over hand-built snapshots ------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SYSTEM = SenderSystemInfo(id="s1", name="Nordby sikker post", channel="SECURE_MAIL", is_active=True,
                          is_standard=True, certificate_id="c1", token_issued_at=NOW, created_at=NOW,
                          last_used_at=None)
GROUP = RefusalGroup(code="thread.missing", sender="CN=Nordby", count=2, last_at=NOW - timedelta(days=1),
                     sender_system_id="s1")


def org(*groups: RefusalGroup) -> OrgSnapshot:
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="IT",
                       technical_contact_email="it@nordby.dk", superadministrators=2, reply_deadline_days=10,
                       sender_systems=(SYSTEM,), refusals=groups,
                       secure_addresses=(SecureAddressInfo(id="a1", email="post@nordby.dk", certificate_id="c2"),))


def test_causes_of_one_class_from_one_sender_make_one_finding_with_every_code():
    found = list(refused_replies(org(GROUP, replace(GROUP, code="thread.invalid", count=1, last_at=NOW)), NOW))
    assert [(f.code, f.facts["count"], f.facts["code"], f.facts["lastAt"]) for f in found] == [
        ("reply.refused.thread", 3, "thread.invalid, thread.missing", NOW.isoformat())]


def test_each_class_and_each_sender_is_a_finding_of_its_own():
    found = list(refused_replies(org(
        GROUP,
        replace(GROUP, code="sender.certificate.expired"),
        replace(GROUP, sender="post@nordby.dk", sender_system_id=None),
        replace(GROUP, code="sender.certificate.unknown", sender="mail@stranger.dk", sender_system_id=None),
    ), NOW))
    assert sorted((f.code, f.severity.value, f.subject.kind.value, f.subject.id) for f in found) == [
        ("reply.refused.certificate", "critical", "sender_system", "s1"),
        ("reply.refused.signer.unknown", "critical", "organisation", "mail@stranger.dk"),
        ("reply.refused.thread", "warning", "secure_address", "a1"),
        ("reply.refused.thread", "warning", "sender_system", "s1"),
    ]
    assert len({f.fingerprint for f in found}) == 4


def test_a_sender_too_long_for_a_subject_id_gets_a_stable_short_one():
    long_signer = "CN=" + "x" * 200
    group = replace(GROUP, sender=long_signer, sender_system_id=None)
    (first,) = refused_replies(org(group), NOW)
    (again,) = refused_replies(org(group), NOW)
    assert len(first.subject.id) <= 64
    assert first.subject.id == again.subject.id
    assert first.subject.name == long_signer


def test_one_refusal_is_told_in_the_singular():
    (finding,) = refused_replies(org(replace(GROUP, count=1)), NOW)
    assert finding.why.startswith("1 reply from Nordby sikker post (CN=Nordby) was refused in the last 30 days")
