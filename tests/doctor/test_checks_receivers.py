"""Receivers that do not take inquiries: a mail server bouncing "user unknown", deactivation after a week of
failures, a pull system that never fetches, dead-lettered hand-overs, and a failed probe of a mailbox's route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.findings import Severity, SubjectKind
from digitalpost.delivery.channels.rest_pull import acknowledge_message
from digitalpost.doctor.checks.receivers import failed_probes, failing_receivers
from digitalpost.doctor.checks.snapshot import MailboxInfo, OrgSnapshot, ProbeInfo, ReceiverSystemInfo
from digitalpost.doctor.models import ProbeResult
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import bury
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import create_pull_receiver
from helpers.doctor_world import HealthyOrg, findings_of, mine
from helpers.secure_mail import MailSink, free_port, hub_on

THREAD_KEYS = "k1:ZG9jdG9yIHRlc3Qga2V5LCB0aGlydHktdHdvIGJ5dGVzIQ=="
CODES = {"receiver.failing", "receiver.deactivated", "receiver.pull.unfetched", "receiver.dead.letters",
         "probe.failed"}
USER_UNKNOWN = "550 5.1.1 User unknown"


class UserUnknown(MailSink):
    """The authority's mail server after the secure address's mailbox was deleted: every recipient bounces."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        return USER_UNKNOWN


@pytest.fixture
def hub(healthy: HealthyOrg, settings) -> Iterator[None]:
    """The hub can sign and encrypt forwards (the healthy world's PKI) and uses a relay on 127.0.0.1."""
    with hub_on(settings, healthy.pki.base, thread_keys=THREAD_KEYS, DIGITALPOST_SMTP_REQUIRE_TLS=False,
                DIGITALPOST_SMTP_RELAY_HOST="127.0.0.1"):
        yield


@pytest.fixture
def bouncing_mail_server(hub, settings) -> Iterator[UserUnknown]:
    sink = UserUnknown()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.DIGITALPOST_SMTP_RELAY_PORT = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def ask(cast, healthy: HealthyOrg):
    """ask(mailbox=…, subject=…): Anna writes to a Nordby mailbox (the standard one by default)."""

    def write(*, mailbox=None, subject: str = "Mit pas") -> Message:
        return send_inquiry(party=cast.anna, mailbox=mailbox or healthy.mailbox,
                            inquiry=Inquiry(subject=subject, text="Hvornår er mit pas klar?"))

    return write


def test_a_healthy_organisation_has_no_receiver_findings(healthy: HealthyOrg):
    assert not CODES & {f.code for f in findings_of(healthy)}


# --- through the real paths ---------------------------------------------------------------------------------


def test_a_mail_server_answering_user_unknown_makes_the_receiver_failing_and_critical_after_a_day(
    healthy: HealthyOrg, ask, bouncing_mail_server, drain
):
    message = ask()
    assert drain(WorkKind.FORWARD) == 1
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED  # nothing is lost: it waits

    now = timezone.now()
    (finding,) = mine(findings_of(healthy, now=now), "receiver.failing")
    assert (finding.severity, finding.subject.kind, finding.subject.id) == (
        Severity.WARNING, SubjectKind.RECEIVER_SYSTEM, str(healthy.receiver.pk))
    assert finding.facts["lastError"] == f"{USER_UNKNOWN} (borgerservice@nordby.localhost)"
    assert finding.facts["waitingInquiries"] == 1
    assert USER_UNKNOWN in finding.why
    assert "“Borgerservice”" in finding.why

    (later,) = mine(findings_of(healthy, now=now + timedelta(days=1, minutes=1)), "receiver.failing")
    assert later.severity is Severity.CRITICAL
    assert later.facts["hoursFailing"] == 24


def test_a_receiver_failing_for_a_week_is_deactivated_and_reported_critical_with_the_waiting_inquiries(
    healthy: HealthyOrg, ask, bouncing_mail_server, drain, settings
):
    ask(subject="Første")
    ask(subject="Anden")
    assert drain(WorkKind.FORWARD) == 2
    # A week of failures: the hub's own rule (note_receiver_failure) deactivates at the next failed attempt.
    week_ago = timezone.now() - timedelta(days=settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS, minutes=5)
    ReceiverSystem.objects.filter(pk=healthy.receiver.pk).update(failing_since=week_ago)
    Job.objects.filter(kind=WorkKind.FORWARD).update(run_after=timezone.now())
    assert drain(WorkKind.FORWARD) == 2
    assert not ReceiverSystem.objects.get(pk=healthy.receiver.pk).is_active

    found = findings_of(healthy)
    (finding,) = mine(found, "receiver.deactivated")
    assert (finding.severity, finding.subject.id, finding.stage) == (
        Severity.CRITICAL, str(healthy.receiver.pk), "deactivated")
    assert finding.facts["waitingInquiries"] == 2
    assert finding.facts["lastError"].startswith(USER_UNKNOWN)
    assert finding.facts["failingSince"] == week_ago.isoformat()
    assert "2 inquiries wait" in finding.why
    assert mine(found, "receiver.failing") == []  # deactivated says it all


@pytest.fixture
def pull_mailbox(healthy: HealthyOrg):
    receiver, _ = create_pull_receiver(authority=healthy.authority, name="Nordby ESDH")
    return create_mailbox(authority=healthy.authority, name="Byggesag", receiver_system=receiver), receiver


def test_a_pull_system_that_does_not_fetch_for_a_day_is_reported_and_critical_after_three(
    healthy: HealthyOrg, ask, pull_mailbox, drain
):
    mailbox, receiver = pull_mailbox
    message = ask(mailbox=mailbox)
    assert drain(WorkKind.FORWARD) == 1  # offered to the pull system
    now = timezone.now()

    assert mine(findings_of(healthy, now=now + timedelta(hours=23)), "receiver.pull.unfetched") == []
    (finding,) = mine(findings_of(healthy, now=now + timedelta(hours=25)), "receiver.pull.unfetched")
    assert (finding.severity, finding.subject.id) == (Severity.WARNING, str(receiver.pk))
    assert finding.facts["waitingInquiries"] == 1
    assert finding.facts["hoursWaiting"] == 25
    (late,) = mine(findings_of(healthy, now=now + timedelta(days=3, hours=1)), "receiver.pull.unfetched")
    assert late.severity is Severity.CRITICAL

    acknowledge_message(receiver=receiver, message_id=message.pk)
    assert mine(findings_of(healthy, now=now + timedelta(days=3, hours=1)), "receiver.pull.unfetched") == []


def test_an_inquiry_whose_hand_over_was_given_up_is_a_critical_dead_letter(healthy: HealthyOrg, ask):
    message = ask()
    job = Job.objects.get(kind=WorkKind.FORWARD, payload__message=str(message.pk))
    bury(job, "gave up after 8 attempts: the secure address's certificate cannot be read")

    (finding,) = mine(findings_of(healthy), "receiver.dead.letters")
    assert (finding.severity, finding.subject.id) == (Severity.CRITICAL, str(healthy.receiver.pk))
    assert finding.facts["deadInquiries"] == 1
    assert "certificate cannot be read" in finding.facts["error"]


def probe(healthy: HealthyOrg, outcome: str, *, at: datetime, detail: str = "") -> ProbeResult:
    return ProbeResult.objects.create(
        authority=healthy.authority, mailbox=healthy.mailbox, mailbox_name=healthy.mailbox.name,
        route="SECURE_ADDRESS", started_at=at, finished_at=at if outcome != "WAITING" else None, outcome=outcome,
        detail=detail)


def test_a_failed_probe_of_a_mailbox_is_critical_until_a_later_probe_passes(healthy: HealthyOrg):
    now = timezone.now()
    probe(healthy, "FAILED", at=now - timedelta(minutes=10), detail=USER_UNKNOWN)

    (finding,) = mine(findings_of(healthy, now=now), "probe.failed")
    assert (finding.severity, finding.subject.kind, finding.subject.id, finding.stage) == (
        Severity.CRITICAL, SubjectKind.MAILBOX, str(healthy.mailbox.pk), "failed")
    assert finding.facts["detail"] == USER_UNKNOWN
    assert finding.facts["route"] == "SECURE_ADDRESS"

    probe(healthy, "OK", at=now - timedelta(minutes=1))
    assert mine(findings_of(healthy, now=now), "probe.failed") == []


def test_a_probe_not_fetched_within_a_day_is_a_warning(healthy: HealthyOrg):
    now = timezone.now()
    probe(healthy, "WAITING", at=now)
    assert mine(findings_of(healthy, now=now + timedelta(hours=2)), "probe.failed") == []
    (finding,) = mine(findings_of(healthy, now=now + timedelta(hours=25)), "probe.failed")
    assert (finding.severity, finding.stage) == (Severity.WARNING, "waiting")


# --- the checks over hand-built snapshots -------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
RECEIVER = ReceiverSystemInfo(id="r1", name="borgerservice@nordby.dk", kind="SECURE_ADDRESS", is_active=True,
                              secure_address_id=None, failing_since=None, deactivated_at=None)
MAILBOX = MailboxInfo(id="m1", name="Borgerservice", is_open=True, is_visible=True, is_standard=True,
                      receiver_system_id="r1")


def org(*receivers: ReceiverSystemInfo, probes: tuple[ProbeInfo, ...] = (), **changes: Any) -> OrgSnapshot:
    values: dict[str, Any] = {
        "cvr": "29190003", "name": "Nordby Kommune", "technical_contact_name": "IT",
        "technical_contact_email": "it@nordby.dk", "superadministrators": 2, "reply_deadline_days": 10,
        "receiver_systems": receivers, "mailboxes": (MAILBOX,), "probes": probes}
    return OrgSnapshot(**(values | changes))


def receiver_findings(snapshot: OrgSnapshot) -> list[tuple[str, Severity]]:
    return [(f.code, f.severity) for f in failing_receivers(snapshot, NOW)]


def test_a_working_receiver_gives_nothing():
    assert receiver_findings(org(RECEIVER, replace(RECEIVER, id="r2", kind="REST_PULL", waiting_inquiries=3,
                                                   oldest_waiting_since=NOW - timedelta(hours=2)))) == []


@pytest.mark.parametrize(("failing_for", "severity"), [
    (timedelta(minutes=1), Severity.WARNING), (timedelta(hours=23, minutes=59), Severity.WARNING),
    (timedelta(days=1), Severity.CRITICAL)])
def test_a_failing_receiver_turns_critical_after_a_day(failing_for: timedelta, severity: Severity):
    failing = replace(RECEIVER, failing_since=NOW - failing_for, last_error="421 try later")
    assert receiver_findings(org(failing)) == [("receiver.failing", severity)]


def test_a_deactivated_receiver_nothing_uses_and_nothing_waits_for_is_not_reported():
    off = replace(RECEIVER, is_active=False, deactivated_at=NOW)
    assert receiver_findings(org(off, mailboxes=())) == []
    assert receiver_findings(org(replace(off, waiting_inquiries=1), mailboxes=())) == [
        ("receiver.deactivated", Severity.CRITICAL)]


def test_only_pull_receivers_are_judged_by_how_long_inquiries_wait_to_be_fetched():
    waiting = {"waiting_inquiries": 1, "oldest_waiting_since": NOW - timedelta(days=2)}
    assert receiver_findings(org(replace(RECEIVER, **waiting))) == []
    assert receiver_findings(org(replace(RECEIVER, kind="REST_PULL", **waiting))) == [
        ("receiver.pull.unfetched", Severity.WARNING)]


def test_dead_letters_are_counted_per_receiver():
    dead = replace(RECEIVER, dead_inquiries=3, dead_since=NOW - timedelta(days=1), dead_error="boom")
    (finding,) = failing_receivers(org(dead), NOW)
    assert finding.facts["deadInquiries"] == 3
    assert "3 inquiries" in finding.why


def test_probes_of_closed_or_unknown_mailboxes_and_passing_probes_are_not_reported():
    failed = ProbeInfo(mailbox_id="m1", at=NOW, ok=False, detail="refused", outcome="FAILED")
    assert [f.stage for f in failed_probes(org(probes=(failed,)), NOW)] == ["failed"]
    assert list(failed_probes(org(probes=(failed,), mailboxes=(replace(MAILBOX, is_open=False),)), NOW)) == []
    assert list(failed_probes(org(probes=(replace(failed, mailbox_id="gone"),)), NOW)) == []
    assert list(failed_probes(org(probes=(replace(failed, ok=True, outcome="OK"),)), NOW)) == []
    assert [f.severity for f in failed_probes(org(probes=(replace(failed, outcome=""),)), NOW)] == [
        Severity.CRITICAL]  # a result without an outcome falls back to `ok`
