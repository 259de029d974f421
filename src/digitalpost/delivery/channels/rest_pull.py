"""REST pull: a receiver system fetches the inquiries routed to it, gives a business receipt and deletes them.

A pulled message has no table of its own; its state is `Message.state` plus its event log:

- *available*: `make_available` (`RestPullChannel.send`, for a REST_PULL receiver) appends
  MESSAGE_AVAILABLE {channel: "rest-pull", receiver, waiting: "pull"} and finishes the FORWARD job. The
  message stays ACCEPTED and is listed for that receiver — and only that one — until it is acknowledged.
  Nothing is lost if the receiver never comes back: the message simply stays available.
- *acknowledged*: the first business receipt (RECEIVED or REJECTED) or DELETE turns it DELIVERED with
  MESSAGE_DELIVERED {channel: "rest-pull", receiver, via, businessReceipt?, comment?}. It leaves the list;
  fetching it answers 404 `message.not.found` like any message that is not the caller's. DELETE again is a
  no-op; the same business receipt again replays the recorded one; any other receipt is 409
  `message.already.acknowledged`. A REJECTED receipt still ends delivery: the authority has the message and
  its system's verdict is kept on the timeline.

The reads (`get_pull_receiver_by_token`, `list_available_messages`, `access_*`) live here with the writes
because they encode the same rule (the MESSAGE_AVAILABLE event names the receiver); they are the only door
the API uses to these messages. Not for: secure mail or REST push delivery (secure_address.py, rest_push.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from digitalpost.conversations.tokens import REPLY_DATA_LABEL, thread_token
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.delivery.channels.base import Sent
from digitalpost.delivery.channels.receivers import OutgoingInquiry, ReceiverChannel
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Event, Message
from digitalpost.messages.services.documents import received_bytes
from digitalpost.messages.services.events import append_event
from digitalpost.messages.services.lifecycle import record_delivered
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import finish_job
from digitalpost.protocols import memo
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.receiver_health import note_receiver_success
from digitalpost.systems.selectors import hash_token

PULL_CHANNEL = "rest-pull"
THREAD_LABEL = REPLY_DATA_LABEL
MAX_PAGE = 500


@dataclass(frozen=True)
class BusinessReceipt:
    message_id: uuid.UUID
    status: str
    comment: str
    at: datetime


def get_pull_receiver_by_token(token: str) -> ReceiverSystem | None:
    """The active REST pull receiver the token was issued to, with its authority; None for any other token."""
    if not token or len(token) > 200:
        return None
    return (
        ReceiverSystem.objects.select_related("authority")
        .filter(token_sha256=hash_token(token), kind=ReceiverSystem.Kind.REST_PULL, is_active=True)
        .first()
    )


def routed_messages(receiver: ReceiverSystem) -> QuerySet[Message]:
    """Every inquiry ever made available to `receiver` (acknowledged or not): the visibility rule."""
    made_available = Event.objects.filter(
        message=OuterRef("pk"), kind=EventKind.MESSAGE_AVAILABLE, data__channel=PULL_CHANNEL,
        data__receiver=str(receiver.pk),
    )
    return Message.objects.filter(
        authority_id=receiver.authority_id, direction=Message.Direction.TO_AUTHORITY
    ).filter(Exists(made_available))


def list_available_messages(receiver: ReceiverSystem, *, limit: int = 100) -> list[Message]:
    """The messages waiting for `receiver`, oldest first."""
    limit = max(1, min(limit, MAX_PAGE))
    found = routed_messages(receiver).filter(state=Message.State.ACCEPTED)
    return list(found.select_related("thread__authority_mailbox").order_by("accepted_at", "id")[:limit])


def access_available_message(receiver: ReceiverSystem, message_id: uuid.UUID) -> Message:
    """One message waiting for `receiver`; `message.not.found` for absent, acknowledged or not yours."""
    found = (
        routed_messages(receiver).filter(pk=message_id, state=Message.State.ACCEPTED)
        .select_related("thread__authority").first()
    )
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND)
    return found


def memo_with_thread(letter: memo.Message, *, message_uuid: str, token: str) -> bytes:
    """`letter` plus a ReplyData naming the inquiry and carrying the dialog-thread token (pulled and pushed)."""
    reply = memo.ReplyData(
        message_uuid=message_uuid,
        additional_reply_data=(memo.AdditionalReplyData(label=THREAD_LABEL, value=token),),
    )
    header = replace(letter.header, reply_data=(*letter.header.reply_data, reply))
    return memo.build(replace(letter, header=header))


def pulled_memo(message: Message) -> bytes:
    """The MeMo as accepted, plus a ReplyData naming the inquiry and carrying the dialog-thread token."""
    thread = message.thread
    assert thread is not None  # inquiries always open a thread
    letter = memo.parse(received_bytes(message, blob_store()), max_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES)
    return memo_with_thread(letter, message_uuid=str(message.message_uuid), token=thread_token(thread))


@dataclass(frozen=True)
class Offer:
    inquiry_id: uuid.UUID


class RestPullChannel(ReceiverChannel[Offer]):
    """Hands an inquiry over by offering it; the receiver fetches it (nothing is sent, so no probe is either)."""

    name = PULL_CHANNEL
    sends_probes = False

    def prepare(self, inquiry: OutgoingInquiry, /) -> Offer:
        return Offer(inquiry_id=inquiry.message_id)

    def send(self, outgoing: Offer, /, *, job: Job | None = None) -> Sent:
        return Sent(answer="", recorded=make_available(message_id=outgoing.inquiry_id, receiver=self.receiver, job=job))


@transaction.atomic(durable=True)
def make_available(*, message_id: uuid.UUID, receiver: ReceiverSystem, job: Job | None) -> bool:
    """Offer an accepted inquiry to a REST pull receiver; False when it was already offered or is done."""
    message = Message.objects.select_for_update(no_key=True).get(pk=message_id)
    offered = routed_messages(receiver).filter(pk=message.pk).exists()
    if message.state == Message.State.ACCEPTED and not offered:
        append_event(message, EventKind.MESSAGE_AVAILABLE, at=timezone.now(),
                     data={"channel": PULL_CHANNEL, "receiver": str(receiver.pk), "waiting": "pull"})
    if job is not None:
        finish_job(job)
    return message.state == Message.State.ACCEPTED and not offered


def _locked_routed(receiver: ReceiverSystem, message_id: uuid.UUID) -> Message:
    found = routed_messages(receiver).select_for_update(no_key=True).filter(pk=message_id).first()
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND)
    return found


def _deliver(message: Message, receiver: ReceiverSystem, data: dict[str, Any]) -> datetime:
    now = timezone.now()
    if record_delivered(message, at=now, data={"channel": PULL_CHANNEL, "receiver": str(receiver.pk), **data}):
        note_receiver_success(receiver=receiver)
    return now


@transaction.atomic(durable=True)
def acknowledge_message(*, receiver: ReceiverSystem, message_id: uuid.UUID) -> bool:
    """The receiver has the message (DELETE): it leaves the list. False when it was acknowledged before."""
    message = _locked_routed(receiver, message_id)
    if message.state != Message.State.ACCEPTED:
        return False
    _deliver(message, receiver, {"via": "delete"})
    return True


@transaction.atomic(durable=True)
def record_business_receipt(
    *, receiver: ReceiverSystem, message_id: uuid.UUID, status: str, comment: str = ""
) -> BusinessReceipt:
    """Record the receiver's business receipt; it acknowledges the message. The same receipt again replays."""
    message = _locked_routed(receiver, message_id)
    if message.state == Message.State.ACCEPTED:
        at = _deliver(message, receiver, {"via": "receipt", "businessReceipt": status, "comment": comment})
        return BusinessReceipt(message_id=message.pk, status=status, comment=comment, at=at)
    given = (
        Event.objects.filter(message=message, kind=EventKind.MESSAGE_DELIVERED, data__channel=PULL_CHANNEL,
                             data__via="receipt")
        .order_by("seq").first()
    )
    if given is None or given.data.get("businessReceipt") != status:
        raise DigitalPostError(ErrorCode.MESSAGE_ALREADY_ACKNOWLEDGED, f"status {status}")
    return BusinessReceipt(message_id=message.pk, status=status, comment=str(given.data.get("comment", "")),
                           at=given.at)
