"""A new letter started by secure mail: built into a MeMo and accepted exactly like a REST MeMo, then a receipt.

The gateway has already opened every S/MIME layer and settled the signer's sender system
(conversations.services.receive); a mail that names no dialog thread comes here. The recipient is read from
inside the encrypted content only (protocols.mail.letter: `digitalpost-letter.xml`, else the body's first line
`Modtager: …`). The body becomes the main document (`brev.txt`), the attachments additional documents, and the
MeMo goes through `accept_memo` — the same service rules, parties, KombiPost, exemptions, notices and print as a
MeMo posted to /apis/v1/memos. Either way the sender system gets a receipt by mail, signed by the hub and
encrypted to its certificate: queued in the outbox (LETTER_RECEIPT) with the outcome, sent by the worker, retried
while the relay is down (docs/secure-mail-letters.md).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiosmtplib
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.authorities.models import Authority, AuthorityMailbox, Material
from digitalpost.core.errors import CATALOGUE, DANISH, DigitalPostError, ErrorCode
from digitalpost.hub.keys import hub_identity
from digitalpost.hub.relay import send_via_relay
from digitalpost.messages.services.ingest import Acceptance, accept_memo, find_acceptance
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import add_job
from digitalpost.outbox.worker import PermanentFailure, RetryLater
from digitalpost.protocols import mail, memo, smime
from digitalpost.systems.models import SenderSystem

log = logging.getLogger(__name__)

CHANNEL = "mail-letter"  # RefusedReply.channel and the received event's "via"
MAIL_LETTER_NAMESPACE = "digitalpost mail letter"  # names letters after their mails
LETTER_TEXT_FILENAME = "brev.txt"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MAX_MEMO_LABEL = 256
# A receipt waits (RetryLater) while the relay is down; other failures (a broken certificate) are tried this often.
RECEIPT_MAX_ATTEMPTS = 8


def accept_mail_letter(*, system: SenderSystem, parsed: mail.ParsedReply,
                       gateway: mail.GatewayAddress | None = None, receipt_to: str = "", subject: str = ""
                       ) -> Acceptance:
    """Accept the letter in `parsed` from `system`, or raise DigitalPostError (MemoRefused) with the code.

    The receipt mail to `receipt_to` (titled after `subject`) is queued in the acceptance's own transaction; a
    replay of an accepted letter gets a receipt of its own. A refusal's receipt is the caller's to queue, with
    its record of the refusal.

    `gateway` is the NgDP gateway address the mail was sent to (RCPT TO), when it was: the recipient when the
    content names none, allowed only when the organisation accepts gateway addresses and names it after the '@'.
    """
    if gateway is not None:
        _check_gateway_address(system, gateway)

    def queue_acceptance_receipt(acceptance: Acceptance) -> None:
        queue_receipt(system=system, to_addr=receipt_to, subject=subject, acceptance=acceptance)

    message_uuid = letter_uuid(system, parsed.message_id)
    if message_uuid is not None and (found := find_acceptance(system.authority_id, message_uuid)) is not None:
        # The sending mail server sent the same mail again (it never saw our 250): the letter is not sent twice.
        earlier, _ = found
        with transaction.atomic(durable=True):
            queue_acceptance_receipt(earlier)
        return earlier
    order, text, attachments = _order_of(parsed, gateway)
    files = [(a.filename, a.media_type, a.content) for a in attachments]
    if text.strip():
        files.insert(0, (LETTER_TEXT_FILENAME, "text/plain", text.encode()))
    if not files:
        raise DigitalPostError(ErrorCode.LETTER_BODY_EMPTY, "no text and no attachment")
    letter = build_letter(authority=system.authority, order=order, subject=parsed.subject, files=files,
                          message_uuid=str(message_uuid) if message_uuid is not None else None)
    acceptance = accept_memo(system=system, body=memo.build(letter), received={"via": CHANNEL},
                             on_recorded=queue_acceptance_receipt)
    if acceptance.replayed:
        with transaction.atomic(durable=True):
            queue_acceptance_receipt(acceptance)
    return acceptance


def letter_uuid(system: SenderSystem, mail_message_id: str | None) -> uuid.UUID | None:
    """The letter's messageUUID, named by the sender system and the mail's Message-ID, so a mail sent again is
    the same letter; None (a random one) for a mail without a Message-ID.

    Shaped as version 4, which MeMo's schema demands (a name-based version 5 UUID would be refused); its bits come
    from a SHA-256 of the name instead of a random source, so they are as unpredictable to others."""
    if not mail_message_id:
        return None
    digest = hashlib.sha256(f"{MAIL_LETTER_NAMESPACE} {system.pk} {mail_message_id}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _order_of(parsed: mail.ParsedReply, gateway: mail.GatewayAddress | None
              ) -> tuple[mail.LetterOrder, str, list[mail.MailAttachment]]:
    """The order (from digitalpost-letter.xml, else the recipient line, else the gateway address), the letter's
    text and its files."""
    files = [a for a in parsed.attachments if a.filename.lower() != mail.LETTER_FILENAME]
    letter_files = [a for a in parsed.attachments if a.filename.lower() == mail.LETTER_FILENAME]
    found = mail.read_recipient_line(parsed.text)
    if letter_files:
        order, text = mail.read_letter_file(letter_files[0].content), parsed.text
    elif found is not None:
        order, text = found
    elif gateway is not None:
        order = mail.LetterOrder(recipient_id=gateway.recipient_id, recipient_type=gateway.recipient_type)
        text = parsed.text
    else:
        raise DigitalPostError(ErrorCode.LETTER_RECIPIENT_MISSING,
                               "no dialog thread, no digitalpost-letter.xml and no 'Modtager:' first line")
    if gateway is not None and gateway.recipient_id != order.recipient_id:
        raise DigitalPostError(ErrorCode.LETTER_RECIPIENT_CONFLICT, "the gateway address names another recipient")
    return order, text, files


def _check_gateway_address(system: SenderSystem, gateway: mail.GatewayAddress) -> None:
    authority = system.authority
    if not authority.accepts_gateway_addresses:
        raise DigitalPostError(ErrorCode.LETTER_GATEWAY_ADDRESS_OFF, f"CVR {authority.cvr}")
    if gateway.organisation == authority.cvr:
        return
    try:
        mailbox_id = uuid.UUID(gateway.organisation)
    except ValueError:
        mailbox_id = None
    if mailbox_id is None or not AuthorityMailbox.objects.filter(authority=authority, pk=mailbox_id).exists():
        raise DigitalPostError(ErrorCode.LETTER_GATEWAY_ADDRESS_INVALID,
                               f"{gateway.organisation} is not CVR {authority.cvr} or one of its mailboxes")


def build_letter(*, authority: Authority, order: mail.LetterOrder, subject: str,
                 files: list[tuple[str, str, bytes]], message_uuid: str | None = None) -> memo.Message:
    """The MeMo of a letter `authority` starts (by secure mail or in the portal): the order's recipient, title,
    flags and answer mailbox, the material's mandatory flag and reply mailbox; the files as its documents.

    A material or answer mailbox that is not the authority's is refused with letter.metadata.invalid; every other
    rule is the acceptance's (accept_memo), as for any MeMo.
    """
    mandatory, answer_mailbox = order.mandatory, _answer_mailbox(authority, order)
    if order.material is not None:
        material = _material(authority, order.material)
        mandatory = mandatory or material.is_mandatory
        if answer_mailbox is None and material.reply_rule == Material.ReplyRule.MAILBOX:
            answer_mailbox = material.reply_mailbox
    label = (order.label or subject or "Brev").strip()[:MAX_MEMO_LABEL]
    letter = memo.simple_message(
        sender_cvr=authority.cvr, sender_label=authority.name, recipient_id=order.recipient_id,
        recipient_id_type=order.recipient_type, label=label, files=files, created=timezone.now(),
        message_uuid=message_uuid, mandatory=mandatory, legal_notification=order.legal_notification, reply=order.reply,
        reply_by_date_time=_utc(order.reply_by) if order.reply and order.reply_by is not None else None,
    )
    if order.reply and answer_mailbox is not None:
        contact_point = memo.ContactPoint(contact_point_id=str(answer_mailbox.pk), label=answer_mailbox.name)
        letter = replace(letter, header=replace(letter.header, sender=replace(letter.header.sender,
                                                                              contact_point=contact_point)))
    return letter


def _utc(moment: datetime) -> datetime:
    """MeMo wants replyByDateTime in UTC; a moment without a zone is Danish time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COPENHAGEN)
    return moment.astimezone(UTC)


def _answer_mailbox(authority: Authority, order: mail.LetterOrder) -> AuthorityMailbox | None:
    if order.answer_mailbox is None:
        return None
    try:
        wanted = uuid.UUID(order.answer_mailbox)
    except ValueError:
        wanted = None
    found = AuthorityMailbox.objects.filter(authority=authority, pk=wanted).first() if wanted else None
    if found is None:
        raise DigitalPostError(ErrorCode.LETTER_METADATA_INVALID,
                               f"AnswerMailbox {order.answer_mailbox!r} is not one of your mailboxes")
    return found


def _material(authority: Authority, named: str) -> Material:
    materials = Material.objects.filter(authority=authority)
    try:
        found = materials.filter(pk=uuid.UUID(named)).first()
    except ValueError:
        found = materials.filter(name=named).first()
    if found is None:
        raise DigitalPostError(ErrorCode.LETTER_METADATA_INVALID, f"Material {named!r} is not one of your materials")
    return found


def queue_receipt(*, system: SenderSystem, to_addr: str, subject: str, acceptance: Acceptance | None = None,
                  refusal: DigitalPostError | None = None) -> None:
    """Queue the receipt mail to the sender system (LETTER_RECEIPT), inside the caller's transaction.

    It commits with the outcome it reports (the letter, or the refused letter's record), so a relay that is down
    loses no receipt: the worker sends it when the relay answers again (`send_receipt`). Nothing is queued for a
    system without a certificate (nothing to encrypt to) or an address.
    """
    if system.certificate is None or not to_addr:
        return
    payload: dict[str, str] = {"system": str(system.pk), "to": to_addr, "subject": subject}
    if acceptance is not None:
        payload |= {"message": str(acceptance.message.pk), "channel": acceptance.message.channel}
    else:
        assert refusal is not None
        payload |= {"code": str(refusal.code)}
    add_job(WorkKind.LETTER_RECEIPT, key=f"letter-receipt:{uuid.uuid4()}", payload=payload,
            max_attempts=RECEIPT_MAX_ATTEMPTS)


def send_receipt(job: Job) -> None:
    """Send the receipt the job names, signed by the hub and encrypted to the sender system's certificate.

    Raises RetryLater while the relay is down or answers with a temporary error (the job waits, backing off), and
    PermanentFailure when the relay refuses the address. A system deleted or left without a certificate since
    ends the job quietly: there is no one left to encrypt to. Sent at least once: a crash between the relay's
    answer and the job's end sends it again.
    """
    payload = job.payload
    system = SenderSystem.objects.select_related("certificate").filter(pk=payload["system"]).first()
    if system is None or system.certificate is None:
        log.warning("letter receipt job %s: sender system %s has no certificate any more; not sent", job.pk,
                    payload["system"])
        return
    code = payload.get("code")
    if code is None:
        receipt = mail.LetterReceipt(subject=payload["subject"], message_id=payload["message"],
                                     channel=payload["channel"])
    else:
        error = ErrorCode(code)
        receipt = mail.LetterReceipt(subject=payload["subject"], code=code, fix_english=CATALOGUE[error].text,
                                     fix_danish=DANISH.get(error, ""))
    to_addr = payload["to"]
    hub = hub_identity()
    recipient = smime.load_certificate(system.certificate.pem.encode())
    entity = mail.build_receipt_entity(receipt)
    protected = smime.sign_and_encrypt(entity, certificate=hub.certificate, key=hub.key, recipients=[recipient])
    word = "Kvittering" if receipt.accepted else "Afvist"
    envelope = mail.Envelope(
        from_addr=settings.DIGITALPOST_HUB_ADDRESS, to_addr=to_addr, subject=f"{word}: {payload['subject']}"[:200],
        message_id=mail.make_message_id(uuid.uuid4(), settings.DIGITALPOST_HUB_DOMAIN), date=timezone.now(),
    )
    try:
        send_via_relay(mail.with_envelope(envelope, protected), sender=settings.DIGITALPOST_HUB_ADDRESS,
                       recipients=[to_addr])
    except aiosmtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"the relay refused the receipt address: {error}") from error
    except (aiosmtplib.SMTPException, OSError) as error:
        raise RetryLater(f"SMTP relay {settings.DIGITALPOST_SMTP_RELAY_HOST}:{settings.DIGITALPOST_SMTP_RELAY_PORT}: "
                         f"{error}") from error


def receipt_address(system: SenderSystem, envelope_from: str) -> str:
    """Where the receipt goes: the envelope sender when the certificate names it, else the certificate's address.

    Never an address the certificate does not name, so a forged envelope sender cannot divert receipts.
    """
    emails = [e.lower() for e in (system.certificate.emails if system.certificate is not None else [])]
    if envelope_from.lower() in emails:
        return envelope_from
    return emails[0] if emails else ""
