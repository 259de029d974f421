"""Filing an authority's reply in a citizen's or company's conversation: the one reply path.

Both ways an authority answers end here: secure mail through the gateway (services/receive.py)
and a caseworker writing in the portal (services/casework.py). The reply is built as a MeMo that names the
thread's first message in ReplyData, is validated with the authority's service rules, and is recorded with
its MESSAGE_RECEIVED event, the RECEIVED receipt for the sender system and the DELIVER job; the worker then
delivers it to the party's web mailbox. It is not for checking who may reply (the callers do that).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.core.errors import DigitalPostError
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.core.roles import Actor
from digitalpost.messages.models import Message, Receipt, Thread
from digitalpost.messages.services.events import append_event
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.services import add_job
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.systems.models import SenderSystem

REPLY_TEXT_FILENAME = "svar.txt"
REPLY_RULES = memo.ServiceRules()

# (filename, media type, content)
Attachment = tuple[str, str, bytes]


def reply_memo(
    *, thread: Thread, system: SenderSystem, subject: str, text: str, attachments: Sequence[Attachment] = ()
) -> memo.Message:
    """The reply as a valid MeMo, or DigitalPostError with the first problem's code and every problem."""
    first = thread.messages.order_by("accepted_at").values_list("message_uuid", flat=True).first()
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


def file_reply(
    *, thread: Thread, system: SenderSystem, subject: str, text: str, attachments: Sequence[Attachment] = (),
    channel: str, actor: Actor | None = None,
) -> Message:
    """Validate the reply, then record it in the thread and queue its delivery (one transaction).

    `channel` names how it came ("secure-mail", "portal") on the timeline; `actor` the person who wrote it.
    """
    letter = reply_memo(thread=thread, system=system, subject=subject, text=text, attachments=attachments)
    body = memo.build(letter)
    return _record_reply(thread=thread, system=system, letter=letter, body=body, channel=channel, actor=actor)


@transaction.atomic(durable=True)
def _record_reply(
    *, thread: Thread, system: SenderSystem, letter: memo.Message, body: bytes, channel: str, actor: Actor | None
) -> Message:
    now = timezone.now()
    digest = hashlib.sha256(body).hexdigest()
    message = Message.objects.create(
        message_uuid=uuid.UUID(letter.header.message_uuid), authority=thread.authority,
        direction=Message.Direction.TO_PARTY, sender_system=system, mailbox=thread.party.mailbox, thread=thread,
        sender_label=thread.authority.name, label=letter.header.label, message_type="DIGITALPOST",
        memo_version=letter.version, memo_blob=digest, memo_sha256=digest, memo_size=len(body), pending_memo=body,
        accepted_at=now,
    )
    data = {"channel": channel, "thread": str(thread.pk), "senderSystem": str(system.pk)}
    if actor is not None:
        data["by"] = actor.label
    append_event(message, EventKind.MESSAGE_RECEIVED, at=now, first=True, data=data)
    Receipt.objects.create(message=message, sender_system=system, status=ReceiptStatus.RECEIVED, created_at=now)
    Thread.objects.filter(pk=thread.pk).update(last_activity_at=now)
    add_job(WorkKind.DELIVER, key=f"deliver:{message.pk}", payload={"message": str(message.pk)},
            max_attempts=settings.DIGITALPOST_DELIVERY_MAX_ATTEMPTS)
    return message
