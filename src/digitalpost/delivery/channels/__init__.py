"""The ways out, one module each, all behind the `Channel` interface of base.py (prepare → send).

web_mailbox, secure_address, rest_push, rest_pull, print_handoff, notices; `receivers.py` holds what the
authority-facing channels share. The receiver kind is dispatched once, in delivery.forward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # every channel fits the one interface: mypy checks these assignments
    import uuid

    from digitalpost.delivery.channels.base import Channel
    from digitalpost.delivery.channels.notices import EmailNoticeChannel, NoticeWork, SmsChannel
    from digitalpost.delivery.channels.print_handoff import PrintChannel
    from digitalpost.delivery.channels.receivers import OutgoingInquiry
    from digitalpost.delivery.channels.rest_pull import Offer, RestPullChannel
    from digitalpost.delivery.channels.rest_push import PushRequest, RestPushChannel
    from digitalpost.delivery.channels.secure_address import PreparedMail, SecureAddressChannel
    from digitalpost.delivery.channels.web_mailbox import MailboxDelivery, WebMailboxChannel
    from digitalpost.messages.models import Message
    from digitalpost.outbox.models import Job
    from digitalpost.printing.services import RenderedLetter
    from digitalpost.systems.models import ReceiverSystem

    def _every_channel_fits(receiver: ReceiverSystem) -> None:
        web: Channel[Message, MailboxDelivery] = WebMailboxChannel()
        secure: Channel[OutgoingInquiry, PreparedMail] = SecureAddressChannel(receiver)
        push: Channel[OutgoingInquiry, PushRequest] = RestPushChannel(receiver)
        pull: Channel[OutgoingInquiry, Offer] = RestPullChannel(receiver)
        paper: Channel[uuid.UUID | str, RenderedLetter | None] = PrintChannel()
        notice: Channel[Job, NoticeWork] = EmailNoticeChannel()
        sms: Channel[Job, NoticeWork] = SmsChannel()
        del web, secure, push, pull, paper, notice, sms
