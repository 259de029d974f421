"""The activity half of the snapshot: refused replies, inquiries waiting for an answer, receivers' failures, probes.

Read from what the hub recorded as it worked: inquiries still ACCEPTED (not handed over), their FORWARD jobs'
errors and dead letters, MESSAGE_AVAILABLE events for REST pull, RefusedReply rows, threads without a later
reply, and the latest ProbeResult per mailbox. Not for: the configuration (setup.py) or judging any of it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, DateTimeField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from digitalpost.authorities.models import Authority
from digitalpost.conversations.models import LegacyCryptoReply
from digitalpost.core.lifecycle import EventKind
from digitalpost.doctor.checks.snapshot import (
    REFUSAL_WINDOW_DAYS,
    LegacyCryptoGroup,
    ProbeInfo,
    RefusalGroup,
    WaitingInquiry,
)
from digitalpost.doctor.models import ProbeResult
from digitalpost.messages.models import Event, Message, RefusedReply, Thread
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import backoff
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress, SenderSystem

PULL_CHANNEL = "rest-pull"  # delivery.channels.rest_pull.PULL_CHANNEL (the doctor reads its events)
NOT_TRIED = "has no active receiver system"  # delivery.channels.secure_address: postponed, nothing was sent
_SMTP_REFUSAL = re.compile(r"\((\d{3}), '([^']*)'(?:, '([^']*)')?\)")
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def plain_error(text: str) -> str:
    """A hand-over error as people read it: "550 5.1.1 User unknown (borgerservice@…)" rather than a repr."""
    text = text.strip()
    for prefix in ("postponed: ",):
        text = text.removeprefix(prefix)
    found = _SMTP_REFUSAL.search(text)
    if found is None:
        return text[:500]
    code, answer, recipient = found.groups()
    return f"{code} {answer}" + (f" ({recipient})" if recipient else "")


@dataclass
class _ReceiverActivity:
    waiting: int = 0
    oldest: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    dead: int = 0
    dead_since: datetime | None = None
    dead_error: str = ""
    dead_at: datetime | None = None

    def wait(self, since: datetime) -> None:
        self.waiting += 1
        self.oldest = since if self.oldest is None else min(self.oldest, since)

    def error(self, text: str, at: datetime) -> None:
        if NOT_TRIED in text:
            return  # postponed without trying (the receiver is switched off): not this receiver's error
        if text and (self.last_error_at is None or at >= self.last_error_at):
            self.last_error, self.last_error_at = plain_error(text), at

    def gave_up(self, text: str, at: datetime) -> None:
        self.dead += 1
        self.dead_since = at if self.dead_since is None else min(self.dead_since, at)
        if self.dead_at is None or at >= self.dead_at:
            self.dead_error, self.dead_at = plain_error(text), at

    def fields(self) -> dict[str, Any]:
        return {"waiting_inquiries": self.waiting, "oldest_waiting_since": self.oldest,
                "last_error": self.last_error, "last_error_at": self.last_error_at,
                "dead_inquiries": self.dead, "dead_since": self.dead_since, "dead_error": self.dead_error}


def _receiver_activity(authority: Authority) -> dict[str, dict[str, Any]]:
    """Per receiver: the inquiries not yet handed over to it, its last hand-over error, its dead letters."""
    waiting = list(
        Message.objects.filter(authority=authority, direction=Message.Direction.TO_AUTHORITY,
                               state=Message.State.ACCEPTED)
        .values_list("id", "accepted_at", "thread__authority_mailbox__receiver_system_id")
    )
    ids = [message_id for message_id, _, _ in waiting]
    # A REST pull receiver has been offered the message (MESSAGE_AVAILABLE): it is that receiver's to fetch,
    # since the moment it was offered, even if the mailbox was pointed elsewhere afterwards.
    offered = {
        message_id: (data.get("receiver"), at)
        for message_id, data, at in Event.objects.filter(message_id__in=ids, kind=EventKind.MESSAGE_AVAILABLE)
        .order_by("seq").values_list("message_id", "data", "at")
        if data.get("channel") == PULL_CHANNEL
    }
    receiver_of: dict[str, str] = {}
    activity: dict[str, _ReceiverActivity] = defaultdict(_ReceiverActivity)
    for message_id, accepted_at, receiver_id in waiting:
        receiver, since = offered.get(message_id, (str(receiver_id) if receiver_id else None, accepted_at))
        if receiver is None:
            continue  # no receiver at all: the set-up checks report the mailbox
        receiver_of[str(message_id)] = receiver
        activity[receiver].wait(since)
    jobs = Job.objects.filter(kind=WorkKind.FORWARD, payload__message__in=list(receiver_of)).exclude(
        state=Job.State.DONE)
    for job in jobs:
        receiver = receiver_of[str(job.payload["message"])]
        if job.state == Job.State.DEAD:
            activity[receiver].gave_up(job.last_error, job.done_at or job.created_at)
        elif job.last_error:
            # reschedule() sets run_after = the failed attempt + backoff(attempts): that attempt's time.
            activity[receiver].error(job.last_error, job.run_after - backoff(job.attempts))
    # Once deactivated, retries are postponed without trying, so the cause may survive only in the alert the
    # hub put on the timeline (RECEIVER_DEACTIVATED, with the reason).
    switched_off = {str(pk) for pk in ReceiverSystem.objects.filter(authority=authority, is_active=False)
                    .values_list("pk", flat=True)}
    events = (Event.objects.filter(message__authority=authority, kind=EventKind.RECEIVER_DEACTIVATED)
              .order_by("-at").values_list("data", "at")) if switched_off else []
    for data, at in events:
        receiver = str(data.get("receiver", ""))
        if receiver in switched_off and not activity[receiver].last_error:
            activity[receiver].error(str(data.get("reason", "")), at)
    return {receiver: found.fields() for receiver, found in activity.items()}


def _addresses_of(authority: Authority) -> tuple[set[str], set[str]]:
    """The organisation's own e-mail addresses (secure addresses, certificates) and their domains."""
    addresses = {email.lower() for email in SecureAddress.objects.filter(authority=authority)
                 .values_list("email", flat=True)}
    for emails in Certificate.objects.filter(authority=authority).values_list("emails", flat=True):
        addresses.update(str(email).lower() for email in emails or ())
    return addresses, {address.rpartition("@")[2] for address in addresses if "@" in address}


def _sender_system_id(row: RefusedReply, systems: list[SenderSystem]) -> str | None:
    """The organisation's sender system a refused reply came from, when the refusal names it."""
    if row.sender_system_id is not None:  # a REST reply: the API token named the system
        return str(row.sender_system_id) if any(s.pk == row.sender_system_id for s in systems) else None
    if row.signer_subject:
        found = [s for s in systems if s.certificate is not None and s.certificate.subject == row.signer_subject]
    else:
        # Refused before the signer was settled: the detail names the system (not the standard one) or the
        # certificate ("<subject> valid until …", expired).
        found = [s for s in systems if s.name == row.detail or (
            s.certificate is not None and row.detail.startswith(f"{s.certificate.subject} valid until"))]
    found.sort(key=lambda s: (not s.is_standard, s.name))
    return str(found[0].pk) if found else None


def _refusals(authority: Authority, now: datetime) -> tuple[RefusalGroup, ...]:
    since = now - timedelta(days=REFUSAL_WINDOW_DAYS)
    rows = list(RefusedReply.objects.filter(received_at__gte=since, received_at__lte=now)
                .filter(Q(authority=authority) | Q(authority__isnull=True)).order_by("received_at"))
    if not rows:
        return ()
    addresses, domains = _addresses_of(authority)
    systems = list(SenderSystem.objects.filter(authority=authority).select_related("certificate"))
    counts: Counter[tuple[str, str, str | None, str]] = Counter()
    last: dict[tuple[str, str, str | None, str], datetime] = {}
    for row in rows:
        address = row.sender_address.strip().lower()
        if row.authority_id is None and not (address in addresses or address.rpartition("@")[2] in domains):
            # The gateway could not tell whose reply it was (unknown, expired or non-standard signer):
            # it is this organisation's when it came from one of its addresses or domains.
            continue
        key = (row.code, address or row.signer_subject, _sender_system_id(row, systems), row.channel)
        counts[key] += 1
        last[key] = row.received_at
    return tuple(
        RefusalGroup(code=code, sender=sender, count=count, last_at=last[(code, sender, system_id, channel)],
                     sender_system_id=system_id, channel=channel)
        for (code, sender, system_id, channel), count in sorted(counts.items(),
                                                                key=lambda item: (item[0][0], item[0][1]))
    )


def _legacy_crypto(authority: Authority, now: datetime) -> tuple[LegacyCryptoGroup, ...]:
    since = now - timedelta(days=REFUSAL_WINDOW_DAYS)
    rows = (LegacyCryptoReply.objects.filter(authority=authority, received_at__gte=since, received_at__lte=now)
            .values("kind", "sender_address", "sender_system_id")
            .annotate(count=Count("id"), last_at=Max("received_at"))
            .order_by("kind", "sender_address", "sender_system_id"))
    return tuple(
        LegacyCryptoGroup(kind=row["kind"], sender=row["sender_address"], count=row["count"], last_at=row["last_at"],
                          sender_system_id=str(row["sender_system_id"]) if row["sender_system_id"] else None)
        for row in rows
    )


def _waiting_inquiries(authority: Authority) -> tuple[WaitingInquiry, ...]:
    """Open conversations whose latest inquiries have no later reply: since the first inquiry after it."""
    last_reply = (Message.objects.filter(thread=OuterRef("pk"), direction=Message.Direction.TO_PARTY)
                  .exclude(state=Message.State.RECALLED).order_by("-accepted_at").values("accepted_at")[:1])
    threads = Thread.objects.filter(authority=authority, handled_at__isnull=True).annotate(
        answered_until=Coalesce(Subquery(last_reply), Value(_NEVER), output_field=DateTimeField()))
    first_unanswered = (Message.objects.filter(thread=OuterRef("pk"), direction=Message.Direction.TO_AUTHORITY,
                                               accepted_at__gt=OuterRef("answered_until"))
                        .order_by("accepted_at").values("accepted_at")[:1])
    found = (threads.annotate(waiting_since=Subquery(first_unanswered)).filter(waiting_since__isnull=False)
             .order_by("waiting_since").values_list("id", "authority_mailbox_id", "subject", "waiting_since"))
    return tuple(WaitingInquiry(thread_id=str(thread_id), mailbox_id=str(mailbox_id), subject=subject,
                                received_at=since) for thread_id, mailbox_id, subject, since in found)


def _probes(authority: Authority) -> tuple[ProbeInfo, ...]:
    latest: dict[str, ProbeResult] = {}
    for probe in ProbeResult.objects.filter(authority=authority, mailbox__isnull=False).order_by("-started_at", "-pk"):
        latest.setdefault(str(probe.mailbox_id), probe)
    return tuple(
        ProbeInfo(mailbox_id=mailbox_id, at=probe.finished_at or probe.started_at,
                  ok=probe.outcome == ProbeResult.Outcome.OK, detail=probe.detail, outcome=probe.outcome,
                  route=probe.route)
        for mailbox_id, probe in sorted(latest.items())
    )


def gather_activity(authority: Authority, now: datetime) -> dict[str, Any]:
    # "receiver_activity": {receiver id: {ReceiverSystemInfo field: value}} is merged into the set-up's receivers.
    return {
        "refusals": _refusals(authority, now),
        "legacy_crypto": _legacy_crypto(authority, now),
        "waiting_inquiries": _waiting_inquiries(authority),
        "probes": _probes(authority),
        "receiver_activity": _receiver_activity(authority),
    }
