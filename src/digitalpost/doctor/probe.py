"""The probe: a synthetic inquiry sent through each open mailbox's real route, and a look at the way back.

Per receiver kind:

- secure address: a real inquiry mail (text, `dkalmetadata.xml`, `dkaldialogtraad.xml`), signed by the hub and
  encrypted to the address' certificate, marked "[digitalpost probe]" in subject and body and in an
  `X-DigitalPost-Probe` header, handed to the relay like every forward. SMTP 250 → OK; a refusal ("550 user
  unknown"), a timeout or a certificate the hub cannot encrypt to → FAILED with the answer.
- REST push: a MeMo marked the same way POSTed to the endpoint with the usual signature headers; 2xx → OK.

Both are prepared and sent by the receiver's own channel (delivery.forward.channel_for), from a synthetic
`OutgoingInquiry` that is never stored: the same code as every real forward, minus the recording.
- REST pull: nothing is queued (a synthetic inquiry would reach the case system as a real one); a pull system
  is judged by its fetching: inquiries waiting longer than DIGITALPOST_PROBE_PULL_HOURS (default 24) → FAILED.

The way back: the standard sender system must be able to sign a reply now (certificate valid for signing and
chaining to the hub's trust anchors). The hub holds no private key of the authority, so it checks the
certificate replies will be verified against; it cannot sign a test reply itself. If the way back is broken
the probe FAILS even when the inquiry got through: the citizen would never get an answer.

The probe creates no Thread or Message (nothing a caseworker sees, nothing statistics count); the thread token
it carries says "no reply" and names no existing conversation. Every run is one ProbeResult row, which the
doctor's checks read (latest per mailbox). Not for: deciding severities (the checks do).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.conversations.tokens import issue_thread_token
from digitalpost.core.errors import DigitalPostError
from digitalpost.delivery.channels.base import PROBE_HEADER, ForwardPostponed
from digitalpost.delivery.channels.receivers import OutgoingInquiry, ReceiverChannel, letter_files
from digitalpost.delivery.channels.rest_pull import list_available_messages
from digitalpost.delivery.forward import channel_for
from digitalpost.doctor.models import ProbeResult
from digitalpost.hub.keys import trust_anchors
from digitalpost.protocols import mail, memo, smime
from digitalpost.protocols.threads import ReplyRule
from digitalpost.systems.models import ReceiverSystem, SenderSystem

__all__ = ["PROBE_HEADER", "PROBE_TAG", "is_probe_due", "probe_mailbox", "probe_mailboxes"]

PROBE_TAG = "[digitalpost probe]"
PROBE_SENDER_NAME = "digitalpost probe"
PROBE_TEXT = f"""\
{PROBE_TAG}
Dette er en automatisk testhenvendelse fra Digital Post-hubben. Den viser, at henvendelser til
postkassen kan nå frem til jer. I skal ikke gøre noget og ikke svare; I kan slette den.

This is an automatic test inquiry from the Digital Post hub. It shows that inquiries to the mailbox
reach you. No action and no reply is needed; you may delete it.
"""
NO_ROUTE = "NONE"


@dataclass(frozen=True)
class Verdict:
    outcome: ProbeResult.Outcome
    detail: str


def _pull_limit() -> timedelta:
    return timedelta(hours=float(getattr(settings, "DIGITALPOST_PROBE_PULL_HOURS", 24)))


def list_probe_targets(*, authority: Authority | None = None, mailbox_id: str | None = None) -> list[AuthorityMailbox]:
    """Open mailboxes (of one organisation, or all); with `mailbox_id`, that mailbox (LookupError if none)."""
    found: QuerySet[AuthorityMailbox] = AuthorityMailbox.objects.select_related(
        "authority", "parent", "receiver_system__secure_address__certificate")
    if authority is not None:
        found = found.filter(authority=authority)
    if mailbox_id is not None:
        try:
            wanted = uuid.UUID(mailbox_id)
        except ValueError:
            raise LookupError(f"no mailbox {mailbox_id}") from None
        one = found.filter(pk=wanted).first()
        if one is None:
            raise LookupError(f"no mailbox {mailbox_id}")
        return [one]
    return list(found.filter(is_open=True).order_by("authority__name", "name"))


def _mailbox_path(mailbox: AuthorityMailbox) -> str:
    names = [mailbox.name]
    parent = mailbox.parent
    while parent is not None:
        names.insert(0, parent.name)
        parent = parent.parent
    return " / ".join(names)


def probe_inquiry(mailbox: AuthorityMailbox, *, probe_id: uuid.UUID, now: datetime) -> OutgoingInquiry:
    """The synthetic inquiry: what a citizen's inquiry to `mailbox` looks like, marked as a test, never stored.

    Its thread token says "no reply" and names no conversation (the probe's own id).
    """
    authority = mailbox.authority
    at = now.replace(microsecond=0)
    path = _mailbox_path(mailbox)
    letter = memo.simple_message(
        sender_cvr=authority.cvr, sender_label=PROBE_SENDER_NAME, recipient_id=authority.cvr,
        recipient_id_type="CVR", label=f"{PROBE_TAG} {path}",
        files=[("probe.txt", "text/plain", PROBE_TEXT.encode())], message_uuid=str(probe_id), created=now,
    )
    meta = mail.InquiryMetadata(
        message_id=probe_id, created_at=at, sender_type=mail.IdentityType.CVR, sender_number=authority.cvr,
        sender_name=PROBE_SENDER_NAME, authority_cvr=authority.cvr, mailbox_id=mailbox.pk,
        mailbox_name=path, thread_id=probe_id, reply_rule=ReplyRule.NO_REPLY,
    )
    token = issue_thread_token(thread_id=probe_id, authority_cvr=authority.cvr, mailbox_id=mailbox.pk,
                               may_reply=False, issued_at=at)
    return OutgoingInquiry(message_id=probe_id, message_uuid=str(probe_id), created_at=at, meta=meta,
                           subject_text=f"{PROBE_TAG} {path}: test – ingen handling / no action needed",
                           thread_token=token, files=tuple(letter_files(letter)), read_letter=lambda: letter,
                           probe=True)


def _probe_send(channel: ReceiverChannel[Any], inquiry: OutgoingInquiry, now: datetime) -> Verdict:
    """Send the synthetic inquiry through the receiver's own channel; its answer is the verdict."""
    where = channel.target
    problem = channel.unusable_because(now)
    if problem is not None:
        return Verdict(ProbeResult.Outcome.FAILED, f"not sent: {problem}")
    try:
        sent = channel.send(channel.prepare(inquiry))
    except ForwardPostponed as exc:
        if exc.answer:
            return Verdict(ProbeResult.Outcome.FAILED, f"{where} refused the test inquiry: {exc.answer}")
        return Verdict(ProbeResult.Outcome.FAILED, f"{where} did not answer: {exc.shown or exc.__cause__ or exc}")
    return Verdict(ProbeResult.Outcome.OK, f"{where} accepted the test inquiry: {channel.acceptance(sent)}".strip())


def _probe_pull(receiver: ReceiverSystem, now: datetime) -> Verdict:
    waiting = list_available_messages(receiver, limit=500)
    limit = _pull_limit()
    hours = int(limit.total_seconds() // 3600)
    if not waiting:
        return Verdict(ProbeResult.Outcome.OK, f"pull system {receiver.name}: nothing waiting to be fetched")
    oldest = min(m.accepted_at for m in waiting)
    age_hours = int((now - oldest).total_seconds() // 3600)
    described = (f"pull system {receiver.name}: {len(waiting)} inquiries waiting to be fetched, the oldest since "
                 f"{oldest:%Y-%m-%d %H:%M} UTC ({age_hours} hours; the limit is {hours} hours)")
    if now - oldest > limit:
        return Verdict(ProbeResult.Outcome.FAILED, described)
    return Verdict(ProbeResult.Outcome.OK, described)


def reply_path_problem(authority: Authority, *, now: datetime) -> str | None:
    """Why a reply could not come back now (the standard sender system cannot sign), or None when it can."""
    system = (SenderSystem.objects.select_related("certificate")
              .filter(authority=authority, is_standard=True).first())
    if system is None:
        return "the organisation has no standard sender system, so replies sent as secure mail are refused"
    if not system.is_active:
        return f"the standard sender system {system.name} is deactivated"
    if system.certificate is None:
        return f"the standard sender system {system.name} has no certificate to sign replies with"
    certificate = smime.load_certificate(system.certificate.pem.encode())
    try:
        anchors = trust_anchors()
    except DigitalPostError as unreadable:
        return f"the hub cannot check the standard sender system's certificate: {unreadable.text}"
    problems = smime.check_certificate(certificate, purpose=smime.Purpose.EMAIL_SIGNING,
                                       trust_anchors=anchors, at=now)
    if problems:
        return (f"the certificate of the standard sender system {system.name} cannot sign replies ("
                + "; ".join(f"{p.code}: {p.text}" for p in problems) + ")")
    return None


def _route_verdict(mailbox: AuthorityMailbox, probe_id: uuid.UUID, now: datetime) -> Verdict:
    receiver = mailbox.receiver_system
    if receiver is None:
        return Verdict(ProbeResult.Outcome.FAILED, "not sent: the mailbox has no receiver system")
    if not receiver.is_active:
        since = f" since {receiver.deactivated_at:%Y-%m-%d}" if receiver.deactivated_at else ""
        return Verdict(ProbeResult.Outcome.FAILED, f"not sent: receiver system {receiver.name} is deactivated{since}")
    channel = channel_for(receiver)
    if not channel.sends_probes:
        return _probe_pull(receiver, now)
    return _probe_send(channel, probe_inquiry(mailbox, probe_id=probe_id, now=now), now)


def probe_mailbox(mailbox: AuthorityMailbox, *, now: datetime | None = None) -> ProbeResult:
    """Probe one mailbox's route there and back, and record the result (one INSERT after the network work)."""
    now = now or timezone.now()
    started = time.monotonic()
    probe_id = uuid.uuid4()
    verdict = _route_verdict(mailbox, probe_id, now)
    reply = reply_path_problem(mailbox.authority, now=now)
    if reply is not None:
        detail = f"no reply can come back: {reply}. Inquiry: {verdict.detail}"
        verdict = Verdict(ProbeResult.Outcome.FAILED, detail)
    else:
        verdict = Verdict(verdict.outcome, f"{verdict.detail}. Reply: the standard sender system can sign")
    receiver = mailbox.receiver_system
    return ProbeResult.objects.create(
        authority=mailbox.authority, mailbox=mailbox, mailbox_name=_mailbox_path(mailbox)[:500],
        route=receiver.kind if receiver is not None else NO_ROUTE, started_at=now,
        finished_at=now + timedelta(seconds=time.monotonic() - started), outcome=verdict.outcome,
        detail=verdict.detail,
    )


def probe_mailboxes(*, authority: Authority | None = None, mailbox_id: str | None = None,
                    now: datetime | None = None) -> list[ProbeResult]:
    """Probe every open mailbox (of one organisation), or the one named; each result recorded."""
    return [probe_mailbox(mailbox, now=now) for mailbox in list_probe_targets(authority=authority,
                                                                                mailbox_id=mailbox_id)]


def is_probe_due(every: timedelta, *, now: datetime | None = None) -> bool:
    """The scheduler's question: no probe has run within `every` (kept in the database, so restarts count)."""
    now = now or timezone.now()
    return not ProbeResult.objects.filter(started_at__gt=now - every).exists()
