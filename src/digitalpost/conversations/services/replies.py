"""Filing an authority's reply in a citizen's or company's conversation: the one reply path.

Every way an authority answers ends here: secure mail through the gateway (services/receive.py), a caseworker
writing in the portal (services/casework.py) and a case system posting a MeMo whose ReplyData names the
conversation (services/rest_replies.py). The gateway and the portal hand over text and files, built here into a
MeMo that names the thread's first message in ReplyData; the REST path hands over the MeMo as sent. Either way
`file_reply_memo` checks what every reply must pass (the conversation takes answers) and records it with its
MESSAGE_RECEIVED event, the RECEIVED receipt for the sender system and the DELIVER (or PRINT) job; the worker then
delivers it to the party's web mailbox. It is not for checking which system may reply or how it proved who it is
(each entry has its own proof: signature, sign-in, API token).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.core import actions
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.kombi import Channel
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.core.roles import Actor
from digitalpost.hub.queries import Param, PreparedSelect, PreparedUpdate
from digitalpost.hub.rows import insert
from digitalpost.messages.models import Message, Receipt, Thread
from digitalpost.messages.services.events import append_event
from digitalpost.messages.services.ingest import delivery_time
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.services import add_job
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.systems.models import SenderSystem

REPLY_TEXT_FILENAME = "svar.txt"
REPLY_RULES = memo.ServiceRules()

# Compiled once (hub.queries, decision 0018): the ORM compiled them for every reply.
_FIRST_MESSAGE = PreparedSelect(Message.objects.filter(thread_id=Param("thread", Thread._meta.pk))
                                .order_by("accepted_at").values_list("message_uuid")[:1])
_TOUCH_THREAD = PreparedUpdate(Thread.objects.filter(pk=Param("thread", Thread._meta.pk)),
                               last_activity_at=Param("at", Thread._meta.get_field("last_activity_at")))

# (filename, media type, content)
Attachment = tuple[str, str, bytes]


def reply_memo(
    *, thread: Thread, system: SenderSystem, subject: str, text: str, attachments: Sequence[Attachment] = ()
) -> memo.Message:
    """The reply as a valid MeMo, or DigitalPostError with the first problem's code and every problem."""
    first = next((row[0] for row in _FIRST_MESSAGE.rows(thread=thread.pk)), None)
    files = [(REPLY_TEXT_FILENAME, "text/plain", text.encode()), *attachments]
    label = subject or thread.subject
    letter = memo.simple_message(
        sender_cvr=system.authority.cvr, sender_label=system.authority.name, recipient_id=thread.party.number,
        recipient_id_type="CPR" if thread.party.kind == Contact.Kind.CITIZEN else "CVR", label=label[:256],
        files=files, created=timezone.now(),
    )
    if first is not None:
        reply_data = memo.ReplyData(message_uuid=str(first), contact_point_id=str(thread.authority_mailbox_id))
        letter = replace(letter, header=replace(letter.header, reply_data=(reply_data,)))
    problems = memo.validate(letter, rules=REPLY_RULES, today=timezone.localdate())
    if problems:
        raise DigitalPostError(problems[0].code, memo.describe_problems(problems))
    return letter


def check_may_answer(thread: Thread) -> None:
    """What every reply must pass, whichever way it came: the conversation still takes answers.

    A conversation closed with 'no reply' (its dialog-thread token says NO_REPLY) takes none from either side.
    """
    if not thread.party_may_reply:
        raise DigitalPostError(ErrorCode.REPLY_NOT_ALLOWED, thread.subject)


def file_reply(
    *, thread: Thread, system: SenderSystem, subject: str, text: str, attachments: Sequence[Attachment] = (),
    channel: str, actor: Actor | None = None,
) -> Message:
    """Build the reply from text and files, validate it, then record it in the thread and queue its delivery.

    `channel` names how it came ("secure-mail", "portal") on the timeline; `actor` the person who wrote it.
    """
    check_may_answer(thread)
    letter = reply_memo(thread=thread, system=system, subject=subject, text=text, attachments=attachments)
    body = memo.build(letter)
    return file_reply_memo(thread=thread, system=system, letter=letter, body=body, pending=body, channel=channel,
                           actor=actor)


def file_reply_memo(
    *, thread: Thread, system: SenderSystem, letter: memo.Message, body: bytes, pending: bytes | None, channel: str,
    actor: Actor | None = None, delivery: Channel = Channel.DIGITAL, received: dict[str, str] | None = None,
) -> Message:
    """Record an already validated reply MeMo (`body` its exact bytes) in `thread` (one transaction).

    `pending` is `body` when it rides in the row until the worker stores it, None when it is in the blob store
    already; `delivery` is KombiPost's choice (PRINT for an exempt party); `received` extra timeline data (a key
    "transmissionId" puts the message's transmission id on the timeline, as ingest does for a letter).
    """
    check_may_answer(thread)
    return _record_reply(thread=thread, system=system, letter=letter, body=body, pending=pending, channel=channel,
                         actor=actor, delivery=delivery, received=dict(received or {}))


@transaction.atomic(durable=True)
def _record_reply(
    *, thread: Thread, system: SenderSystem, letter: memo.Message, body: bytes, pending: bytes | None, channel: str,
    actor: Actor | None, delivery: Channel, received: dict[str, str],
) -> Message:
    now = timezone.now()
    header = letter.header
    digest = hashlib.sha256(body).hexdigest()
    # Prepared INSERTs (hub.rows, decision 0012): the ORM's create() compiles its statement on every call.
    message = insert(Message(
        message_uuid=uuid.UUID(header.message_uuid), sender_message_id=header.message_id or "",
        authority=thread.authority, direction=Message.Direction.TO_PARTY, sender_system=system,
        mailbox=thread.party.mailbox, thread=thread, sender_label=header.sender.label or thread.authority.name,
        label=header.label, message_type=header.message_type, memo_version=letter.version,
        is_mandatory=bool(header.mandatory), is_legal_notification=bool(header.legal_notification),
        do_not_deliver_until=header.do_not_deliver_until_date, memo_blob=digest, memo_sha256=digest,
        memo_size=len(body), pending_memo=pending, accepted_at=now, channel=delivery.value,
        **actions.stored_fields(letter),
    ))
    data = {"channel": channel, "thread": str(thread.pk), "senderSystem": str(system.pk)}
    if received.pop("transmissionId", None) is not None:  # the REST receipt's id, as a letter's event has it
        data["transmissionId"] = str(message.transmission_id)
    data |= received
    if actor is not None:
        data["by"] = actor.label
    append_event(message, EventKind.MESSAGE_RECEIVED, at=now, first=True, data=data)
    insert(Receipt(message=message, sender_system=system, status=ReceiptStatus.RECEIVED, created_at=now))
    _TOUCH_THREAD.run(thread=thread.pk, at=now)
    run_after = delivery_time(letter)
    if run_after is not None and run_after > now:
        append_event(message, EventKind.DELIVERY_POSTPONED, at=now, data={"until": run_after.isoformat()})
    kind = WorkKind.PRINT if delivery is Channel.PRINT else WorkKind.DELIVER
    add_job(kind, key=f"{kind.value.lower()}:{message.pk}", payload={"message": str(message.pk)}, run_after=run_after,
            max_attempts=settings.DIGITALPOST_DELIVERY_MAX_ATTEMPTS)
    return message
