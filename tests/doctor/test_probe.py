"""The probe: a synthetic inquiry through each open mailbox's real route, against a real SMTP relay on 127.0.0.1.

The relay stands in for the authority's mail server: it accepts (250) or refuses ("550 5.1.1 user unknown").
What it receives must be a real S/MIME inquiry the authority can decrypt with its secure address' key, marked as
a probe, and the probe must leave nothing a caseworker or the statistics would see.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.doctor.models import ProbeResult
from digitalpost.doctor.probe import PROBE_HEADER, PROBE_TAG, is_probe_due, probe_mailboxes
from digitalpost.messages.models import Message, Thread
from digitalpost.protocols import mail, smime
from digitalpost.systems.services.receivers import create_pull_receiver
from digitalpost.systems.services.senders import renew_sender_certificate
from helpers.doctor_world import HealthyOrg
from helpers.secure_mail import hub_on

THREAD_KEYS = "k1:cHJvYmUgdGVzdCBrZXksIHRoaXJ0eS10d28gYnl0ZXMhIQ=="


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class AuthorityMailServer:
    refuse: str | None = None  # answer RCPT with this instead of accepting
    mails: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Queued as probe"


@pytest.fixture
def hub(settings, healthy: HealthyOrg):
    """The hub signs with the test PKI's hub certificate (the one the doctor world's CA issued)."""
    with hub_on(settings, healthy.pki.base, thread_keys=THREAD_KEYS, DIGITALPOST_SMTP_REQUIRE_TLS=False):
        yield healthy


@pytest.fixture
def relay(settings):
    server = AuthorityMailServer()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = port
    yield server
    controller.stop()


def test_an_accepted_probe_is_ok_and_the_authority_can_decrypt_it(hub: HealthyOrg, relay):
    messages, threads = Message.objects.count(), Thread.objects.count()

    (result,) = probe_mailboxes(authority=hub.authority)

    assert (result.outcome, result.route, result.mailbox_id) == ("OK", "SECURE_ADDRESS", hub.mailbox.pk)
    assert "250" in result.detail
    assert "standard sender system can sign" in result.detail
    ((_mail_from, rcpts, raw),) = relay.mails
    assert rcpts == ["borgerservice@nordby.localhost"]
    outer = BytesParser(policy=policy.default).parsebytes(raw)
    assert outer[PROBE_HEADER]
    assert outer["Subject"].startswith(PROBE_TAG)
    decrypted = smime.decrypt(raw, certificate=hub.pki.address.certificate, key=hub.pki.address.key)
    content = smime.verify(decrypted, at=timezone.now()).content
    parsed = mail.parse_reply(content, envelope=decrypted)
    assert PROBE_TAG in parsed.text
    assert parsed.thread_carriers.header  # it looks like a real inquiry, thread file and all
    # nothing a caseworker would see, nothing statistics would count
    assert (Message.objects.count(), Thread.objects.count()) == (messages, threads)


def test_a_refusing_mail_server_makes_the_probe_fail_with_its_answer(hub: HealthyOrg, relay):
    relay.refuse = "550 5.1.1 <borgerservice@nordby.localhost>: user unknown"

    (result,) = probe_mailboxes(authority=hub.authority)

    assert result.outcome == "FAILED"
    assert "550" in result.detail
    assert "user unknown" in result.detail
    assert relay.mails == []


def test_a_relay_that_does_not_answer_makes_the_probe_fail(hub: HealthyOrg, settings):
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()
    (result,) = probe_mailboxes(authority=hub.authority)
    assert result.outcome == "FAILED"
    assert "refused the test inquiry" in result.detail


def test_the_probe_fails_when_no_reply_could_come_back(hub: HealthyOrg, relay, settings):
    # the standard sender system's certificate runs for 45 days; the address' for a year
    renew_sender_certificate(system=hub.standard_sender, certificate_pem=hub.pki.sender.certificate_pem,
                             trust_anchors=[hub.pki.base.ca.certificate])
    (result,) = probe_mailboxes(authority=hub.authority, now=timezone.now() + timedelta(days=50))
    assert result.outcome == "FAILED"
    assert "no reply can come back" in result.detail
    assert "certificate" in result.detail
    assert len(relay.mails) == 1  # the inquiry itself still went through


def test_a_mailbox_without_receiver_fails_without_sending_anything(hub: HealthyOrg, relay):
    mailbox = create_mailbox(authority=hub.authority, name="Byggesager")
    (result,) = probe_mailboxes(mailbox_id=str(mailbox.pk))
    assert (result.outcome, result.route) == ("FAILED", "NONE")
    assert "no receiver system" in result.detail
    assert relay.mails == []


def test_a_pull_system_is_judged_by_its_fetching(hub: HealthyOrg, relay):
    receiver, _ = create_pull_receiver(authority=hub.authority, name="Nordby ESDH")
    mailbox = create_mailbox(authority=hub.authority, name="Skat", receiver_system=receiver)
    (result,) = probe_mailboxes(mailbox_id=str(mailbox.pk))
    assert (result.outcome, result.route) == ("OK", "REST_PULL")
    assert "nothing waiting" in result.detail
    assert relay.mails == []


def test_an_unknown_mailbox_is_a_lookup_error_and_other_organisations_are_left_alone(hub: HealthyOrg, relay, cast):
    with pytest.raises(LookupError):
        probe_mailboxes(mailbox_id="not-a-uuid")
    probe_mailboxes(authority=hub.authority)
    assert not ProbeResult.objects.filter(authority=cast.sydby.authority).exists()


def test_a_probe_is_due_again_only_after_the_interval(hub: HealthyOrg, relay):
    assert is_probe_due(timedelta(hours=24))
    probe_mailboxes(authority=hub.authority)
    assert not is_probe_due(timedelta(hours=24))
    assert is_probe_due(timedelta(hours=24), now=timezone.now() + timedelta(hours=25))


def test_unreadable_trust_anchors_fail_the_probe_with_the_cause_and_send_nothing(hub: HealthyOrg, relay, settings,
                                                                                  tmp_path):
    settings.DIGITALPOST_TRUST_ANCHORS = tmp_path / "missing-ca.pem"
    (result,) = probe_mailboxes(authority=hub.authority)
    assert result.outcome == "FAILED"
    assert "hub cannot check the certificate" in result.detail
    assert "missing-ca.pem" in result.detail
    assert relay.mails == []
