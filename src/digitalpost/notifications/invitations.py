"""Invitations to join an organisation in the portal: recorded and queued together, then mailed by the worker.

`invite` records the invitation (accounts) and queues NOTIFY `invitation:<id>` in one transaction. The worker's
notice channel runs `send_invitation`: it makes the link's token only now (stored hashed; the token exists in
that mail and nowhere else), sends the mail through the hub's relay and records it with the job's end. A job
run twice after a crash mails a fresh token (the first one stops working): the invitee always holds a link that
works. An invitation withdrawn, accepted or expired before the worker came round is not mailed at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage

import aiosmtplib
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from digitalpost.accounts.models import Invitation
from digitalpost.accounts.services import issue_invitation_token, mark_invitation_mailed, open_invitation
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.roles import SYSTEM_ACTOR, Actor, Role
from digitalpost.notifications.compose import NoticeText, notice_mail
from digitalpost.notifications.services import Relay
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import enqueue, finish_job
from digitalpost.outbox.worker import PermanentFailure, RetryLater

INVITATION_HEADER_VALUE = "invitation"
ROLE_NAMES_DA = {Role.SUPERADMIN: "superadministrator", Role.ADMIN: "administrator",
                 Role.CASEWORKER: "sagsbehandler", Role.CITIZEN_SERVICE: "borgerservice"}


@transaction.atomic(durable=True)
def invite(
    *, authority: Authority, email: str, role: Role, mailboxes: Iterable[AuthorityMailbox] = (),
    actor: Actor = SYSTEM_ACTOR,
) -> Invitation:
    """Invite whoever reads mail at `email` to `role`; the mail goes out through the worker."""
    invitation = open_invitation(authority=authority, email=email, role=role, mailboxes=mailboxes, actor=actor)
    enqueue(WorkKind.NOTIFY, key=f"invitation:{invitation.pk}", payload={"invitation": invitation.pk})
    return invitation


def invitation_link(token: str) -> str:
    """The page that takes the token from the link's fragment: a fragment never reaches a server, so the token
    stays out of access logs, proxies and Referer headers (the page posts it)."""
    return f"{settings.DIGITALPOST_PORTAL_URL.rstrip('/')}{reverse('portal:invitation')}#{token}"


def invitation_text(*, organisation: str, role: Role, link: str, token: str, days: int) -> NoticeText:
    who = " ".join(organisation.split())
    return NoticeText(
        subject=f"Invitation til {who} i Digital Post / Invitation to {who} in Digital Post",
        body=(
            f"Du er inviteret til at arbejde for {who} i Digital Post-administrationen som "
            f"{ROLE_NAMES_DA[role]}.\n\n"
            f"Åbn invitationen, log ind (eller opret en bruger) og acceptér den her:\n{link}\n\n"
            f"Linket virker én gang og i {days} dage. Virker linket ikke, så indtast koden på siden:\n{token}\n\n"
            "Du bliver først medlem, når du har accepteret. Forventede du ikke invitationen, så se bort fra "
            "mailen.\n\n"
            "-- English --\n\n"
            f"You are invited to work for {who} in the Digital Post administration portal as {role.value}.\n\n"
            f"Open the invitation, sign in (or create a user) and accept it here:\n{link}\n\n"
            f"The link works once, for {days} days. If the link does not work, type the code on the page:\n"
            f"{token}\n\n"
            "You become a member only when you accept. If you did not expect this invitation, ignore this mail.\n"
        ),
    )


def invitation_mail(invitation: Invitation, token: str) -> EmailMessage:
    text = invitation_text(organisation=invitation.authority.name, role=Role(invitation.role),
                           link=invitation_link(token), token=token,
                           days=max(1, round((invitation.expires_at - invitation.created_at).total_seconds() / 86400)))
    return notice_mail(text, kind=INVITATION_HEADER_VALUE, to=invitation.email, sender=settings.DIGITALPOST_NOTIFY_FROM,
                       sender_name=settings.DIGITALPOST_NOTIFY_FROM_NAME, now=timezone.now())


def send_invitation(*, job: Job, relay: Relay) -> None:
    """The invitation the job names, mailed with a fresh token; ends quietly when it is no longer pending."""
    invitation = Invitation.objects.select_related("authority").filter(pk=job.payload["invitation"]).first()
    token = issue_invitation_token(invitation_id=invitation.pk) if invitation is not None else None
    if invitation is None or token is None:
        return  # the worker marks the job done
    try:
        answer = relay(invitation_mail(invitation, token), sender=settings.DIGITALPOST_NOTIFY_FROM,
                       recipients=[invitation.email])
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"the relay refused the invited address: {exc}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise RetryLater(f"SMTP relay {settings.DIGITALPOST_SMTP_RELAY_HOST}:{settings.DIGITALPOST_SMTP_RELAY_PORT}: "
                         f"{exc}") from exc
    _record_mailed(invitation_id=invitation.pk, answer=answer, job=job)


@transaction.atomic(durable=True)
def _record_mailed(*, invitation_id: int, answer: str, job: Job) -> None:
    mark_invitation_mailed(invitation_id=invitation_id, relay_answer=answer)
    finish_job(job)
