"""Accepting a group of MeMos from one sender system at once (a mass send reads its archive in groups).

Each item passes exactly the rules of `ingest.accept_memo` — parse, replay or conflict by messageUUID, the
service rules, who may write to whom, digital or print, the answer mailbox — and a bad item gets its own
refusal without touching the others. What changes is how the group reads and writes: the earlier acceptances
of the group's messageUUIDs, its recipients and its authorities are read in one query each, and the accepted
items are written with one multi-row INSERT per table (messages, their first events, receipts, delivery jobs)
in one durable transaction, together with whatever the caller records for them (`on_recorded`: a mass send's
item receipts and progress). Nothing is acknowledged before that transaction commits (decision 0017).

If the transaction fails as a whole — another submission of one of its messageUUIDs won a race — nothing of
the group is written and `accept_memos` raises; the caller accepts the items one by one with `accept_memo`,
which sorts such a race out per item. Single submissions use the same rows: `ingest.accept_memo` plans its own
(`plan_acceptance`) and group commit writes those of one batch together (`write_acceptances`, decision 0024).
Not for: the archive (bulk).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import ErrorCode
from digitalpost.core.ids import time_ordered_uuid
from digitalpost.core.kombi import Channel, Kombi
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.core.parties import IdType
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.group_commit import commit_write
from digitalpost.hub.metrics import MESSAGES_ACCEPTED
from digitalpost.hub.rows import PreparedRows, insert_many
from digitalpost.messages.models import Event, Message, Receipt
from digitalpost.messages.selectors import find_accepted_digests
from digitalpost.messages.services.documents import document_parts
from digitalpost.messages.services.events import opening_events
from digitalpost.messages.services.ingest import (
    Acceptance,
    MemoRefused,
    Parties,
    answer_mailbox_of,
    check_submission,
    delivery_time,
    message_row,
    parse_submission,
)
from digitalpost.messages.services.pushes import queue_pushes_of_events
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import add_jobs, job_rows
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import Addressee, find_addressees
from digitalpost.systems.models import SenderSystem

log = logging.getLogger(__name__)

Outcome = Acceptance | Exception  # an item's acceptance, or why not (MemoRefused; anything else is a bug)


@dataclass(frozen=True)
class Submission:
    body: bytes
    received: dict[str, str] = field(default_factory=dict)  # extra data of the received event (mass send, item)


class GroupParties(Parties):
    """The recipients and authorities a group names, read in one query per kind before its rules run."""

    def __init__(self, messages: Sequence[memo.Message]) -> None:
        numbers: dict[Contact.Kind, set[str]] = {Contact.Kind.CITIZEN: set(), Contact.Kind.COMPANY: set()}
        for message in messages:
            recipient = message.header.recipient
            if recipient.id_type == IdType.CPR:
                numbers[Contact.Kind.CITIZEN].add(recipient.recipient_id)
            elif recipient.id_type == IdType.CVR:
                numbers[Contact.Kind.COMPANY].add(recipient.recipient_id)
        self._addressees = {kind: find_addressees(kind, wanted) for kind, wanted in numbers.items()}
        cvrs = numbers[Contact.Kind.COMPANY]
        self._authorities = set(Authority.objects.filter(cvr__in=cvrs).values_list("cvr", flat=True)) if cvrs else set()

    def addressee(self, kind: Contact.Kind, number: str) -> Addressee | None:
        return self._addressees.get(kind, {}).get(number)

    def is_authority(self, cvr: str) -> bool:
        return cvr in self._authorities


@dataclass
class _Fresh:
    """An item that passed every rule: what its rows are made of."""

    index: int
    message: memo.Message
    message_uuid: uuid.UUID
    digest: str
    size: int
    pending: bytes | None
    parts: list[dict[str, Any]] | None  # where its documents lie in `pending`: delivery then parses it no more
    addressee: Addressee
    to_authority: bool
    channel: Channel
    answer_mailbox: AuthorityMailbox | None
    received: dict[str, str]


@dataclass
class _Parsed:
    index: int
    message: memo.Message
    message_uuid: uuid.UUID
    digest: str


def accept_memos(
    *, system: SenderSystem, submissions: Sequence[Submission], kombi: Kombi | None = None,
    deliver_kind: WorkKind = WorkKind.DELIVER_BULK, on_recorded: Callable[[list[Outcome]], None] | None = None,
) -> list[Outcome]:
    """Accept every MeMo of the group as `accept_memo` would, in order; each item's Acceptance or refusal.

    `on_recorded` gets the outcomes inside the transaction that records the group, for writes that must commit
    with it. Raises when that transaction fails (nothing of the group written): accept the items one by one.
    """
    outcomes: list[Outcome | None] = [None] * len(submissions)
    parsed = _parse_all(submissions, outcomes)
    checked = _check_all(system, submissions, parsed, kombi, outcomes)
    _store_large(submissions, checked.fresh)
    planned = _plan(system, checked.fresh, deliver_kind=deliver_kind)

    def write() -> list[Outcome]:
        acceptances = _write(planned)
        for accepted, acceptance in zip(checked.fresh, acceptances, strict=True):
            outcomes[accepted.index] = acceptance
        for index, first in checked.copies:
            original = outcomes[first.index]
            assert isinstance(original, Acceptance)
            outcomes[index] = Acceptance(message=original.message, receipt=original.receipt, replayed=True)
        done = [outcome for outcome in outcomes if outcome is not None]
        assert len(done) == len(outcomes)
        if on_recorded is not None:
            on_recorded(done)
        return done

    result = commit_write(write)
    if checked.fresh:
        lane = "bulk" if deliver_kind == WorkKind.DELIVER_BULK else "single"
        MESSAGES_ACCEPTED.labels(lane=lane).inc(len(checked.fresh))
    return result


def _parse_all(submissions: Sequence[Submission], outcomes: list[Outcome | None]) -> list[_Parsed]:
    """Every item parsed (a refusal goes into `outcomes`): what the group's look-ups ask about."""
    parsed = []
    for index, submission in enumerate(submissions):
        try:
            message = parse_submission(submission.body, None)
            parsed.append(_Parsed(index, message, uuid.UUID(message.header.message_uuid),
                                  hashlib.sha256(submission.body).hexdigest()))
        except Exception as exc:  # an item's own outcome (MemoRefused, or a bug), never the group's
            outcomes[index] = exc
    return parsed


@dataclass
class _Checked:
    fresh: list[_Fresh]  # new acceptances, in archive order
    copies: list[tuple[int, _Fresh]]  # an item the group holds twice: its index and its first copy's acceptance


def _check_all(system: SenderSystem, submissions: Sequence[Submission], parsed: list[_Parsed],
               kombi: Kombi | None, outcomes: list[Outcome | None]) -> _Checked:
    """Replay, conflict or the rules of a new submission for each parsed item, in archive order, as accept_memo
    decides them; replays and refusals go into `outcomes`."""
    authority = system.authority
    earlier = find_accepted_digests(authority.pk, [item.message_uuid for item in parsed])
    replays = _earlier_acceptances([found[0] for found in earlier.values()])
    parties = GroupParties([item.message for item in parsed])
    answer_mailboxes: dict[tuple[str, ...], AuthorityMailbox | None] = {}
    checked = _Checked(fresh=[], copies=[])
    first_in_group: dict[uuid.UUID, _Fresh] = {}
    for item in parsed:
        try:
            found = earlier.get(item.message_uuid)
            if found is not None:
                outcomes[item.index] = _replay(replays[found[0]], accepted_digest=found[1], digest=item.digest)
                continue
            first = first_in_group.get(item.message_uuid)
            if first is not None:  # the archive holds it twice: a replay of its first copy, or a conflict
                if first.digest != item.digest:
                    raise MemoRefused(ErrorCode.MEMO_UUID_CONFLICT,
                                      f"messageUUID {item.message_uuid} was accepted earlier in this group with "
                                      "other content", message_uuid=str(item.message_uuid))
                checked.copies.append((item.index, first))
                continue
            addressee, to_authority, channel = check_submission(system, item.message, kombi, parties=parties)
            body = submissions[item.index].body
            pending = body if len(body) <= settings.DIGITALPOST_JOURNAL_MAX_BYTES else None
            accepted = _Fresh(
                index=item.index, message=item.message, message_uuid=item.message_uuid, digest=item.digest,
                size=len(body), pending=pending,
                parts=document_parts(item.message, body) if pending is not None else None,
                addressee=addressee, to_authority=to_authority, channel=channel,
                answer_mailbox=_answer_mailbox(authority, item.message, answer_mailboxes),
                received=submissions[item.index].received,
            )
        except Exception as exc:  # an item's own outcome (MemoRefused, or a bug), never the group's
            outcomes[item.index] = exc
            continue
        checked.fresh.append(accepted)
        first_in_group[item.message_uuid] = accepted
    return checked


def _earlier_acceptances(message_ids: list[uuid.UUID]) -> dict[uuid.UUID, Acceptance]:
    """The acceptances (message and RECEIVED receipt) of messages accepted before: two queries for the group."""
    if not message_ids:
        return {}
    receipts = {r.message_id: r for r in Receipt.objects.filter(message_id__in=message_ids,
                                                                 status=ReceiptStatus.RECEIVED)}
    return {m.pk: Acceptance(message=m, receipt=receipts[m.pk], replayed=True)
            for m in Message.objects.filter(pk__in=message_ids)}


def _replay(acceptance: Acceptance, *, accepted_digest: str, digest: str) -> Acceptance:
    """The earlier acceptance for the same bytes; a conflict for other bytes (as ingest's replay check)."""
    if accepted_digest != digest:
        message = acceptance.message
        raise MemoRefused(
            ErrorCode.MEMO_UUID_CONFLICT,
            f"messageUUID {message.message_uuid} was accepted at {message.accepted_at.isoformat()} with other "
            "content",
            message_uuid=str(message.message_uuid),
        )
    return acceptance


def _answer_mailbox(authority: Authority, message: memo.Message,
                    known: dict[tuple[str, ...], AuthorityMailbox | None]) -> AuthorityMailbox | None:
    """`answer_mailbox_of`, asked once per contact point the group names (most items name the same or none)."""
    if not message.header.reply:
        return None
    contact_point = message.header.sender.contact_point
    key = (contact_point.contact_point_id,) if contact_point is not None else ()
    if key not in known:
        known[key] = answer_mailbox_of(authority, message)
    return known[key]


def _store_large(submissions: Sequence[Submission], fresh: list[_Fresh]) -> None:
    """Items too large to ride in their row go to the blob store now, made durable by one sync for the group."""
    large = [submissions[accepted.index].body for accepted in fresh if accepted.pending is None]
    if not large:
        return
    store = blob_store().write_behind()
    for body in large:
        store.put(body)
    store.sync()


@dataclass
class _Planned:
    """The rows of a group's new acceptances, built and converted before its transaction (decision 0017)."""

    messages: PreparedRows[Message]
    events: PreparedRows[Event]
    receipts: PreparedRows[Receipt]
    jobs: PreparedRows[Job]


def _plan(system: SenderSystem, fresh: list[_Fresh], *, deliver_kind: WorkKind) -> _Planned:
    """The same rows as ingest._record writes for each item: the message, MESSAGE_RECEIVED (the first link of its
    chain, with the mass send's `received` data), DELIVERY_POSTPONED when it waits, the RECEIVED receipt and its
    delivery job. Only their INSERTs are left for the transaction, so it holds the writer lock briefly."""
    now = timezone.now()
    rows, events, receipts, jobs = [], [], [], []
    for a in fresh:
        row = message_row(system=system, message=a.message, message_uuid=a.message_uuid, addressee=a.addressee,
                          to_authority=a.to_authority, digest=a.digest, size=a.size, pending=a.pending,
                          parts=a.parts, channel=a.channel, answer_mailbox=a.answer_mailbox, now=now)
        # Ids in time order: the rows of a group (and their events, receipts, jobs and item receipts, which refer
        # to them) land on the last pages of the id indexes instead of a page each (decision 0026).
        row.id, row.transmission_id = time_ordered_uuid(), time_ordered_uuid()
        rows.append(row)
        opening: list[tuple[EventKind, dict[str, Any]]] = [
            (EventKind.MESSAGE_RECEIVED, {"transmissionId": str(row.transmission_id), "channel": a.channel.value}
             | a.received)]
        run_after = delivery_time(a.message)
        if run_after is not None and run_after > now:
            opening.append((EventKind.DELIVERY_POSTPONED, {"until": run_after.isoformat()}))
        events += opening_events(row, opening, at=now)
        receipts.append(Receipt(message=row, sender_system=system, status=ReceiptStatus.RECEIVED, created_at=now))
        kind, prefix = (WorkKind.PRINT, "print") if a.channel is Channel.PRINT else (deliver_kind, "deliver")
        jobs.append((kind, f"{prefix}:{row.pk}", {"message": str(row.pk)}, run_after))
    # The four tables' rows share their moment (`now`): converted to the database's text once for all of them.
    converted: dict[Any, Any] = {}
    return _Planned(messages=PreparedRows(rows, converted=converted), events=PreparedRows(events, converted=converted),
                    receipts=PreparedRows(receipts, converted=converted),
                    jobs=job_rows(jobs, max_attempts=settings.DIGITALPOST_DELIVERY_MAX_ATTEMPTS, now=now,
                                  converted=converted))


def plan_acceptance(system: SenderSystem, *, message: memo.Message, message_uuid: uuid.UUID, digest: str,
                    size: int, pending: bytes | None, parts: list[dict[str, Any]] | None, addressee: Addressee,
                    to_authority: bool, channel: Channel, answer_mailbox: AuthorityMailbox | None,
                    received: dict[str, str] | None, deliver_kind: WorkKind) -> _Planned:
    """The rows of one acceptance that passed every rule (`ingest.accept_memo`), built in the request's thread;
    `write_acceptances` writes them, with those of the other requests of its group-commit batch."""
    fresh = _Fresh(index=0, message=message, message_uuid=message_uuid, digest=digest, size=size, pending=pending,
                   parts=parts, addressee=addressee, to_authority=to_authority, channel=channel,
                   answer_mailbox=answer_mailbox, received=received or {})
    return _plan(system, [fresh], deliver_kind=deliver_kind)


def write_acceptances(planned: list[_Planned]) -> list[Acceptance]:
    """The rows of several acceptances (`plan_acceptance`), one multi-row INSERT per table, inside the caller's
    transaction (a group-commit batch's, decision 0024); their acceptances in the same order."""
    if len(planned) == 1:
        return _write(planned[0])
    return _write(_Planned(messages=PreparedRows.joined([p.messages for p in planned]),
                           events=PreparedRows.joined([p.events for p in planned]),
                           receipts=PreparedRows.joined([p.receipts for p in planned]),
                           jobs=PreparedRows.joined([p.jobs for p in planned])))


def _write(planned: _Planned) -> list[Acceptance]:
    """The group's INSERTs, inside the caller's transaction; the acceptances in the group's order."""
    if not planned.messages:
        return []
    rows = insert_many(planned.messages)
    events = insert_many(planned.events)
    queue_pushes_of_events([(event.message, event) for event in events])  # in the order the events were written
    receipts = insert_many(planned.receipts)
    add_jobs(planned.jobs)
    return [Acceptance(message=row, receipt=receipt) for row, receipt in zip(rows, receipts, strict=True)]
