"""A small inquiry used by the mail tests: Anna writes to Nordby Kommune's mailbox Borgerservice."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from uuid import UUID

from digitalpost.protocols.mail import IdentityType, InquiryMetadata, build_inquiry_mail, describe_attachments
from digitalpost.protocols.threads import Keyring, ThreadRef, encode

NORDBY = "29189846"
SYDBY = "29189854"
RING = Keyring.single("k1", b"k" * 32)
NOW = datetime(2024, 5, 3, 9, 0, tzinfo=UTC)
ATTACHMENTS = [
    ("Lægeerklæring – Ærø.pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4),
    ("foto.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 not really a jpeg"),
]
META = InquiryMetadata(
    message_id=UUID("3d1f7f0e-7c2a-4a4b-9a55-1b0f4c8f2a10"),
    created_at=NOW,
    sender_type=IdentityType.CPR,
    sender_number="0101011234",
    sender_name="Anna Ødegård",
    authority_cvr=NORDBY,
    mailbox_id=UUID("9a0d7c64-5b1e-4f3e-8b2a-6c1d2e3f4a5b"),
    mailbox_name="Borgerservice",
    topic="Parkering",
    fields=(("Sagsnummer", "2024-0017"), ("Bilnummer", "AB 12 345")),
    thread_id=UUID("5c6b7a89-1d2e-4f30-a1b2-c3d4e5f60718"),
    attachments=describe_attachments(ATTACHMENTS),
)
REF = ThreadRef(thread_id=META.thread_id, authority_cvr=NORDBY, mailbox_id=META.mailbox_id)
TOKEN = encode(REF, keyring=RING, issued_at=NOW)
SUBJECT = "Ansøgning om parkeringstilladelse på Ærø"
BODY = "Hej\n\nJeg vil gerne søge om en parkeringstilladelse.\n\nVenlig hilsen\nAnna"
HUB = "noreply@hub.example"
AUTHORITY = "borgerservice@nordby.example"


def inquiry_mail() -> bytes:
    return build_inquiry_mail(
        meta=META, subject_text=SUBJECT, body_text=BODY, attachments=ATTACHMENTS, thread_token=TOKEN,
        from_addr=HUB, to_addr=AUTHORITY, message_id_domain="hub.example", now=NOW,
    )


def parsed(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def assert_crlf_only(data: bytes) -> None:
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
