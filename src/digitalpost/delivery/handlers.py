"""The work handlers the delivery worker runs: each work kind goes out through one channel.

DELIVER and DELIVER_BULK → the web mailbox; FORWARD → the receiver system's channel (delivery.forward picks
it); PRINT → the print hand-off; NOTIFY → the e-mail notice; SMS → NemSMS; PUSH_EVENTS → a sender system's
receipt endpoint; LETTER_RECEIPT → the receipt mail of a letter started by secure mail. A handler only loads what
the job names and calls the channel; the channel knows which errors are worth a retry.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from digitalpost.delivery.channels.notices import EmailNoticeChannel, SmsChannel, notify_batch
from digitalpost.delivery.channels.print_handoff import hand_over_to_print, print_batch
from digitalpost.delivery.channels.sender_push import push_events
from digitalpost.delivery.channels.web_mailbox import deliver_batch, deliver_to_mailbox, give_up_delivery
from digitalpost.delivery.forward import forward_inquiry
from digitalpost.messages.services.mail_letters import send_receipt
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.worker import BatchHandler, GiveUp, Handler


def deliver(job: Job) -> None:
    deliver_to_mailbox(message_id=job.payload["message"], job=job)


def forward(job: Job) -> None:
    forward_inquiry(message_id=job.payload["message"], job=job)


def print_letter(job: Job) -> None:
    hand_over_to_print(message_id=job.payload["message"], job=job)


def notify(job: Job) -> None:
    channel = EmailNoticeChannel()
    channel.send(channel.prepare(job), job=job)


def push_to_sender(job: Job) -> None:
    push_events(endpoint_id=job.payload["endpoint"], push_id=int(job.payload["push"]), job=job)


def letter_receipt(job: Job) -> None:
    send_receipt(job)


def sms(job: Job) -> None:
    channel = SmsChannel()
    channel.send(channel.prepare(job), job=job)


# Mass-send items are delivered like single messages, from a queue of their own (DELIVER_BULK), many per commit.
HANDLERS: Mapping[WorkKind, Handler] = {WorkKind.DELIVER: deliver, WorkKind.DELIVER_BULK: deliver,
                                        WorkKind.FORWARD: forward, WorkKind.PRINT: print_letter,
                                        WorkKind.NOTIFY: notify, WorkKind.SMS: sms,
                                        WorkKind.PUSH_EVENTS: push_to_sender, WorkKind.LETTER_RECEIPT: letter_receipt}
GIVE_UP: Mapping[WorkKind, GiveUp] = {WorkKind.DELIVER: give_up_delivery, WorkKind.DELIVER_BULK: give_up_delivery,
                                      WorkKind.PRINT: give_up_delivery}
# Deliveries are claimed and recorded many at a time (a batch is as large as the backlog, up to BATCH_SIZE):
# one claim, one blob sync and one commit serve the whole batch (decision 0009).
# Letters likewise: rendered one by one, their blobs synced once and recorded in one commit per batch.
# Notices: each mail still sent on its own, their claim and their recording one transaction per batch.
BATCH_HANDLERS: Mapping[WorkKind, BatchHandler] = {WorkKind.DELIVER: deliver_batch,
                                                   WorkKind.DELIVER_BULK: deliver_batch,
                                                   WorkKind.PRINT: print_batch, WorkKind.NOTIFY: notify_batch}



def batch_limits() -> dict[WorkKind, int]:
    """Mass-send deliveries are recorded up to DIGITALPOST_BULK_DELIVER_BATCH per commit (decision 0017): the
    multi-row writes keep even a large batch's transaction short, and one blob sync serves all of it."""
    return {WorkKind.DELIVER_BULK: settings.DIGITALPOST_BULK_DELIVER_BATCH}


def lane_threads() -> dict[WorkKind, int]:
    """Forwards run in threads of their own, one receiver system per thread at a time (outbox lanes)."""
    return {WorkKind.FORWARD: settings.DIGITALPOST_FORWARD_THREADS}
