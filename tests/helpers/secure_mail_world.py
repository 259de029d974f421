"""Fixtures for the secure-mail loop: a dev PKI on disk, the authority's mail server, Nordby's secure address
and sender systems, the real gateway (STARTTLS) on a free port, and Anna's inquiry as it reached Nordby.

A pytest plugin (`tests/conftest.py` loads it), so the gateway, delivery, conversation and CLI tests share it.
A test module that needs the hub on the test PKI says so with `pytest.mark.usefixtures("hub_settings")`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from cast import Cast
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Message, RefusedReply, Thread
from digitalpost.outbox.models import WorkKind
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate, ReceiverSystem, SenderSystem
from digitalpost.systems.selectors import hash_token
from digitalpost.systems.services.receivers import create_secure_address
from digitalpost.systems.services.senders import create_secure_mail_sender
from digitalpost.systems.services.tokens import new_token
from helpers.secure_mail import (
    PDF,
    MailSink,
    Opened,
    free_port,
    hub_on,
    open_forwarded,
    protect,
    reply_entity,
    running_gateway,
    smtp_send,
)
from helpers.secure_mail_pki import NORDBY_ADDRESS, SecureMailPki, build_pki

THREAD_KEYS = "k1:c2VjdXJlbWFpbCB0ZXN0IGtleSwgMzIgYnl0ZXMgbG9uZyE="


@pytest.fixture(scope="session")
def securemail_pki(tmp_path_factory: pytest.TempPathFactory) -> SecureMailPki:
    return build_pki(tmp_path_factory.mktemp("securemail-pki"))


@pytest.fixture
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


REPLY_TEXT = "Kære Anna\n\nDit pas er klar til afhentning i Borgerservice.\n\nVenlig hilsen\nNordby Kommune"


@dataclass
class Forwarded:
    """Anna's inquiry as it reached Nordby's secure address, and what the test needs to answer it."""

    secure: NordbySecure
    message: Message
    thread: Thread
    opened: Opened
    pki: SecureMailPki

    def reply(self, *, text: str = REPLY_TEXT, signer=None, **options) -> bytes:
        entity, envelope = reply_entity(self.opened, text=text, **options)
        return protect(entity, envelope, signer=signer or self.pki.nordby_sender, hub=self.pki.hub)


@pytest.fixture
def forwarded(tx_nordby_secure, authority_mail_server, drain, securemail_pki) -> Forwarded:
    message = tx_nordby_secure.inquiry()
    assert drain(WorkKind.FORWARD) == 1
    opened = open_forwarded(authority_mail_server.mails[0].data, address=securemail_pki.nordby_address,
                            at=timezone.now())
    return Forwarded(secure=tx_nordby_secure, message=message, thread=message.thread, opened=opened,
                     pki=securemail_pki)


def register_sender(forwarded: Forwarded, party, *, channel: str, name: str) -> SenderSystem:
    """A Nordby sender system with `party`'s certificate, written straight to the tables (no upload checks)."""
    return register_nordby_sender(forwarded.secure, party, channel=channel, name=name)


def register_nordby_sender(secure: NordbySecure, party, *, channel: str, name: str) -> SenderSystem:
    """Like register_sender, without a forwarded inquiry."""
    cert = party.certificate
    authority = secure.cast.nordby.authority
    row = Certificate.objects.create(
        authority=authority, pem=cert.pem.decode(), sha256=cert.fingerprint,
        subject=cert.subject, issuer=cert.issuer, serial=str(cert.serial), emails=list(cert.emails),
        not_before=cert.not_before, not_after=cert.not_after,
    )
    return SenderSystem.objects.create(
        authority=authority, name=name, channel=channel, certificate=row,
        token_sha256=hash_token(new_token()), token_issued_at=timezone.now(),
    )


def replies_to_anna(thread: Thread):
    return Message.objects.filter(thread=thread, direction=Message.Direction.TO_PARTY)


def document_text(message: Message, filename: str) -> str:
    document = message.documents.get(filename=filename)
    return blob_store().read(document.blob).decode()


def assert_filed_and_delivered(forwarded: Forwarded, drain, text: str = REPLY_TEXT) -> Message:
    assert drain() == 1
    reply = replies_to_anna(forwarded.thread).get()
    assert reply.state == Message.State.DELIVERED
    assert reply.mailbox == forwarded.secure.cast.anna.mailbox
    assert reply.sender_system == forwarded.secure.sender
    assert "[DP:" not in reply.label
    assert document_text(reply, "svar.txt").replace("\r\n", "\n").strip() == text
    assert not RefusedReply.objects.exists()
    return reply
