"""The reply assistant: from a received secure mail to a correct, signed and encrypted reply.

For authorities that answer from their own mail program: the reply keeps the dialog thread in all three
carriers (the dkaldialogtraad.xml attachment as received, the header, the subject tag), is signed with the
sender system's certificate and encrypted to the hub's. Used by `digitalpost reply` and as a library call.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import smime
from digitalpost.protocols.mail.mime import make_message_id, with_envelope
from digitalpost.protocols.mail.reply import ParsedReply, build_reply_entity, parse_reply, reply_envelope
from digitalpost.protocols.threads import find_token


@dataclass(frozen=True)
class ReceivedInquiry:
    """What the assistant read from the received mail."""

    parsed: ParsedReply
    thread_token: str
    hub_address: str


def read_received(
    received: bytes, *, certificate: smime.Certificate, key: smime.PrivateKey, at: datetime
) -> ReceivedInquiry:
    """Decrypt and verify a mail from the hub and find its dialog thread."""
    decrypted = smime.decrypt(received, certificate=certificate, key=key)
    verified = smime.verify(decrypted, at=at)
    parsed = parse_reply(verified.content, envelope=decrypted)
    found = find_token(parsed.thread_carriers)
    if found.token is None or parsed.thread_file is None:
        raise DigitalPostError(ErrorCode.THREAD_MISSING, "the received mail carries no dialog thread")
    if not parsed.from_addr:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the received mail has no From address")
    return ReceivedInquiry(parsed=parsed, thread_token=found.token, hub_address=parsed.from_addr)


def build_reply(
    received: ReceivedInquiry, *, text: str, attachments: Sequence[tuple[str, str, bytes]] = (),
    signer_certificate: smime.Certificate, signer_key: smime.PrivateKey, hub_certificate: smime.Certificate,
    from_addr: str, now: datetime, message_id_domain: str,
) -> bytes:
    """The reply as a complete RFC 5322 message, ready to send to the hub's address."""
    entity = build_reply_entity(
        thread_token=received.thread_token, thread_file=received.parsed.thread_file or b"", body_text=text,
        attachments=attachments,
    )
    protected = smime.encrypt(smime.sign(entity, certificate=signer_certificate, key=signer_key),
                              recipients=[hub_certificate])
    envelope = reply_envelope(
        original=received.parsed, thread_token=received.thread_token, from_addr=from_addr,
        to_addr=received.hub_address, now=now,
        message_id=make_message_id_for_reply(received, text, message_id_domain),
    )
    return with_envelope(envelope, protected)


def make_message_id_for_reply(received: ReceivedInquiry, text: str, domain: str) -> str:
    """Derived from thread and text, so building the same reply twice gives the same Message-ID."""
    seed = hashlib.sha256((received.thread_token + text).encode()).digest()[:16]
    return make_message_id(uuid.UUID(bytes=seed), domain)
