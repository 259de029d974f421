"""Bounces: RFC 3464 delivery status notifications that name the exact cause and the fix.

When the hub refuses a mail (a reply without dialog thread, an unknown certificate, …) the sender gets a
`multipart/report; report-type=delivery-status` with a human part (the code and what to do, in Danish and
English), the machine-readable `message/delivery-status` part (Diagnostic-Code `smtp; <reply> <code> …`),
and the refused mail's headers (`text/rfc822-headers`), so both people and the doctor can see why.
`read_bounce` reads one back. Not for: sending it, or deciding to bounce.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from typing import cast

from digitalpost.core.errors import CATALOGUE, DigitalPostError, ErrorCode
from digitalpost.protocols.mail.mime import POLICY, subparts

CODE_HEADER = "X-DigitalPost-Error"
_STATUS = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}")
_CODES = {str(code): code for code in ErrorCode}
_ASCII = str.maketrans({"…": "...", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Bounce:
    """What `read_bounce` finds in a DSN."""

    code: ErrorCode | None
    status: str
    action: str
    diagnostic: str
    final_recipient: str
    reporting_mta: str
    human_text: str
    original_headers: bytes


def build_bounce(
    *, original_headers: bytes | Message, original_from: str, reporting_mta: str, code: ErrorCode,
    smtp_status: str, text_da: str, text_en: str | None = None, now: datetime,
    final_recipient: str | None = None,
) -> bytes:
    """The DSN for a refused mail, addressed to `original_from` (CRLF line endings).

    `text_en` defaults to the catalogue's text for `code`; `final_recipient` to the refused mail's To.
    """
    if not _STATUS.fullmatch(smtp_status):
        raise ValueError(f"smtp_status must look like 5.7.1, not {smtp_status!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    headers = _header_block(original_headers)
    original = BytesParser(policy=policy.default).parsebytes(headers, headersonly=True)
    recipient = final_recipient or parseaddr(str(original.get("To", "")))[1] or "unknown"
    english = text_en if text_en is not None else CATALOGUE[code].text
    reply = "554" if smtp_status.startswith("5") else "451"
    seed = hashlib.sha256(headers + str(code).encode() + now.isoformat().encode()).hexdigest()[:32]

    report = EmailMessage(policy=POLICY)
    report["From"] = f"Digital Post <MAILER-DAEMON@{reporting_mta}>"
    report["To"] = original_from
    report["Subject"] = f"Afvist / Not delivered: {code}"
    report["Date"] = format_datetime(now.astimezone(UTC))
    report["Message-ID"] = f"<bounce.{seed}@{reporting_mta}>"
    report["Auto-Submitted"] = "auto-replied"
    report[CODE_HEADER] = str(code)
    if original.get("Message-ID"):
        report["In-Reply-To"] = str(original["Message-ID"])
    report.set_content(_human_text(code, smtp_status, text_da, english), subtype="plain", charset="utf-8",
                       cte="quoted-printable")
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    # MIMEPart.attach is typed for EmailMessage in typeshed; a MIMEPart is what a body part should be.
    report.attach(cast(EmailMessage, _delivery_status(reporting_mta, recipient, code, smtp_status, reply, english,
                                                      now)))
    report.attach(cast(EmailMessage, _headers_part(headers)))
    report.set_boundary(f"=_dp_{seed}")
    return report.as_bytes(policy=POLICY)


def _human_text(code: ErrorCode, status: str, text_da: str, text_en: str) -> str:
    return (
        f"Din mail blev afvist og er ikke leveret.\nFejlkode: {code} ({status})\n\n{text_da.strip()}\n\n"
        f"----\n\nYour mail was refused and has not been delivered.\nError code: {code} ({status})\n\n"
        f"{text_en.strip()}\n"
    )


def _delivery_status(
    mta: str, recipient: str, code: ErrorCode, status: str, reply: str, text_en: str, now: datetime
) -> MIMEPart:
    per_message = Message(policy=POLICY)
    per_message["Reporting-MTA"] = f"dns; {mta}"
    per_message["Arrival-Date"] = format_datetime(now.astimezone(UTC))
    per_recipient = Message(policy=POLICY)
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = status
    ascii_text = text_en.translate(_ASCII).encode("ascii", "replace").decode("ascii")
    per_recipient["Diagnostic-Code"] = f"smtp; {reply} {status} {code} {ascii_text}"
    per_recipient[CODE_HEADER] = str(code)
    part = MIMEPart(policy=POLICY)
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, per_recipient])
    return part


def _headers_part(headers: bytes) -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part.set_content(headers.decode("utf-8", "replace"), subtype="rfc822-headers", charset="utf-8",
                     cte="7bit" if headers.isascii() else "quoted-printable")
    return part


def _header_block(original: bytes | Message) -> bytes:
    data = original.as_bytes(policy=POLICY) if isinstance(original, Message) else original
    data = data.replace(b"\r\n", b"\n")
    head = data.split(b"\n\n", 1)[0]
    return head.strip(b"\n").replace(b"\n", b"\r\n") + b"\r\n"


def read_bounce(data: bytes) -> Bounce:
    """The code, status and texts in a DSN built by `build_bounce` (or any RFC 3464 report)."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    if message.get_content_type() != "multipart/report" or not message.is_multipart():
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "not a multipart/report")
    parts = subparts(message)
    human = next((p for p in parts if p.get_content_type() == "text/plain"), None)
    status_part = next((p for p in parts if p.get_content_type() == "message/delivery-status"), None)
    headers_part = next((p for p in parts if p.get_content_type() == "text/rfc822-headers"), None)
    if status_part is None:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "no message/delivery-status part")
    blocks = subparts(status_part)
    if len(blocks) < 2:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the delivery-status part has no recipient block")
    per_message, per_recipient = blocks[0], blocks[1]
    diagnostic = re.sub(r"\s+", " ", str(per_recipient.get("Diagnostic-Code", ""))).strip()
    raw_code = str(per_recipient.get(CODE_HEADER) or message.get(CODE_HEADER) or "")
    if not raw_code:  # another MTA's bounce: look for one of our codes in the diagnostic
        raw_code = next((word for word in diagnostic.split() if word in _CODES), "")
    return Bounce(
        code=_CODES.get(raw_code.strip()),
        status=str(per_recipient.get("Status", "")).strip(),
        action=str(per_recipient.get("Action", "")).strip(),
        diagnostic=diagnostic,
        final_recipient=str(per_recipient.get("Final-Recipient", "")).strip(),
        reporting_mta=str(per_message.get("Reporting-MTA", "")).strip(),
        human_text=_part_text(human).replace("\r\n", "\n"),
        original_headers=_part_text(headers_part).replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"),
    )


def _part_text(part: Message | None) -> str:
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    return payload.decode(part.get_content_charset() or "utf-8", "replace") if isinstance(payload, bytes) else ""
