"""The work handlers the delivery worker runs, by work kind."""

from __future__ import annotations

from collections.abc import Mapping

from digitalpost.delivery.channels.secure_address import forward_inquiry
from digitalpost.delivery.channels.web_mailbox import deliver_batch, deliver_to_mailbox, give_up_delivery
from digitalpost.hub.relay import send_via_relay
from digitalpost.notifications.services import send_notice, send_sms
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.worker import BatchHandler, GiveUp, Handler
from digitalpost.printing.services import render_print_letter


def deliver(job: Job) -> None:
    deliver_to_mailbox(message_id=job.payload["message"], job=job)


def forward(job: Job) -> None:
    forward_inquiry(message_id=job.payload["message"], job=job)


def print_letter(job: Job) -> None:
    render_print_letter(message_id=job.payload["message"], job=job)


def notify(job: Job) -> None:
    send_notice(job=job, relay=send_via_relay)


def sms(job: Job) -> None:
    send_sms(job=job)


# Mass-send items are delivered like single messages, from a queue of their own (DELIVER_BULK), many per commit.
HANDLERS: Mapping[WorkKind, Handler] = {WorkKind.DELIVER: deliver, WorkKind.DELIVER_BULK: deliver,
                                        WorkKind.FORWARD: forward, WorkKind.PRINT: print_letter,
                                        WorkKind.NOTIFY: notify, WorkKind.SMS: sms}
GIVE_UP: Mapping[WorkKind, GiveUp] = {WorkKind.DELIVER: give_up_delivery, WorkKind.DELIVER_BULK: give_up_delivery,
                                      WorkKind.PRINT: give_up_delivery}
BATCH_HANDLERS: Mapping[WorkKind, BatchHandler] = {WorkKind.DELIVER_BULK: deliver_batch}
