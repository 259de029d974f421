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
from digitalpost.hub.relay import send_all_via_relay, send_via_relay
from digitalpost.notifications.invitations import send_invitation
from digitalpost.notifications.services import is_plain_notice, send_notice, send_notices, send_sms
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


class NotBatchable(Exception):
    """A NOTIFY batch holding an invitation or a forwarded letter: the worker runs that batch one by one."""


def notify_batch(jobs: list[Job]) -> None:
    """Notices and reminders many at a time (notifications.send_notices): one claim, one relay connection and one
    commit per batch."""
    if not all(is_plain_notice(job) for job in jobs):
        raise NotBatchable("invitations and forwarded letters are sent one by one")
    send_notices(jobs=jobs, relay_all=send_all_via_relay)


class SmsChannel:
    name = "nemsms"

    def prepare(self, job: Job, /) -> NoticeWork:
        return NoticeWork(job=job)

    def send(self, outgoing: NoticeWork, /, *, job: Job | None = None) -> Sent:
        send_sms(job=job or outgoing.job)
        return Sent(answer="", recorded=False)
