"""The e-mails the hub sends a citizen or company about their mail: Danish first, English below.

A notice never carries the message's content (not its title, not its documents): only who sent it, that it
arrived, and a link to the web mailbox, so a notice read by someone else reveals nothing, and a forged notice
cannot imitate a real one by quoting its content. Not for: sending (notifications.services) or deciding who gets one.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import date, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache

NOTICE_HEADER = "X-DigitalPost-Notice"
MAX_LINE = 78  # RFC 5322's recommended limit for a header line


@dataclass(frozen=True)
class NoticeText:
    subject: str
    body: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


def new_mail_text(*, authority: str, mailbox_url: str) -> NoticeText:
    who = _one_line(authority)
    return NoticeText(
        subject=f"Ny Digital Post fra {who} / New Digital Post from {who}",
        body=(
            f"Du har fået ny Digital Post fra {who}.\n\n"
            f"Log ind og læs den i din digitale postkasse:\n{mailbox_url}\n\n"
            "Denne e-mail indeholder ikke selve meddelelsen. Den er sendt automatisk, og du kan ikke svare på den.\n"
            "Du kan slå e-mail-notifikationer fra under Notifikationer i din postkasse.\n\n"
            "-- English --\n\n"
            f"You have received new Digital Post from {who}.\n\n"
            f"Sign in and read it in your digital mailbox:\n{mailbox_url}\n\n"
            "This e-mail does not contain the message itself. It was sent automatically; you cannot reply to it.\n"
            "You can turn e-mail notices off under Notifications in your mailbox.\n"
        ),
    )


def reminder_text(*, authority: str, mailbox_url: str, received_on: date) -> NoticeText:
    who = _one_line(authority)
    day = received_on.strftime("%d.%m.%Y")
    return NoticeText(
        subject=f"Påmindelse: ulæst Digital Post fra {who} / Reminder: unread Digital Post from {who}",
        body=(
            f"Du har endnu ikke læst den Digital Post, du fik fra {who} den {day}.\n"
            "Meddelelsen har retsvirkning: den gælder som modtaget, også selv om du ikke har læst den.\n\n"
            f"Log ind og læs den i din digitale postkasse:\n{mailbox_url}\n\n"
            "Denne e-mail indeholder ikke selve meddelelsen. Den er sendt automatisk, og du kan ikke svare på den.\n\n"
            "-- English --\n\n"
            f"You have not yet read the Digital Post you received from {who} on {day}.\n"
            "The message has legal effect: it counts as received even if you have not read it.\n\n"
            f"Sign in and read it in your digital mailbox:\n{mailbox_url}\n\n"
            "This e-mail does not contain the message itself. It was sent automatically; you cannot reply to it.\n"
        ),
    )


def notice_mail(text: NoticeText, *, kind: str, to: str, sender: str, sender_name: str, now: datetime) -> EmailMessage:
    """The plain-text e-mail; `kind` (new-mail, reminder) goes in the X-DigitalPost-Notice header."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender))
    mail["To"] = to
    mail["Subject"] = text.subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    mail[NOTICE_HEADER] = kind
    mail.set_content(text.body, charset="utf-8")
    return mail


def notice_mail_bytes(text: NoticeText, *, kind: str, to: str, sender: str, sender_name: str, now: datetime) -> bytes:
    """`notice_mail` as the bytes that go to the relay (CRLF line ends, 7-bit unless `to` is not ASCII), built from
    parts that are the same for every notice with the same text, so a notice costs a Date, a Message-ID and a To.

    Building and flattening an EmailMessage parses every header it is given and took ~2 ms of CPU per notice,
    most of the notices worker's time under load. The parts are encoded by the standard library all the same:
    headers by `email.header.Header` and `email.utils.formataddr` (RFC 2047 encoded words, folded), the body as
    quoted-printable UTF-8 by `binascii.b2a_qp`. An address that is not ASCII goes into To as UTF-8, as
    EmailMessage does for SMTPUTF8; the relay then asks for SMTPUTF8 (hub.relay).
    """
    if "\r" in to or "\n" in to:
        raise ValueError("a line break in the notice's address")
    fixed, body = _fixed_parts(text, kind, sender, sender_name)
    varying = (f"To: {to}\r\nDate: {format_datetime(now)}\r\n"
               f"Message-ID: {make_msgid(domain=sender.rpartition('@')[2] or None)}\r\n")
    return fixed + varying.encode() + body


@lru_cache(maxsize=256)
def _fixed_parts(text: NoticeText, kind: str, sender: str, sender_name: str) -> tuple[bytes, bytes]:
    """The headers every notice with this text shares, and the MIME headers with the encoded body."""
    if any(c in value for value in (kind, sender) for c in "\r\n"):
        raise ValueError("a line break in a notice header")
    headers = (f"From: {_address_header(sender_name, sender)}\r\n"
               f"Subject: {_text_header('Subject', text.subject)}\r\n"
               "Auto-Submitted: auto-generated\r\n"  # RFC 3834: no auto-replies to it
               f"{NOTICE_HEADER}: {kind}\r\n")
    body = (b"MIME-Version: 1.0\r\n"
            b'Content-Type: text/plain; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n"
            b"\r\n") + binascii.b2a_qp(_crlf(text.body).encode())
    return headers.encode(), body


def _crlf(text: str) -> str:
    lines = text.splitlines()
    return "\r\n".join(lines) + "\r\n"


def _text_header(name: str, value: str) -> str:
    # ASCII text stays readable (folded only); anything else, or text that would read as an encoded word, is encoded.
    charset = "us-ascii" if value.isascii() and "=?" not in value else "utf-8"
    return Header(_one_line(value), charset, header_name=name).encode(linesep="\r\n")


def _address_header(name: str, address: str) -> str:
    if name.isascii() and "=?" not in name:
        return formataddr((_one_line(name), address))  # quoted where the name needs it
    encoded = Header(_one_line(name), "utf-8", header_name="From").encode(linesep="\r\n")
    last_line = encoded.rpartition("\r\n")[2] if "\r\n" in encoded else f"From: {encoded}"
    # The address on a line of its own (folding white space) where it would make the name's last line too long.
    fold = "\r\n " if len(last_line) + len(address) + 3 > MAX_LINE else " "
    return f"{encoded}{fold}<{address}>"


def forwarded_mail_text(*, forwarded_by: str, authority: str, label: str, with_documents: bool) -> NoticeText:
    """A letter forwarded to an e-mail address. Without the documents it says only who forwarded a letter from
    whom; with them (the person ticked that they want them) it names the letter's title too."""
    who, sender = _one_line(forwarded_by), _one_line(authority)
    if not with_documents:
        return NoticeText(
            subject=f"{who} har videresendt Digital Post til dig / {who} forwarded Digital Post to you",
            body=(
                f"{who} har videresendt et brev fra {sender} til dig fra sin Digital Post.\n"
                "Brevet er ikke med i denne e-mail: bed afsenderen om at videresende det til din Digital Post i "
                "stedet.\n\n"
                "Denne e-mail er sendt automatisk, og du kan ikke svare på den.\n\n"
                "-- English --\n\n"
                f"{who} forwarded a letter from {sender} to you from their Digital Post.\n"
                "The letter is not in this e-mail: ask them to forward it to your Digital Post instead.\n\n"
                "This e-mail was sent automatically; you cannot reply to it.\n"
            ),
        )
    title = _one_line(label)
    return NoticeText(
        subject=f"Videresendt Digital Post / Forwarded Digital Post: {title}",
        body=(
            f"{who} har videresendt brevet \"{title}\" fra {sender} til dig fra sin Digital Post. Dokumenterne er "
            "vedhæftet.\n"
            "E-mail er ikke sikker: andre kan have læst med undervejs.\n\n"
            "Denne e-mail er sendt automatisk, og du kan ikke svare på den.\n\n"
            "-- English --\n\n"
            f"{who} forwarded the letter \"{title}\" from {sender} to you from their Digital Post. The documents are "
            "attached.\n"
            "E-mail is not secure: others may have read it on the way.\n\n"
            "This e-mail was sent automatically; you cannot reply to it.\n"
        ),
    )
