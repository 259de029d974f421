"""Fixtures for the web mailbox pages: Nordby's "Borgerservice" mailbox, and Nordby replying by secure mail.

A reply reaches a conversation the way it does in production: Nordby's secure-mail sender system signs a
reply that keeps the dialog thread, encrypts it to the hub, and `receive_secure_mail` files it; the worker
then delivers it. The PKI (a development CA, the hub and Nordby's sender) is made once per test process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.receive import receive_secure_mail
from digitalpost.conversations.tokens import thread_token
from digitalpost.gateway.answers import smtp_answer
from digitalpost.hub.keys import hub_identity
from digitalpost.messages.models import Message, Thread
from digitalpost.protocols import mail, smime
from digitalpost.protocols.threads import ThreadRef, render_thread_file
from digitalpost.systems.services.senders import create_secure_mail_sender

NORDBY_REPLY_ADDRESS = "svar@nordby.example"


@pytest.fixture
def borgerservice(cast) -> AuthorityMailbox:
    return create_mailbox(authority=cast.nordby.authority, name="Borgerservice", topics=["Pas", "Kørekort"],
                          metadata_fields=[("Sagsnummer", False), ("Barnets navn", True)])


@dataclass(frozen=True)
class DevPki:
    folder: Path
    ca: smime.Issued
    hub: smime.Issued
    sender: smime.Issued


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    now = timezone.now() - timedelta(days=1)
    ca = smime.make_dev_ca("inbox tests CA", now=now, days=30)
    hub = smime.issue_certificate(ca, common_name="hub", now=now, days=30, emails=["post@digitalpost.localhost"])
    sender = smime.issue_certificate(ca, common_name="Nordby svar", now=now, days=30, emails=[NORDBY_REPLY_ADDRESS])
    folder = tmp_path_factory.mktemp("pki")
    (folder / "hub.pem").write_bytes(hub.certificate_pem)
    (folder / "hub-key.pem").write_bytes(hub.key_pem)
    (folder / "ca.pem").write_bytes(ca.certificate_pem)
    return DevPki(folder=folder, ca=ca, hub=hub, sender=sender)


@pytest.fixture
def nordby_replies(cast, drain, settings, dev_pki: DevPki) -> Iterator[Callable[[Thread, str], Message]]:
    """reply(thread, text): Nordby answers in the conversation by secure mail; returns the delivered message."""
    settings.DIGITALPOST_HUB_CERT = dev_pki.folder / "hub.pem"
    settings.DIGITALPOST_HUB_KEY = dev_pki.folder / "hub-key.pem"
    settings.DIGITALPOST_TRUST_ANCHORS = dev_pki.folder / "ca.pem"
    hub_identity.cache_clear()
    create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar",
                              certificate_pem=dev_pki.sender.certificate_pem,
                              trust_anchors=[dev_pki.ca.certificate])

    def reply(thread: Thread, text: str) -> Message:
        token = thread_token(thread)
        ref = ThreadRef(thread_id=thread.pk, authority_cvr=thread.authority.cvr, mailbox_id=thread.authority_mailbox_id)
        entity = mail.build_reply_entity(thread_token=token, thread_file=render_thread_file(ref, token), body_text=text)
        signed = smime.sign(entity, certificate=dev_pki.sender.certificate, key=dev_pki.sender.key)
        encrypted = smime.encrypt(signed, recipients=[dev_pki.hub.certificate])
        envelope = mail.Envelope(
            from_addr=NORDBY_REPLY_ADDRESS, to_addr=settings.DIGITALPOST_HUB_ADDRESS,
            subject=mail.reply_subject(thread.subject, token), message_id=f"<{thread.pk}-{len(text)}@nordby.example>",
            date=timezone.now(), thread_token=token,
        )
        outcome = receive_secure_mail(raw=mail.with_envelope(envelope, encrypted))
        assert outcome.message is not None, smtp_answer(outcome)
        drain()
        outcome.message.refresh_from_db()
        assert outcome.message.state == Message.State.DELIVERED
        return outcome.message

    yield reply
    hub_identity.cache_clear()
