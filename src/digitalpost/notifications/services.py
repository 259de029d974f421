"""Sending the notices, reminders and NemSMS queued with a message's delivery, and the recipient's preferences.

The delivery transaction (messages.services.lifecycle.queue_notices) queues the work: NOTIFY
`notice:<message>` for a recipient who wants e-mail notices, NOTIFY `reminder:<message>` (due
DIGITALPOST_LEGAL_REMINDER_DAYS later) for a legal notification, SMS `sms:<message>` for a NEMSMS message. The
worker runs these through the notice channels (delivery.channels.notices), outside any transaction: each
checks whether its effect is recorded already, looks again at whether it is still wanted (preferences,
register status, read), does it, then records it with its event and finishes the job in one transaction. A
relay or SMS provider that is down means RetryLater: the job waits and nothing is lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from typing import NamedTuple, Protocol

import aiosmtplib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.kombi import Channel
from digitalpost.core.lifecycle import EventKind
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.queries import PreparedIn, PreparedSelect
from digitalpost.hub.relay import Outgoing
from digitalpost.hub.rows import insert_many
from digitalpost.messages.models import Message
from digitalpost.messages.services.documents import received_bytes
from digitalpost.messages.services.events import append_event, append_events
from digitalpost.notifications.compose import (
    forwarded_mail_text,
    new_mail_text,
    notice_mail,
    notice_mail_bytes,
    reminder_text,
)
from digitalpost.notifications.models import ForwardedMail, Notice, Sms
from digitalpost.notifications.sms import OutgoingSms, SmsRefused, SmsUnavailable, provider_from_settings, sms_text
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import add_job, finish_job, finish_jobs
from digitalpost.outbox.worker import PermanentFailure, RetryLater
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import effective_status, effective_statuses

NOTICE_EVENTS = {Notice.Kind.NEW_MAIL: EventKind.NOTICE_SENT, Notice.Kind.REMINDER: EventKind.REMINDER_SENT}
NOTICE_HEADER_VALUES = {Notice.Kind.NEW_MAIL: "new-mail", Notice.Kind.REMINDER: "reminder"}


class Relay(Protocol):
    """hub.relay.send_via_relay, passed in by the delivery app's notice channel (delivery.channels.notices)."""

    def __call__(self, message: bytes | EmailMessage, *, sender: str, recipients: Sequence[str]) -> str: ...


def _load(message_id: str) -> Message | None:
    return Message.objects.select_related("authority", "mailbox__owner").filter(pk=message_id).first()


def notice_recipient(message: Message, kind: Notice.Kind, *, status: str | None = None) -> str | None:
    """The address the notice goes to now, or None when none is wanted (any more).

    `status` is the owner's effective status when the caller looked it up already (effective_statuses).
    """
    contact: Contact = message.mailbox.owner
    if (message.state != Message.State.DELIVERED or message.channel != Channel.DIGITAL
            or message.direction != Message.Direction.TO_PARTY):
        return None
    if kind == Notice.Kind.REMINDER and (message.read_at is not None or not message.is_legal_notification):
        return None
    if not (contact.notify_by_email and contact.notification_email):
        return None
    if (status or effective_status(contact)) != Contact.Status.REGISTERED:  # exempt since: post goes on paper
        return None
    return contact.notification_email


def send_notice(*, job: Job, relay: Relay) -> None:
    """The notice (or reminder) the job names, sent once through `relay`; ends quietly when no longer wanted."""
    if "forward_mail" in job.payload:
        send_forwarded_mail(job=job, relay=relay)
        return
    kind = Notice.Kind(job.payload.get("notice", Notice.Kind.NEW_MAIL))
    message = _load(job.payload["message"])
    if message is None or Notice.objects.filter(message=message, kind=kind).exists():
        return
    recipient = notice_recipient(message, kind)
    if recipient is None:
        return
    answer = _mail_notice(message, kind, recipient, relay)
    _record_notice(message_id=message.pk, kind=kind, recipient=recipient, answer=answer, job=job)


def _mail_notice(message: Message, kind: Notice.Kind, recipient: str, relay: Relay) -> str:
    """Compose the notice and hand it to `relay`; the relay's answer, or PermanentFailure / RetryLater."""
    try:
        return relay(_notice_mail(message, kind, recipient), sender=settings.DIGITALPOST_NOTIFY_FROM,
                     recipients=[recipient])
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise _relay_failure(exc) from exc


def _notice_mail(message: Message, kind: Notice.Kind, recipient: str) -> bytes:
    url = settings.DIGITALPOST_MAILBOX_URL
    if kind == Notice.Kind.REMINDER:
        received = timezone.localtime(message.delivered_at or message.accepted_at).date()
        text = reminder_text(authority=message.authority.name, mailbox_url=url, received_on=received)
    else:
        text = new_mail_text(authority=message.authority.name, mailbox_url=url)
    return notice_mail_bytes(text, kind=NOTICE_HEADER_VALUES[kind], to=recipient,
                             sender=settings.DIGITALPOST_NOTIFY_FROM, sender_name=settings.DIGITALPOST_NOTIFY_FROM_NAME,
                             now=timezone.now())


def _relay_failure(exc: BaseException) -> PermanentFailure | RetryLater:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return PermanentFailure(f"the relay refused the notification address: {exc}")
    where = f"{settings.DIGITALPOST_SMTP_RELAY_HOST}:{settings.DIGITALPOST_SMTP_RELAY_PORT}"
    return RetryLater(f"SMTP relay {where}: {exc}")


class RelayAll(Protocol):
    """hub.relay.send_all_via_relay: several mails over one connection, an answer or an exception for each."""

    def __call__(self, mails: Sequence[Outgoing]) -> list[str | Exception]: ...


def is_plain_notice(job: Job) -> bool:
    """A NOTIFY job of a new-mail notice or a reminder (send_notices takes these in batches), not of an invitation
    or a forwarded letter."""
    return "message" in job.payload and "forward_mail" not in job.payload and "invitation" not in job.payload


# What a batch of notices reads of a message, its sender and its recipient (notice_recipient, _notice_mail,
# effective_statuses): whole rows with all their columns cost more to load than the mails took to compose.
NOTICE_FIELDS = ("state", "channel", "direction", "read_at", "is_legal_notification", "delivered_at", "accepted_at",
                 "authority__name", "mailbox__owner__number", "mailbox__owner__status",
                 "mailbox__owner__notify_by_email", "mailbox__owner__notification_email")


# A batch's statements, compiled once per database and batch length (hub.queries, decision 0025).
_MESSAGE_ID = Message._meta.pk
_NOTICED = PreparedIn(lambda ids: PreparedSelect(Message.objects.select_related("authority", "mailbox__owner")
                                                 .only(*NOTICE_FIELDS).filter(pk__in=ids)), ids=_MESSAGE_ID)
_SENT = PreparedIn(lambda ids: PreparedSelect(Notice.objects.filter(message__pk__in=ids)
                                              .values_list("message_id", "kind")), ids=_MESSAGE_ID)
_LOCK_FOR_EVENTS = PreparedIn(lambda ids: PreparedSelect(
    Message.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    .only("sender_system_id")), ids=_MESSAGE_ID)  # what append_events needs of a message


def send_notices(*, jobs: list[Job], relay_all: RelayAll) -> None:
    """`send_notice` for many NOTIFY jobs (`is_plain_notice`): the same checks and mails, far fewer round trips.

    The messages, the notices already sent and the owners' statuses are read once for the batch; the mails go to
    the relay over one connection (`relay_all`); then one transaction records every notice the relay took, with
    its event, and finishes every job. When the relay refused one or failed, the notices it took are recorded
    (their jobs finished) before the first error goes up, so the worker's one-by-one retry of the batch sends
    none of them again and gives each of the others its own outcome.
    """
    messages = {str(m.pk): m for m in _NOTICED.objects(ids=[job.payload["message"] for job in jobs])}
    done = {(message_id, kind) for message_id, kind in _SENT.rows(ids=[m.pk for m in messages.values()])}
    statuses = effective_statuses({m.mailbox.owner for m in messages.values() if m.mailbox_id is not None})
    due: list[tuple[Job, Message, Notice.Kind, str]] = []
    for job in jobs:
        kind = Notice.Kind(job.payload.get("notice", Notice.Kind.NEW_MAIL))
        message = messages.get(str(job.payload["message"]))
        if message is None or (message.pk, kind) in done:
            continue
        status = statuses.get(message.mailbox.owner.number) if message.mailbox_id is not None else None
        recipient = notice_recipient(message, kind, status=status)
        if recipient is not None:
            due.append((job, message, kind, recipient))
            done.add((message.pk, kind))
    answers = relay_all([Outgoing(_notice_mail(message, kind, recipient), settings.DIGITALPOST_NOTIFY_FROM,
                                  [recipient]) for _, message, kind, recipient in due])
    sent = [_SentNotice(job, message, kind, recipient, answer)
            for (job, message, kind, recipient), answer in zip(due, answers, strict=True) if isinstance(answer, str)]
    failure = next((answer for answer in answers if not isinstance(answer, str)), None)
    if failure is None:
        _record_notices(sent, jobs)
        return
    _record_notices(sent, [notice.job for notice in sent])
    raise _relay_failure(failure) from failure


class _SentNotice(NamedTuple):
    job: Job
    message: Message
    kind: Notice.Kind
    recipient: str
    answer: str


@transaction.atomic(durable=True)
def _record_notices(sent: list[_SentNotice], jobs: list[Job]) -> None:
    """The notices `sent` with their events (those nobody recorded meanwhile), and `jobs` finished, in one commit."""
    ids = sorted({notice.message.pk for notice in sent})
    locked = {m.pk: m for m in _LOCK_FOR_EVENTS.objects(ids=ids)}
    recorded = {(message_id, kind) for message_id, kind in _SENT.rows(ids=ids)}
    new = [notice for notice in sent if (notice.message.pk, notice.kind) not in recorded]
    now = timezone.now()
    insert_many([Notice(message=locked[n.message.pk], kind=n.kind, recipient=n.recipient, sent_at=now,
                        relay_answer=n.answer[:500]) for n in new])
    # The sender sees the timeline: it learns that a notice went out, never the citizen's address.
    append_events([(locked[n.message.pk], NOTICE_EVENTS[n.kind], {"channel": "email"}) for n in new], at=now)
    finish_jobs(jobs)


@transaction.atomic(durable=True)
def _record_notice(*, message_id: uuid.UUID, kind: Notice.Kind, recipient: str, answer: str, job: Job) -> None:
    message = Message.objects.select_for_update(no_key=True).get(pk=message_id)
    now = timezone.now()
    _, created = Notice.objects.get_or_create(
        message=message, kind=kind, defaults={"recipient": recipient, "sent_at": now, "relay_answer": answer[:500]}
    )
    if created:
        # The sender sees the timeline: it learns that a notice went out, never the citizen's address.
        append_event(message, NOTICE_EVENTS[kind], at=now, data={"channel": "email"})
    finish_job(job)


def _notification_text(message: Message) -> str:
    parsed = memo.parse(received_bytes(message, blob_store()), max_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES)
    return sms_text(parsed.header.notification)


def send_sms(*, job: Job) -> None:
    """Hand a delivered NEMSMS message's notification to the SMS provider, once; without a mobile number the
    message stays in the mailbox only (recorded as NO_NUMBER, no SMS_SENT)."""
    message = _load(job.payload["message"])
    if message is None or Sms.objects.filter(message=message).exists():
        return
    text = _notification_text(message)
    if not text:
        raise PermanentFailure("the NEMSMS message has no notification text")
    number = message.mailbox.owner.mobile_number
    if not number:
        _record_sms(message_id=message.pk, state=Sms.State.NO_NUMBER, text=text, job=job)
        return
    try:
        provider = provider_from_settings()
        reference = provider.send(OutgoingSms(reference=str(message.pk), to=number, sender=message.authority.name,
                                              text=text))
    except SmsUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    except SmsRefused as exc:
        raise PermanentFailure(str(exc)) from exc
    _record_sms(message_id=message.pk, state=Sms.State.SENT, text=text, job=job, number=number,
                provider=provider.name, reference=reference)


@transaction.atomic(durable=True)
def _record_sms(*, message_id: uuid.UUID, state: Sms.State, text: str, job: Job, number: str = "",
                provider: str = "", reference: str = "") -> None:
    message = Message.objects.select_for_update(no_key=True).get(pk=message_id)
    now = timezone.now()
    _, created = Sms.objects.get_or_create(message=message, defaults={
        "state": state, "mobile_number": number, "text": text, "provider": provider,
        "provider_reference": reference[:200], "at": now,
    })
    if created and state == Sms.State.SENT:
        append_event(message, EventKind.SMS_SENT, at=now, data={"provider": provider})
    finish_job(job)


# Forwarding a letter to an e-mail address (docs/forwarding.md).

FORWARD_HEADER_VALUE = "forwarded"


def forward_by_email(*, letter: Message, address: str, include_documents: bool, forwarded_by: str) -> ForwardedMail:
    """Queue a forwarded letter's e-mail (a notice; the documents only when asked); refused where the hub is not
    set up for it. The caller has loaded `letter` as the forwarder's own."""
    if not settings.DIGITALPOST_FORWARD_TO_EMAIL:
        raise DigitalPostError(ErrorCode.FORWARD_EMAIL_OFF)
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "not an e-mail address") from None
    if letter.direction != Message.Direction.TO_PARTY or letter.state != Message.State.DELIVERED:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "only delivered letters are forwarded")
    with transaction.atomic():
        forward = ForwardedMail.objects.create(message=letter, recipient=address, include_documents=include_documents,
                                               forwarded_by=forwarded_by[:200], created_at=timezone.now())
        add_job(WorkKind.NOTIFY, key=f"forward-mail:{forward.pk}", payload={"forward_mail": str(forward.pk)})
    return forward


def send_forwarded_mail(*, job: Job, relay: Relay) -> None:
    forward = (ForwardedMail.objects.select_related("message__authority").filter(pk=job.payload["forward_mail"])
               .first())
    if forward is None or forward.sent_at is not None:
        return
    letter = forward.message
    text = forwarded_mail_text(forwarded_by=forward.forwarded_by, authority=letter.sender_label, label=letter.label,
                               with_documents=forward.include_documents)
    mail = notice_mail(text, kind=FORWARD_HEADER_VALUE, to=forward.recipient, sender=settings.DIGITALPOST_NOTIFY_FROM,
                       sender_name=settings.DIGITALPOST_NOTIFY_FROM_NAME, now=timezone.now())
    if forward.include_documents:
        store = blob_store()
        for document in letter.documents.all():
            maintype, _, subtype = document.media_type.partition("/")
            mail.add_attachment(store.read(document.blob), maintype=maintype or "application",
                                subtype=subtype or "octet-stream", filename=document.filename)
    try:
        answer = relay(mail, sender=settings.DIGITALPOST_NOTIFY_FROM, recipients=[forward.recipient])
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"the relay refused the address: {exc}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise RetryLater(f"SMTP relay {settings.DIGITALPOST_SMTP_RELAY_HOST}:{settings.DIGITALPOST_SMTP_RELAY_PORT}: "
                         f"{exc}") from exc
    with transaction.atomic(durable=True):
        ForwardedMail.objects.filter(pk=forward.pk, sent_at=None).update(sent_at=timezone.now(),
                                                                          relay_answer=answer[:500])
        finish_job(job)
