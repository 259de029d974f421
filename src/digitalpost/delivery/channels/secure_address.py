"""The secure-address channel: an inquiry as S/MIME mail to the authority mailbox's secure address.

The mail carries the citizen's text, the citizen's files, `dkalmetadata.xml` and `dkaldialogtraad.xml`; it is
signed with the hub's certificate, encrypted to the secure address's certificate and handed to the configured
relay outside any transaction. Only then is the inquiry marked delivered. A crash between the relay's 250 and
that commit sends the mail again on retry, with the same Message-ID, so the authority's system can recognise it.
The doctor's probe goes through the same `prepare` and `send`: marked "[digitalpost probe]" in its subject and
with an `X-DigitalPost-Probe` header, and never recorded. Not for: choosing the channel (delivery.forward).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import aiosmtplib
from django.conf import settings

from digitalpost.core.errors import DigitalPostError
from digitalpost.delivery.channels.base import PROBE_HEADER, ForwardPostponed, Sent
from digitalpost.delivery.channels.receivers import OutgoingInquiry, ReceiverChannel
from digitalpost.hub.keys import hub_identity, trust_anchors
from digitalpost.hub.relay import send_via_relay
from digitalpost.outbox.models import Job
from digitalpost.protocols import mail, smime

SECURE_ADDRESS_CHANNEL = "secure-address"


@dataclass(frozen=True)
class PreparedMail:
    inquiry_id: uuid.UUID
    recipient: str
    data: bytes
    probe: bool = False


def smtp_answer(exc: Exception) -> str:
    """What the mail server said, as "550 5.1.1 …", or the error's name and text when it said nothing."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return f"{first.code} {first.message}"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"


@lru_cache(maxsize=256)
def _certificate(pem: str) -> smime.Certificate:
    # Parsed once per process: every forward to an address encrypts to the same certificate.
    return smime.load_certificate(pem.encode())


def _envelope(inquiry: OutgoingInquiry, to_addr: str) -> mail.Envelope:
    if inquiry.probe:  # a subject of its own, no thread carriers outside: nothing to reply to
        return mail.Envelope(
            from_addr=settings.DIGITALPOST_HUB_ADDRESS, to_addr=to_addr, subject=inquiry.subject_text,
            message_id=mail.make_message_id(inquiry.message_id, settings.DIGITALPOST_HUB_DOMAIN),
            date=inquiry.created_at,
        )
    return mail.inquiry_envelope(
        meta=inquiry.meta, subject_text=inquiry.subject_text, thread_token=inquiry.thread_token,
        from_addr=settings.DIGITALPOST_HUB_ADDRESS, to_addr=to_addr,
        message_id_domain=settings.DIGITALPOST_HUB_DOMAIN, now=inquiry.created_at,
    )


class SecureAddressChannel(ReceiverChannel[PreparedMail]):
    name = SECURE_ADDRESS_CHANNEL

    def acceptance(self, sent: Sent) -> str:
        return f"250 {sent.answer}"

    def unusable_because(self, now: datetime) -> str | None:
        address = self.receiver.secure_address
        assert address is not None
        certificate = _certificate(address.certificate.pem)
        try:
            anchors = trust_anchors()
        except DigitalPostError as unreadable:
            return f"the hub cannot check the certificate of {address.email}: {unreadable.text}"
        problems = smime.check_certificate(certificate, purpose=smime.Purpose.EMAIL_ENCRYPTION,
                                           trust_anchors=anchors, at=now, email=address.email)
        if not problems:
            return None
        return f"the hub cannot encrypt to {address.email} (" + "; ".join(f"{p.code}: {p.text}" for p in problems) \
            + ")"

    def prepare(self, inquiry: OutgoingInquiry, /) -> PreparedMail:
        """The signed and encrypted mail, ready for the relay."""
        address = self.receiver.secure_address
        assert address is not None
        files = inquiry.files
        body_text = mail.content_bytes(files[0][2]).decode("utf-8", errors="replace") if files else ""
        entity = mail.build_inner_entity(meta=inquiry.meta, body_text=body_text, attachments=files[1:],
                                         thread_token=inquiry.thread_token)
        hub = hub_identity()
        recipient = _certificate(address.certificate.pem)
        # build_inner_entity writes CRLF line ends only (a property test holds it to that): not counted again.
        protected = smime.sign_and_encrypt(entity, certificate=hub.certificate, key=hub.key, recipients=[recipient],
                                           canonical=True)
        data = mail.with_envelope(_envelope(inquiry, address.email), protected)
        if inquiry.probe:
            data = f"{PROBE_HEADER}: {inquiry.message_id}\r\n".encode() + data
        return PreparedMail(inquiry_id=inquiry.message_id, recipient=address.email, data=data, probe=inquiry.probe)

    def send(self, outgoing: PreparedMail, /, *, job: Job | None = None) -> Sent:
        """Hand the mail to the relay, then mark the inquiry delivered; ForwardPostponed with the answer if not."""
        try:
            answer = send_via_relay(outgoing.data, sender=settings.DIGITALPOST_HUB_ADDRESS,
                                    recipients=[outgoing.recipient])
        except (aiosmtplib.SMTPException, OSError) as exc:
            if not outgoing.probe:
                self.failed(outgoing.inquiry_id, str(exc))
            raise ForwardPostponed(f"{self.receiver.secure_address}: {exc}", answer=smtp_answer(exc)) from exc
        if outgoing.probe:
            return Sent(answer=answer, recorded=False)
        return Sent(answer=answer, recorded=self.recorded(outgoing.inquiry_id, answer, job))
