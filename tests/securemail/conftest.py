"""Fixtures for the secure-mail loop: a dev PKI on disk, the authority's mail server, Nordby's secure address
and sender systems, and the real gateway (STARTTLS) on a free port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from securemail_mail import PDF, MailSink, free_port, hub_on, running_gateway, smtp_send
from securemail_pki import NORDBY_ADDRESS, SecureMailPki, build_pki

from cast import Cast
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.messages.models import Message
from digitalpost.protocols import smime
from digitalpost.systems.models import ReceiverSystem, SenderSystem
from digitalpost.systems.services.receivers import create_secure_address
from digitalpost.systems.services.senders import create_secure_mail_sender

THREAD_KEYS = "k1:c2VjdXJlbWFpbCB0ZXN0IGtleSwgMzIgYnl0ZXMgbG9uZyE="


@pytest.fixture(scope="session")
def securemail_pki(tmp_path_factory: pytest.TempPathFactory) -> SecureMailPki:
    return build_pki(tmp_path_factory.mktemp("securemail-pki"))


@pytest.fixture(autouse=True)
def hub_settings(settings, securemail_pki: SecureMailPki) -> Iterator[SecureMailPki]:
    """The hub uses the test PKI and a fixed thread keyring; the per-process caches are cleared around each test."""
    with hub_on(settings, securemail_pki, thread_keys=THREAD_KEYS, DIGITALPOST_SMTP_REQUIRE_TLS=False):
        yield securemail_pki


@pytest.fixture
def authority_mail_server(settings) -> Iterator[MailSink]:
    """The authority's own mail server (a real aiosmtpd), set as the hub's relay; `.mails` holds what came in."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = port
    yield sink
    controller.stop()


@dataclass
class NordbySecure:
    cast: Cast
    receiver: ReceiverSystem
    mailbox: AuthorityMailbox
    sender: SenderSystem  # Nordby's standard sender system, secure mail
    sydby_sender: SenderSystem  # Sydby's registered secure-mail sender

    def inquiry(self, **changes) -> Message:
        values = {"subject": "Mit pas", "text": "Hvornår er mit pas klar?", "topic": "Pas",
                  "metadata": (("Sagsnummer", "S-2026-17"),),
                  "attachments": [("pas.pdf", "application/pdf", PDF)]}
        return send_inquiry(party=self.cast.anna, mailbox=self.mailbox, inquiry=Inquiry(**(values | changes)))


def build_nordby_secure(cast: Cast, pki: SecureMailPki) -> NordbySecure:
    anchors = [smime.load_certificate(pki.ca.pem)]
    receiver = create_secure_address(authority=cast.nordby.authority, email=NORDBY_ADDRESS,
                                     certificate_pem=pki.nordby_address.pem, trust_anchors=anchors)
    mailbox = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", topics=["Pas", "Kørekort"],
                             metadata_fields=[("Sagsnummer", True)], receiver_system=receiver)
    # The cast's REST system is Nordby's standard one; the secure-mail sender takes over that role.
    SenderSystem.objects.filter(pk=cast.nordby.system.pk).update(is_standard=False)
    sender = create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby sikker post",
                                       certificate_pem=pki.nordby_sender.pem, trust_anchors=anchors, is_standard=True)
    sydby_sender = create_secure_mail_sender(authority=cast.sydby.authority, name="Sydby sikker post",
                                             certificate_pem=pki.sydby_sender.pem, trust_anchors=anchors)
    return NordbySecure(cast=cast, receiver=receiver, mailbox=mailbox, sender=sender, sydby_sender=sydby_sender)


@pytest.fixture
def nordby_secure(cast: Cast, securemail_pki: SecureMailPki) -> NordbySecure:
    return build_nordby_secure(cast, securemail_pki)


@pytest.fixture
def tx_nordby_secure(tx_cast: Cast, securemail_pki: SecureMailPki) -> NordbySecure:
    """Like nordby_secure, committed for real: the gateway files replies from another thread."""
    return build_nordby_secure(tx_cast, securemail_pki)


@pytest.fixture
def gateway(hub_settings) -> Iterator[int]:
    """The real gateway (STARTTLS required, the hub's certificate) on a free port; yields the port."""
    with running_gateway() as port:
        yield port


@pytest.fixture
def send_to_gateway(gateway: int) -> Callable[..., tuple[int, str]]:
    """send_to_gateway(data, **smtp_send options) → (code, text): 250, or the refusal (554 …, 550 …)."""

    def send(data: bytes, **options) -> tuple[int, str]:
        return smtp_send(gateway, data, **options)

    return send
