"""The notice channels: the e-mail "you have new post" (and the legal-notification reminder), the portal's
invitation mail, and the NemSMS.

Both wrap the notifications app, which decides whether a notice is still wanted, composes it and records it
(NOTICE_SENT, REMINDER_SENT, SMS_SENT); here they get the shape of every other way out. `prepare` takes the
job that names the notice; `send` sends it once through the hub's relay or the SMS provider, raising RetryLater
while those are down and PermanentFailure for an address or number they refuse. Notices never change a
message's state. Not for: queueing notices (the lifecycle service does, with the delivery).
"""

from __future__ import annotations

from dataclasses import dataclass

from digitalpost.delivery.channels.base import Sent
from digitalpost.hub.relay import send_via_relay
from digitalpost.notifications.invitations import send_invitation
from digitalpost.notifications.services import send_notice, send_sms
from digitalpost.outbox.models import Job


@dataclass(frozen=True)
class NoticeWork:
    job: Job


class EmailNoticeChannel:
    name = "email"

    def prepare(self, job: Job, /) -> NoticeWork:
        return NoticeWork(job=job)

    def send(self, outgoing: NoticeWork, /, *, job: Job | None = None) -> Sent:
        work = job or outgoing.job
        if "invitation" in work.payload:  # an invitation to join an organisation in the portal
            send_invitation(job=work, relay=send_via_relay)
        else:
            send_notice(job=work, relay=send_via_relay)
        return Sent(answer="", recorded=False)


class SmsChannel:
    name = "nemsms"

    def prepare(self, job: Job, /) -> NoticeWork:
        return NoticeWork(job=job)

    def send(self, outgoing: NoticeWork, /, *, job: Job | None = None) -> Sent:
        send_sms(job=job or outgoing.job)
        return Sent(answer="", recorded=False)
