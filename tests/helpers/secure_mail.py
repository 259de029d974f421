"""Mail helpers for the secure-mail loop: free ports, an SMTP client with STARTTLS, replies as an authority."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

from digitalpost.protocols import mail, smime
from digitalpost.protocols.threads.token import TOKEN_SHAPE
from helpers.secure_mail_pki import HUB_ADDRESS, NORDBY_ADDRESS, Party, SecureMailPki

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class MailSink:
    """aiosmtpd handler of the authority's mail server: keeps every mail's bytes as received."""

    mails: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK queued"


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def smtp_send(port: int, data: bytes, *, mail_from: str = NORDBY_ADDRESS, rcpt: str = HUB_ADDRESS,
              starttls: bool = True) -> tuple[int, str]:
    """Send one mail to 127.0.0.1:`port`; the first non-2xx answer (MAIL, RCPT or DATA) or DATA's 250."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo("mail.nordby.localhost")
        if starttls:
            client.starttls(context=unverified_tls())
            client.ehlo("mail.nordby.localhost")
        code, answer = client.mail(mail_from)
        if code != 250:
            return code, answer.decode()
        code, answer = client.rcpt(rcpt)
        if code != 250:
            return code, answer.decode()
        try:
            code, answer = client.data(data)
        except smtplib.SMTPDataError as refused:
            return refused.smtp_code, refused.smtp_error.decode()
        return code, answer.decode()


@dataclass(frozen=True)
class Opened:
    """A forwarded inquiry as the authority reads it: decrypted, verified and parsed."""

    raw: bytes
    decrypted: bytes
    content: bytes
    parsed: mail.ParsedReply

    def __repr__(self) -> str:
        return f"Opened({len(self.raw)} bytes, subject={self.parsed.subject!r})"

    @property
    def token(self) -> str:
        token = self.parsed.thread_carriers.header
        assert token is not None
        return token

    @property
    def thread_file(self) -> bytes:
        assert self.parsed.thread_file is not None
        return self.parsed.thread_file

    def part(self, filename: str) -> bytes:
        message = BytesParser(policy=policy.default).parsebytes(self.content)
        for part in message.walk():
            if part.get_filename() == filename:
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload
        raise AssertionError(f"no part named {filename}")


def open_forwarded(raw: bytes, *, address: Party, at: datetime) -> Opened:
    decrypted = smime.decrypt(raw, certificate=address.certificate, key=address.key)
    content = smime.verify(decrypted, at=at).content
    return Opened(raw=raw, decrypted=decrypted, content=content, parsed=mail.parse_reply(content, envelope=decrypted))


def reply_entity(original: Opened, *, text: str, token: str | None = None, thread_file: bytes | None = None,
                 attachments: tuple[tuple[str, str, bytes], ...] = ()) -> tuple[bytes, mail.Envelope]:
    """The authority's reply entity and its envelope; `token` overrides the thread in every carrier."""
    token = token or original.token
    entity = mail.build_reply_entity(
        thread_token=token, thread_file=thread_file if thread_file is not None else original.thread_file,
        body_text=text, attachments=attachments,
    )
    message_id = f"<{uuid.uuid4()}@nordby.localhost>"
    if not TOKEN_SHAPE.fullmatch(token):  # tag_subject refuses such a token: write the tag by hand
        return entity, mail.Envelope(
            from_addr=NORDBY_ADDRESS, to_addr=HUB_ADDRESS, subject=f"SV: Borgerservice [DP:{token}]",
            message_id=message_id, date=datetime.now(UTC), in_reply_to=original.parsed.message_id,
        )
    envelope = mail.reply_envelope(
        original=original.parsed, thread_token=token, from_addr=NORDBY_ADDRESS, to_addr=HUB_ADDRESS,
        message_id=message_id, now=datetime.now(UTC),
    )
    return entity, envelope


def untagged_envelope(subject: str = "SV: Borgerservice") -> mail.Envelope:
    return mail.Envelope(from_addr=NORDBY_ADDRESS, to_addr=HUB_ADDRESS, subject=subject,
                         message_id=f"<{uuid.uuid4()}@nordby.localhost>", date=datetime.now(UTC))


def plain_entity(text: str) -> bytes:
    return (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + text.encode() + b"\r\n")


def protect(entity: bytes, envelope: mail.Envelope, *, signer: Party | None, hub: Party | None) -> bytes:
    """Sign with `signer` and encrypt to `hub` (either may be None), then put the envelope outside."""
    if signer is not None:
        entity = smime.sign(entity, certificate=signer.certificate, key=signer.key)
    if hub is not None:
        entity = smime.encrypt(entity, recipients=[hub.certificate])
    return mail.with_envelope(envelope, entity)


def mutated_token(token: str) -> str:
    """The token with one character of its MAC changed."""
    at = len(token) - 5
    return token[:at] + ("B" if token[at] != "B" else "C") + token[at + 1:]


@contextlib.contextmanager
def hub_on(settings: Any, pki: SecureMailPki, *, thread_keys: str, **more: Any) -> Iterator[None]:
    """Point the hub at the test PKI (and `more` settings), clearing its cached keys before and after."""
    from digitalpost.hub.keys import hub_identity, thread_keyring

    settings.DIGITALPOST_HUB_CERT = pki.hub.cert_file
    settings.DIGITALPOST_HUB_KEY = pki.hub.key_file
    settings.DIGITALPOST_TRUST_ANCHORS = pki.ca.cert_file
    settings.DIGITALPOST_HUB_ADDRESS = HUB_ADDRESS
    settings.DIGITALPOST_HUB_DOMAIN = HUB_ADDRESS.rpartition("@")[2]
    settings.DIGITALPOST_THREAD_KEYS = thread_keys
    for name, value in more.items():
        setattr(settings, name, value)
    hub_identity.cache_clear()
    thread_keyring.cache_clear()
    try:
        yield
    finally:
        hub_identity.cache_clear()
        thread_keyring.cache_clear()


@contextlib.contextmanager
def running_gateway() -> Iterator[int]:
    """The hub's real secure-mail gateway (STARTTLS required) on a free port; yields the port."""
    from digitalpost.gateway.server import Gateway

    port = free_port()
    controller = Gateway("127.0.0.1", port).controller()
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
