"""A new letter written as secure mail: who it is for, read from inside the encrypted content only.

The envelope and the subject travel in clear, so the recipient's CPR or CVR number is never taken from them.
It is named either in a small metadata attachment `digitalpost-letter.xml` (for add-on software; namespace
`urn:digitalpost:letter:1`, documented in docs/secure-mail-letters.md) or, for plain Outlook, on the first
non-empty line of the body: `Modtager: 0505851234` or `Recipient: 0505851234` (10 digits CPR, 8 digits CVR);
that line is taken out of the letter's text and the label is the mail's subject. Bytes and text in, values out;
never imports Django. Not for: deciding whether the letter may be sent (messages.services.mail_letters).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import smime
from digitalpost.protocols.mail.mime import Envelope, add_file, finish, make_message_id, new_text_entity, with_envelope
from digitalpost.protocols.threads.xmlsafe import UnsafeXml, parse_hardened

LETTER_FILENAME = "digitalpost-letter.xml"
LETTER_MEDIA_TYPE = "application/xml"
LETTER_NAMESPACE = "urn:digitalpost:letter:1"
MAX_LETTER_FILE_BYTES = 64 * 1024
MAX_LABEL = 200

# The whole first non-empty line, nothing else on it; spaces inside the number (0505 851234) are allowed.
RECIPIENT_LINE = re.compile(r"^\s*(?:modtager|recipient)\s*:\s*([0-9][0-9 \-]{6,14}[0-9])\s*$", re.IGNORECASE)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class LetterOrder:
    """What the caseworker or add-on asked for: recipient, label and the MeMo header choices."""

    recipient_id: str
    recipient_type: str  # "CPR" or "CVR"
    label: str = ""
    material: str | None = None  # the name or id of one of the authority's materials
    mandatory: bool = False
    legal_notification: bool = False
    reply: bool = False
    reply_by: datetime | None = None
    answer_mailbox: str | None = None  # the id of one of the authority's mailboxes (MeMo ContactPoint)


def recipient_type_of(number: str) -> str:
    """CPR for 10 digits, CVR for 8; letter.recipient.invalid otherwise."""
    if re.fullmatch(r"[0-9]{10}", number):
        return "CPR"
    if re.fullmatch(r"[0-9]{8}", number):
        return "CVR"
    raise DigitalPostError(ErrorCode.LETTER_RECIPIENT_INVALID, "a recipient is 10 digits (CPR) or 8 digits (CVR)")


@dataclass(frozen=True)
class GatewayAddress:
    """NgDP's gateway address `<CPR or CVR>@<CVR or contact point>.<hub mail domain>`, as found in RCPT TO."""

    address: str
    recipient_id: str
    recipient_type: str
    organisation: str  # the label before the hub's domain: a CVR number or a mailbox id (contact point)


_GATEWAY_LOCAL = re.compile(r"[0-9]{10}|[0-9]{8}")
_GATEWAY_LABEL = re.compile(r"[0-9]{8}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_gateway_address(address: str, *, hub_domain: str) -> GatewayAddress | None:
    """The gateway address in `address`, or None when it is not one under `hub_domain`."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    suffix = "." + hub_domain.lower().strip(".")
    domain = domain.lower()
    if not at or not domain.endswith(suffix) or not _GATEWAY_LOCAL.fullmatch(local):
        return None
    label = domain[: -len(suffix)]
    if not _GATEWAY_LABEL.fullmatch(label):
        return None
    return GatewayAddress(address=address.strip(), recipient_id=local, recipient_type=recipient_type_of(local),
                          organisation=label)


def read_recipient_line(text: str) -> tuple[LetterOrder, str] | None:
    """The order named on the body's first non-empty line and the text without that line; None without one."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        found = RECIPIENT_LINE.match(line)
        if found is None:
            return None
        number = re.sub(r"[ \-]", "", found.group(1))
        rest = "\n".join(lines[index + 1:]).strip("\n")
        return LetterOrder(recipient_id=number, recipient_type=recipient_type_of(number)), rest
    return None


def _q(name: str) -> str:
    return f"{{{LETTER_NAMESPACE}}}{name}"


def read_letter_file(data: bytes) -> LetterOrder:
    """The order in a `digitalpost-letter.xml` file, or letter.metadata.invalid naming what is wrong."""
    try:
        root = parse_hardened(data, max_bytes=MAX_LETTER_FILE_BYTES)
    except UnsafeXml as error:
        raise _invalid(str(error)) from None
    if root.tag != _q("Letter") or root.get("version") != "1":
        raise _invalid(f"the root element is not Letter version 1 in namespace {LETTER_NAMESPACE}")
    known = {"Recipient", "Label", "Material", "Mandatory", "LegalNotification", "Reply", "ReplyBy", "AnswerMailbox"}
    values: dict[str, str] = {}
    for child in root:
        name = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if not isinstance(child.tag, str) or etree.QName(child).namespace != LETTER_NAMESPACE or name not in known:
            raise _invalid(f"unexpected element {child.tag!r}")
        if name in values:
            raise _invalid(f"{name} appears twice")
        values[name] = (child.text or "").strip()
    recipient = values.get("Recipient", "")
    if not recipient:
        raise DigitalPostError(ErrorCode.LETTER_RECIPIENT_MISSING, f"{LETTER_FILENAME} has no Recipient")
    reply_by = None
    if values.get("ReplyBy"):
        try:
            reply_by = datetime.fromisoformat(values["ReplyBy"])
        except ValueError:
            raise _invalid(f"ReplyBy {values['ReplyBy']!r} is not an ISO 8601 date and time") from None
    return LetterOrder(
        recipient_id=recipient, recipient_type=recipient_type_of(recipient),
        label=values.get("Label", "")[:MAX_LABEL], material=values.get("Material") or None,
        mandatory=_flag(values, "Mandatory"), legal_notification=_flag(values, "LegalNotification"),
        reply=_flag(values, "Reply"), reply_by=reply_by, answer_mailbox=values.get("AnswerMailbox") or None,
    )


def render_letter_file(order: LetterOrder) -> bytes:
    """The `digitalpost-letter.xml` for `order` (what `digitalpost send-mail` and add-ons attach)."""
    root = etree.Element(_q("Letter"), nsmap={None: LETTER_NAMESPACE}, version="1")

    def add(name: str, value: str | None) -> None:
        if value:
            etree.SubElement(root, _q(name)).text = value

    add("Recipient", order.recipient_id)
    add("Label", order.label)
    add("Material", order.material)
    add("Mandatory", "true" if order.mandatory else None)
    add("LegalNotification", "true" if order.legal_notification else None)
    add("Reply", "true" if order.reply else None)
    add("ReplyBy", order.reply_by.isoformat() if order.reply_by else None)
    add("AnswerMailbox", order.answer_mailbox)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _flag(values: dict[str, str], name: str) -> bool:
    raw = values.get(name, "false").lower() or "false"
    if raw not in _BOOLEANS:
        raise _invalid(f"{name} must be true or false, not {raw!r}")
    return _BOOLEANS[raw]


def _invalid(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.LETTER_METADATA_INVALID, f"{LETTER_FILENAME}: {detail}")


# The receipt's last lines, for programs: "Outcome: accepted|refused", "Message-Id: <uuid>", "Error-Code: <code>".
# In the body (not in header fields) because S/MIME signs only the Content-* fields and the body.
OUTCOME_FIELD = "Outcome"
MESSAGE_FIELD = "Message-Id"
CODE_FIELD = "Error-Code"


@dataclass(frozen=True)
class LetterReceipt:
    """What the sender system is told about its letter: accepted (message id, DIGITAL or PRINT) or refused."""

    subject: str  # the letter's subject as sent (never the recipient's number)
    message_id: str | None = None
    channel: str | None = None
    code: str | None = None
    fix_english: str = ""
    fix_danish: str = ""

    @property
    def accepted(self) -> bool:
        return self.code is None


def build_receipt_entity(receipt: LetterReceipt) -> bytes:
    """The receipt's inner entity (to be signed by the hub and encrypted to the sender system): a text in
    Danish and English, ending in lines a program can read (outcome, message id, error code)."""
    if receipt.accepted:
        how_da = "digitalt" if receipt.channel == "DIGITAL" else "som papirpost (print)"
        how_en = "digitally" if receipt.channel == "DIGITAL" else "on paper (print)"
        text = (f"Kvittering: brevet \"{receipt.subject}\" er modtaget og sendes {how_da}.\n"
                f"Meddelelses-id: {receipt.message_id}\n\n"
                f"Receipt: the letter \"{receipt.subject}\" was accepted and is sent {how_en}.\n"
                f"Message id: {receipt.message_id}\n\n"
                f"{OUTCOME_FIELD}: accepted\n{MESSAGE_FIELD}: {receipt.message_id}\n")
    else:
        text = (f"Afvist: brevet \"{receipt.subject}\" er ikke sendt ({receipt.code}).\n"
                f"{receipt.fix_danish or receipt.fix_english}\n\n"
                f"Refused: the letter \"{receipt.subject}\" was not sent ({receipt.code}).\n{receipt.fix_english}\n\n"
                f"{OUTCOME_FIELD}: refused\n{CODE_FIELD}: {receipt.code}\n")
    return finish(new_text_entity(text), boundary_seed="receipt")


def read_receipt_fields(text: str) -> dict[str, str]:
    """The program-readable lines of a receipt's text ("Outcome", "Message-Id", "Error-Code")."""
    fields: dict[str, str] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        name, colon, value = line.partition(":")
        if colon and name in (OUTCOME_FIELD, MESSAGE_FIELD, CODE_FIELD):
            fields[name] = value.strip()
    return fields


def build_letter_mail(
    order: LetterOrder, *, subject: str, text: str, attachments: Sequence[tuple[str, str, bytes]] = (),
    plain: bool = False, signer_certificate: smime.Certificate, signer_key: smime.PrivateKey,
    hub_certificate: smime.Certificate, from_addr: str, to_addr: str, now: datetime, message_id_domain: str,
) -> bytes:
    """A new letter as a complete RFC 5322 message to the hub: signed, then encrypted to the hub.

    `plain` writes the recipient as the body's first line (what a caseworker types in Outlook) and keeps only
    the recipient from `order`; otherwise `digitalpost-letter.xml` carries every field of `order`.
    """
    body = f"Modtager: {order.recipient_id}\n\n{text}" if plain else text
    entity = new_text_entity(body)
    files = list(attachments)
    if not plain:
        files.append((LETTER_FILENAME, LETTER_MEDIA_TYPE, render_letter_file(order)))
    for file in files:
        add_file(entity, file)
    seed = hashlib.sha256(f"{order.recipient_id}{subject}{text}{now.isoformat()}".encode()).digest()[:16]
    protected = smime.encrypt(smime.sign(finish(entity, boundary_seed=seed.hex()), certificate=signer_certificate,
                                         key=signer_key), recipients=[hub_certificate])
    envelope = Envelope(from_addr=from_addr, to_addr=to_addr, subject=subject,
                        message_id=make_message_id(uuid.UUID(bytes=seed), message_id_domain), date=now)
    return with_envelope(envelope, protected)
