"""Receiver systems that do not take the inquiries the hub hands them, and probes of a mailbox's route that failed.

A receiver is where citizens' inquiries leave the hub for the authority (secure address, REST push, REST pull).
While it fails nothing is lost — the inquiries wait in the hub — but nobody at the authority sees them, so the
citizen waits for an answer that cannot come. Not for: mailboxes with no receiver or a deleted one (mailboxes.py
says that from the set-up); here it is what the receivers actually did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import OrgSnapshot, ProbeInfo, ReceiverSystemInfo

FAILING_CRITICAL_AFTER = timedelta(days=1)  # a failure for a few minutes is a hiccup, a day is an outage
PULL_FETCH_LIMIT = timedelta(hours=24)  # a pull system should fetch at least daily (a nightly batch included)
PULL_CRITICAL_AFTER = timedelta(days=3)
PROBE_WAITING_LIMIT = timedelta(hours=24)  # a probe handed to a pull system should be fetched within this

FIX_RECEIVER = "Portal → Receiver systems"


def _subject(receiver: ReceiverSystemInfo) -> Subject:
    return Subject(SubjectKind.RECEIVER_SYSTEM, receiver.id, receiver.name)


def _label(org: OrgSnapshot, receiver: ReceiverSystemInfo) -> str:
    address = org.secure_address(receiver.secure_address_id)
    if address is not None and address.email not in receiver.name:
        return f"receiver system {receiver.name} ({address.email})"
    return f"receiver system {receiver.name}"


def _mailboxes(org: OrgSnapshot, receiver: ReceiverSystemInfo) -> list[str]:
    return [m.name for m in org.mailboxes if m.receiver_system_id == receiver.id]


def _for_mailboxes(names: list[str]) -> str:
    if not names:
        return "Inquiries"
    return "Inquiries to " + ", ".join(f"“{name}”" for name in names)


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _error_facts(receiver: ReceiverSystemInfo) -> dict[str, str | int]:
    facts: dict[str, str | int] = {"waitingInquiries": receiver.waiting_inquiries, "lastError": receiver.last_error}
    if receiver.last_error_at is not None:
        facts["lastErrorAt"] = receiver.last_error_at.isoformat()
    if receiver.oldest_waiting_since is not None:
        facts["oldestWaitingSince"] = receiver.oldest_waiting_since.isoformat()
    return facts


def _last_error(receiver: ReceiverSystemInfo) -> str:
    return f" The last error was: {receiver.last_error}." if receiver.last_error else ""


@register("receiver.failing", "receiver.deactivated", "receiver.pull.unfetched", "receiver.dead.letters")
def failing_receivers(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for receiver in org.receiver_systems:
        yield from _failing(org, receiver, now)
        yield from _deactivated(org, receiver)
        yield from _unfetched(org, receiver, now)
        yield from _dead_letters(org, receiver)


def _failing(org: OrgSnapshot, receiver: ReceiverSystemInfo, now: datetime) -> Iterator[Finding]:
    if not receiver.is_active or receiver.failing_since is None:
        return
    failing_for = now - receiver.failing_since
    critical = failing_for >= FAILING_CRITICAL_AFTER
    waiting = receiver.waiting_inquiries
    yield Finding(
        code="receiver.failing", severity=Severity.CRITICAL if critical else Severity.WARNING,
        subject=_subject(receiver),
        why=(f"{_for_mailboxes(_mailboxes(org, receiver))} cannot be handed over to the {_label(org, receiver)}: "
             f"it has failed since {_when(receiver.failing_since)}.{_last_error(receiver)} {waiting} "
             f"{'inquiry waits' if waiting == 1 else 'inquiries wait'} in the hub, unseen by the organisation; if "
             "the failures go on, the hub deactivates the receiver."),
        fix=(f"Make the receiving end accept mail again (for a secure address: the authority's mail server and "
             f"the mailbox behind it; for REST push: the endpoint), then check the receiver under {FIX_RECEIVER}. "
             "Waiting inquiries are handed over automatically once it works."),
        facts={"failingSince": receiver.failing_since.isoformat(), "hoursFailing": _hours(failing_for),
               **_error_facts(receiver)},
    )


def _deactivated(org: OrgSnapshot, receiver: ReceiverSystemInfo) -> Iterator[Finding]:
    mailboxes = _mailboxes(org, receiver)
    if receiver.is_active or not (mailboxes or receiver.waiting_inquiries):
        return  # a switched-off receiver nothing points at and nothing waits for harms nobody
    since = (f" after failing since {_when(receiver.failing_since)}"
             if receiver.failing_since is not None and receiver.deactivated_at is not None else "")
    when = f" on {_when(receiver.deactivated_at)}" if receiver.deactivated_at is not None else ""
    waiting = receiver.waiting_inquiries
    facts = _error_facts(receiver) | {"mailboxes": len(mailboxes)}
    if receiver.deactivated_at is not None:
        facts["deactivatedAt"] = receiver.deactivated_at.isoformat()
    if receiver.failing_since is not None:
        facts["failingSince"] = receiver.failing_since.isoformat()
    yield Finding(
        code="receiver.deactivated", severity=Severity.CRITICAL, subject=_subject(receiver), stage="deactivated",
        why=(f"The {_label(org, receiver)} was deactivated{when}{since}."
             f"{_last_error(receiver)} {_for_mailboxes(mailboxes)} are no longer handed over to anyone: "
             f"{waiting} {'inquiry waits' if waiting == 1 else 'inquiries wait'} in the hub."),
        fix=(f"Repair the receiving end, then reactivate the receiver under {FIX_RECEIVER} (or point the "
             "mailboxes at a working receiver under Portal → Mailboxes); waiting inquiries are then handed over."),
        facts=facts,
    )


def _unfetched(org: OrgSnapshot, receiver: ReceiverSystemInfo, now: datetime) -> Iterator[Finding]:
    if (receiver.kind != "REST_PULL" or not receiver.is_active or not receiver.waiting_inquiries
            or receiver.oldest_waiting_since is None):
        return
    waited = now - receiver.oldest_waiting_since
    if waited < PULL_FETCH_LIMIT:
        return
    waiting = receiver.waiting_inquiries
    yield Finding(
        code="receiver.pull.unfetched",
        severity=Severity.CRITICAL if waited >= PULL_CRITICAL_AFTER else Severity.WARNING,
        subject=_subject(receiver),
        why=(f"{waiting} {'inquiry has' if waiting == 1 else 'inquiries have'} waited for the pull system "
             f"{receiver.name} to fetch and acknowledge {'it' if waiting == 1 else 'them'}, the oldest since "
             f"{_when(receiver.oldest_waiting_since)} ({_hours(waited)} hours): nobody at the organisation has seen "
             f"{'it' if waiting == 1 else 'them'}."),
        fix=("Check that the receiving system runs and fetches from /apis/v1/receiving/memos with its current token, "
             "and that it acknowledges each message (business receipt or DELETE). Rotate the token under "
             f"{FIX_RECEIVER} if it was lost."),
        facts={"waitingInquiries": waiting, "oldestWaitingSince": receiver.oldest_waiting_since.isoformat(),
               "hoursWaiting": _hours(waited)},
    )


def _dead_letters(org: OrgSnapshot, receiver: ReceiverSystemInfo) -> Iterator[Finding]:
    if not receiver.dead_inquiries:
        return
    count = receiver.dead_inquiries
    facts: dict[str, str | int] = {"deadInquiries": count, "error": receiver.dead_error}
    if receiver.dead_since is not None:
        facts["deadSince"] = receiver.dead_since.isoformat()
    yield Finding(
        code="receiver.dead.letters", severity=Severity.CRITICAL, subject=_subject(receiver),
        why=(f"The hub gave up handing {count} {'inquiry' if count == 1 else 'inquiries'} over to the "
             f"{_label(org, receiver)} and will not try again: nobody at the organisation sees "
             f"{'it' if count == 1 else 'them'} unless someone acts."
             + (f" The last error was: {receiver.dead_error}." if receiver.dead_error else "")),
        fix=("Answer the inquiries from Portal → Inquiries now; fix the cause (often the secure address's "
             f"certificate under {FIX_RECEIVER}) and ask the platform operator to queue them again."),
        facts=facts,
    )


def _probe_subject(org: OrgSnapshot, probe: ProbeInfo) -> Subject | None:
    mailbox = org.mailbox(probe.mailbox_id)
    if mailbox is None or not mailbox.is_open:
        return None  # a probe of a mailbox since closed or removed says nothing about today
    return Subject(SubjectKind.MAILBOX, mailbox.id, mailbox.name)


@register("probe.failed")
def failed_probes(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for probe in org.probes:
        subject = _probe_subject(org, probe)
        outcome = probe.outcome or ("OK" if probe.ok else "FAILED")
        if subject is None or outcome == "OK":
            continue
        route = f" ({probe.route})" if probe.route else ""
        facts: dict[str, str | int] = {"probedAt": probe.at.isoformat(), "outcome": outcome, "detail": probe.detail,
                                       "route": probe.route}
        if outcome == "WAITING":
            if now - probe.at < PROBE_WAITING_LIMIT:
                continue
            yield Finding(
                code="probe.failed", severity=Severity.WARNING, subject=subject, stage="waiting",
                why=(f"The test inquiry sent through “{subject.name}”{route} on {_when(probe.at)} has not been "
                     "fetched by the receiving system: real inquiries to this mailbox are probably not read either."),
                fix=("Check that the receiving system fetches and acknowledges its messages (Portal → Receiver "
                     "systems), then run the probe again: `digitalpost probe --mailbox " + subject.id + "`."),
                facts=facts,
            )
            continue
        yield Finding(
            code="probe.failed", severity=Severity.CRITICAL, subject=subject, stage="failed",
            why=(f"The test inquiry sent through “{subject.name}”{route} on {_when(probe.at)} did not arrive"
                 + (f": {probe.detail}" if probe.detail else "")
                 + ". Citizens' inquiries to this mailbox fail the same way."),
            fix=("Open the mailbox's receiver (Portal → Mailboxes → the mailbox → its receiver system), repair what "
                 "the probe reports, then run the probe again: `digitalpost probe --mailbox " + subject.id + "`."),
            facts=facts,
        )
