"""Forwarding an inquiry to its authority mailbox's receiver system: the one place that picks the channel.

`channel_for(receiver)` is the only dispatch on the receiver kind (secure address, REST push, REST pull); the
outbox's FORWARD handler and the doctor's probe both go through it, so a new kind of receiver is added here
and in its channel module, nowhere else. Not for: how an inquiry leaves (delivery.channels) or what a
receiver's failures mean for it (systems.receiver_health).
"""

from __future__ import annotations

import uuid
from typing import Any

from digitalpost.delivery.channels.base import ForwardPostponed
from digitalpost.delivery.channels.receivers import ReceiverChannel, inquiry_of
from digitalpost.delivery.channels.rest_pull import RestPullChannel
from digitalpost.delivery.channels.rest_push import RestPushChannel
from digitalpost.delivery.channels.secure_address import SecureAddressChannel
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job
from digitalpost.systems.models import ReceiverSystem

CHANNELS: dict[str, type[ReceiverChannel[Any]]] = {
    ReceiverSystem.Kind.SECURE_ADDRESS: SecureAddressChannel,
    ReceiverSystem.Kind.REST_PUSH: RestPushChannel,
    ReceiverSystem.Kind.REST_PULL: RestPullChannel,
}


def channel_for(receiver: ReceiverSystem) -> ReceiverChannel[Any]:
    """The channel through which `receiver` takes inquiries; ForwardPostponed for a kind not supported yet."""
    channel = CHANNELS.get(receiver.kind)
    if channel is None:
        raise ForwardPostponed(f"receiver kind {receiver.kind} is not supported yet")
    return channel(receiver)


def forward_inquiry(*, message_id: uuid.UUID | str, job: Job | None = None) -> bool:
    """Deliver an inquiry to its mailbox's receiver system; False when it was already forwarded."""
    # The secure address and its certificate in the same query: the channel reads both for every forward.
    message = Message.objects.select_related(
        "thread__authority", "thread__authority_mailbox__receiver_system__secure_address__certificate",
        "thread__party").filter(pk=message_id).first()
    if message is None or message.state != Message.State.ACCEPTED or message.thread is None:
        return False
    receiver = message.thread.authority_mailbox.receiver_system
    if receiver is None or not receiver.is_active:
        raise ForwardPostponed(f"mailbox {message.thread.authority_mailbox.name!r} has no active receiver system")
    channel = channel_for(receiver)
    return channel.send(channel.prepare(inquiry_of(message)), job=job).recorded
