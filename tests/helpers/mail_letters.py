"""New letters written as secure mail (the Outlook path), and reading the receipt the hub mails back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from digitalpost.protocols import mail
from digitalpost.protocols.mail.letter import CODE_FIELD, MESSAGE_FIELD, OUTCOME_FIELD, read_receipt_fields
from helpers.secure_mail import protect
from helpers.secure_mail_pki import HUB_ADDRESS, NORDBY_ADDRESS, Party, SecureMailPki, openssl

ANNA_CPR = "0505851234"
LETTER_TEXT = "Kære Anna\n\nDin ansøgning om beboerlicens er godkendt.\n\nVenlig hilsen\nNordby Kommune"


def letter_entity(text: str, *, attachments: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    """The MIME entity a mail program writes: the text, then the attachments."""
    entity = EmailMessage(policy=policy.SMTP)
    entity.set_content(text, charset="utf-8")
    for filename, media_type, content in attachments:
        maintype, _, subtype = media_type.partition("/")
        entity.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    data = entity.as_bytes()
    return data.removeprefix(b"MIME-Version: 1.0\r\n")


def letter_mail(pki: SecureMailPki, text: str, *, subject: str = "Beboerlicens", signer: Party | None = None,
                attachments: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    """A new letter from Nordby: signed by `signer` (Nordby's standard sender), encrypted to the hub."""
    envelope = mail.Envelope(from_addr=NORDBY_ADDRESS, to_addr=HUB_ADDRESS, subject=subject,
                             message_id=f"<{uuid.uuid4()}@nordby.localhost>", date=datetime.now(UTC))
    return protect(letter_entity(text, attachments=attachments), envelope, signer=signer or pki.nordby_sender,
                   hub=pki.hub)


@dataclass(frozen=True)
class OpenedReceipt:
    outcome: str
    message_id: str | None
    code: str | None
    text: str
    subject: str


def open_receipt(raw: bytes, *, pki: SecureMailPki, reader: Party) -> OpenedReceipt:
    """Decrypt with `reader`'s key and verify the hub's signature against the CA, with the real openssl."""
    encrypted = pki.file("receipt.eml", raw)
    signed = pki.file("receipt-signed.eml", openssl("smime", "-decrypt", "-in", encrypted, "-recip",
                                                    reader.cert_file, "-inkey", reader.key_file))
    content = openssl("smime", "-verify", "-in", signed, "-CAfile", pki.ca.cert_file, "-purpose", "any")
    entity = BytesParser(policy=policy.default).parsebytes(content)
    outer = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    text = entity.get_content()
    fields = read_receipt_fields(text)
    return OpenedReceipt(outcome=fields.get(OUTCOME_FIELD, ""), message_id=fields.get(MESSAGE_FIELD),
                         code=fields.get(CODE_FIELD), text=text, subject=str(outer["Subject"]))
