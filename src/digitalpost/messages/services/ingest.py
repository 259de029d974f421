"""Accepting a MeMo from a sender system: validate, decide, store, queue delivery — or refuse with a code.

Slow work (parsing, hashing, writing blobs) happens before the one short transaction that records the
message, its documents, its first event, its RECEIVED receipt and the delivery job. Replays of the same
messageUUID with the same bytes get the original receipt back; different bytes get a conflict.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.blobstore import BlobStore
from digitalpost.core import actions
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.kombi import Channel, Kombi, choose_channel
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.core.parties import IdType, PartyKind
from digitalpost.core.policy import check_may_write
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.group_commit import commit_merged, commit_write
from digitalpost.hub.metrics import MESSAGES_ACCEPTED
from digitalpost.hub.rows import insert
from digitalpost.messages.models import Message, Receipt
from digitalpost.messages.selectors import find_accepted_digest
from digitalpost.messages.services.documents import document_parts
from digitalpost.messages.services.events import append_event
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.services import add_job
from digitalpost.protocols import letters, memo
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import Addressee, find_addressee
from digitalpost.systems.models import SenderSystem

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
AUTHORITY_RULES = memo.ServiceRules()


class MemoRefused(DigitalPostError):
    """A refused submission: the code of the first problem, and every problem found."""

    def __init__(
        self, code: ErrorCode, detail: str = "", *, message_uuid: str | None = None,
        problems: tuple[memo.Problem, ...] = (),
    ) -> None:
        super().__init__(code, detail)
        self.message_uuid = message_uuid
        self.problems = problems


@dataclass(frozen=True)
class Acceptance:
    message: Message
    receipt: Receipt
    replayed: bool = False
    problems: tuple[memo.Problem, ...] = field(default=())


def accept_memo(
    *, system: SenderSystem, body: bytes, query_uuid: uuid.UUID | None = None, store: BlobStore | None = None,
    kombi: Kombi | None = None, deliver_kind: WorkKind = WorkKind.DELIVER, received: dict[str, str] | None = None,
    on_recorded: Callable[[Acceptance], None] | None = None,
) -> Acceptance:
    """Accept one MeMo sent by `system`, or raise MemoRefused saying exactly why not.

    `kombi` chooses digital or paper (core.kombi); None means the sender system's default. Mass sends pass
    `deliver_kind=WorkKind.DELIVER_BULK` (their own queue) and `received`, extra data for the received event
    (which mass send and item); a replay keeps the original event. `on_recorded` runs inside the transaction
    that records a new acceptance (not for a replay), for work that must commit with it (a receipt mail's job).
    """
    store = store or blob_store()
    digest = hashlib.sha256(body).hexdigest()
    authority = system.authority
    if query_uuid is not None and (replay := _replay(authority, query_uuid, digest)):
        return replay

    message = _parse(body, query_uuid)
    header = message.header
    message_uuid = uuid.UUID(header.message_uuid)
    if query_uuid is None and (replay := _replay(authority, message_uuid, digest)):
        return replay

    addressee, to_authority, channel = check_submission(system, message, kombi)
    answer_mailbox = answer_mailbox_of(authority, message)

    # Small messages ride in the row and reach the blob store through the worker (one fsync per batch
    # instead of one per file); large ones go to the blob store now. Documents are stored by the worker.
    pending = body if len(body) <= settings.DIGITALPOST_JOURNAL_MAX_BYTES else None
    if pending is None:
        store.put(body)
    parts = document_parts(message, body) if pending is not None else None  # delivery then parses it no more
    try:
        if on_recorded is None:
            # The rows are built here and written with those of the other acceptances of the group-commit batch,
            # one multi-row INSERT per table (decision 0024). group_ingest imports this module: looked up now.
            from digitalpost.messages.services import group_ingest

            planned = group_ingest.plan_acceptance(
                system, message=message, message_uuid=message_uuid, digest=digest, size=len(body), pending=pending,
                parts=parts, addressee=addressee, to_authority=to_authority, channel=channel,
                answer_mailbox=answer_mailbox, received=received, deliver_kind=deliver_kind,
            )
            acceptance = commit_merged(group_ingest.write_acceptances, planned)
        else:
            acceptance = commit_write(
                lambda: _record(
                    system=system, message=message, message_uuid=message_uuid, addressee=addressee,
                    to_authority=to_authority, digest=digest, size=len(body), pending=pending, parts=parts,
                    channel=channel, deliver_kind=deliver_kind, received=received, answer_mailbox=answer_mailbox,
                    on_recorded=on_recorded,
                )
            )
    except IntegrityError:
        # A concurrent submission of the same messageUUID won the race: replay or conflict with it.
        replay = _replay(authority, message_uuid, digest)
        if replay is None:
            raise
        return replay
    MESSAGES_ACCEPTED.labels(lane="bulk" if deliver_kind == WorkKind.DELIVER_BULK else "single").inc()
    return acceptance


class Parties:
    """Who a recipient is: read when asked (one submission). A group of submissions reads them all at once
    (group_ingest.GroupParties) and answers from what it read; the rules that use the answers are the same."""

    def addressee(self, kind: Contact.Kind, number: str) -> Addressee | None:
        return find_addressee(kind, number)

    def is_authority(self, cvr: str) -> bool:
        return Authority.objects.filter(cvr=cvr).exists()


ONE_BY_ONE = Parties()


def check_submission(
    system: SenderSystem, message: memo.Message, kombi: Kombi | None, *, parties: Parties = ONE_BY_ONE,
) -> tuple[Addressee, bool, Channel]:
    """The service rules, who may write to whom, and digital or print: what every MeMo from `system` must pass.

    Returns the addressee, whether it is an authority as a company, and the channel; raises MemoRefused. A REST
    reply filed in a conversation (conversations.services.rest_replies) passes the same checks.
    """
    problems = memo.validate(message, rules=AUTHORITY_RULES, today=timezone.localdate())
    if problems:
        first = problems[0]
        raise MemoRefused(first.code, memo.describe_problems(problems), message_uuid=message.header.message_uuid,
                          problems=tuple(problems))
    addressee, to_authority = _check_parties(system.authority, message, parties)
    return addressee, to_authority, _channel(message, addressee, kombi or Kombi(system.default_kombi))


def answer_mailbox_of(authority: Authority, message: memo.Message) -> AuthorityMailbox | None:
    """Where the party's answer to a letter with MeMo `reply` goes; None for a letter that takes no answer.

    The contact point the MeMo names (Sender/ContactPoint/contactPointID, one of the authority's mailbox ids),
    else the authority's standard mailbox; with neither the letter takes no answer (docs/replies.md).
    """
    if not message.header.reply:
        return None
    contact_point = message.header.sender.contact_point
    if contact_point is not None:
        try:
            named = uuid.UUID(contact_point.contact_point_id.strip())
        except ValueError:
            named = None
        found = AuthorityMailbox.objects.filter(authority=authority, pk=named).first() if named else None
        if found is not None:
            return found
    return AuthorityMailbox.objects.filter(authority=authority, is_standard=True).first()


def parse_submission(body: bytes, query_uuid: uuid.UUID | None) -> memo.Message:
    """The MeMo in `body` (its messageUUID equal to `query_uuid` when given), or MemoRefused."""
    return _parse(body, query_uuid)


def find_replay(authority: Authority, message_uuid: uuid.UUID, digest: str) -> Acceptance | None:
    """The earlier acceptance of the same messageUUID with the same bytes; MemoRefused when the bytes differ."""
    return _replay(authority, message_uuid, digest)


def _parse(body: bytes, query_uuid: uuid.UUID | None) -> memo.Message:
    try:
        message = memo.parse(body, max_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES)
    except memo.MemoRejected as exc:
        raise MemoRefused(exc.problems[0].code, memo.describe_problems(exc.problems), problems=exc.problems) from None
    header_uuid = message.header.message_uuid
    if query_uuid is not None and uuid.UUID(header_uuid) != query_uuid:
        raise MemoRefused(
            ErrorCode.MEMO_UUID_MISMATCH, f"query {query_uuid}, header {header_uuid}", message_uuid=header_uuid
        )
    return message


def find_acceptance(authority_id: uuid.UUID, message_uuid: uuid.UUID) -> tuple[Acceptance, str] | None:
    """The earlier acceptance of this messageUUID (as a replay) and the SHA-256 of its bytes; None if there is none."""
    found = find_accepted_digest(authority_id, message_uuid)
    if found is None:
        return None
    existing = Message.objects.get(pk=found[0])
    receipt = Receipt.objects.get(message=existing, status=ReceiptStatus.RECEIVED)
    return Acceptance(message=existing, receipt=receipt, replayed=True), found[1]


def _replay(authority: Authority, message_uuid: uuid.UUID, digest: str) -> Acceptance | None:
    found = find_acceptance(authority.pk, message_uuid)
    if found is None:
        return None
    acceptance, accepted_digest = found
    if accepted_digest != digest:
        raise MemoRefused(
            ErrorCode.MEMO_UUID_CONFLICT,
            f"messageUUID {message_uuid} was accepted at {acceptance.message.accepted_at.isoformat()} with other "
            "content",
            message_uuid=str(message_uuid),
        )
    return acceptance


def _check_parties(authority: Authority, message: memo.Message, parties: Parties) -> tuple[Addressee, bool]:
    """The contact whose mailbox receives the message, and whether it is an authority as a company."""
    header = message.header
    sender, recipient = header.sender, header.recipient
    if sender.id_type != IdType.CVR or sender.sender_id != authority.cvr:
        raise MemoRefused(
            ErrorCode.SENDER_NOT_ALLOWED,
            f"Sender {sender.id_type} {sender.sender_id}, system belongs to CVR {authority.cvr}",
            message_uuid=header.message_uuid,
        )
    if recipient.id_type == IdType.CPR:
        kind, recipient_party, to_authority = Contact.Kind.CITIZEN, PartyKind.CITIZEN, False
    elif recipient.id_type == IdType.CVR:
        to_authority = parties.is_authority(recipient.recipient_id)
        kind = Contact.Kind.COMPANY
        recipient_party = PartyKind.AUTHORITY if to_authority else PartyKind.COMPANY
    else:
        raise MemoRefused(
            ErrorCode.RECIPIENT_UNKNOWN, f"Recipient idType {recipient.id_type!r}", message_uuid=header.message_uuid
        )
    try:
        check_may_write(PartyKind.AUTHORITY, recipient_party)
    except DigitalPostError as exc:
        raise MemoRefused(exc.code, exc.detail, message_uuid=header.message_uuid) from None
    contact = parties.addressee(kind, recipient.recipient_id)
    where = f"{recipient.id_type} {recipient.recipient_id}"
    if contact is None:
        raise MemoRefused(ErrorCode.RECIPIENT_UNKNOWN, where, message_uuid=header.message_uuid)
    if contact.status == Contact.Status.CLOSED:
        raise MemoRefused(ErrorCode.RECIPIENT_IS_CLOSED, where, message_uuid=header.message_uuid)
    if header.mandatory and not authority.may_send_mandatory:
        raise MemoRefused(ErrorCode.MANDATORY_NOT_ALLOWED, f"CVR {authority.cvr}", message_uuid=header.message_uuid)
    if header.legal_notification and not authority.may_send_legal_notification:
        raise MemoRefused(
            ErrorCode.LEGAL_NOTIFICATION_NOT_ALLOWED, f"CVR {authority.cvr}", message_uuid=header.message_uuid
        )
    return contact, to_authority


def _channel(message: memo.Message, addressee: Addressee, kombi: Kombi) -> Channel:
    """Digital or print for this recipient; a letter's documents must be printable, checked now, not at the printer."""
    header = message.header
    where = f"{header.recipient.id_type} {header.recipient.recipient_id}"
    try:
        channel = choose_channel(kombi, addressee.status, has_postal_address=addressee.has_postal_address, who=where)
        if channel is Channel.PRINT:
            for _where, role, file in memo.iter_files(message):
                if role != "technical":  # technical documents are for systems, never printed
                    letters.check_printable(file.filename, file.encoding_format, file.content)
    except DigitalPostError as exc:
        raise MemoRefused(exc.code, exc.detail, message_uuid=header.message_uuid) from None
    return channel


def _aware(moment: datetime | None) -> datetime | None:
    """A MeMo time without a zone is Danish time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=COPENHAGEN)


def delivery_time(message: memo.Message) -> datetime | None:
    """When the message may be delivered (doNotDeliverUntilDate, midnight in Copenhagen); None: at once."""
    day = message.header.do_not_deliver_until_date
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=COPENHAGEN)


def message_row(
    *, system: SenderSystem, message: memo.Message, message_uuid: uuid.UUID, addressee: Addressee,
    to_authority: bool, digest: str, size: int, pending: bytes | None, parts: list[dict[str, Any]] | None,
    channel: Channel, answer_mailbox: AuthorityMailbox | None, now: datetime,
) -> Message:
    """The unsaved Message row of an acceptance (one by one here, many at once in group_ingest)."""
    header = message.header
    return Message(
        message_uuid=message_uuid,
        sender_message_id=header.message_id or "",
        authority=system.authority,
        sender_system=system,
        mailbox_id=addressee.mailbox_id,
        sender_label=header.sender.label,
        label=header.label,
        message_type=header.message_type,
        memo_version=message.version,
        is_mandatory=bool(header.mandatory),
        is_legal_notification=bool(header.legal_notification),
        is_to_authority_as_company=to_authority,
        do_not_deliver_until=header.do_not_deliver_until_date,
        memo_blob=digest,
        memo_sha256=digest,
        memo_size=size,
        pending_memo=pending,
        document_parts=parts,
        accepted_at=now,
        channel=channel.value,
        answer_mailbox=answer_mailbox,
        answer_by=_aware(header.reply_by_date_time) if answer_mailbox is not None else None,
        **actions.stored_fields(message),
    )


def _record(
    *, system: SenderSystem, message: memo.Message, message_uuid: uuid.UUID, addressee: Addressee,
    to_authority: bool, digest: str, size: int, pending: bytes | None, parts: list[dict[str, Any]] | None = None,
    channel: Channel = Channel.DIGITAL,
    deliver_kind: WorkKind = WorkKind.DELIVER, received: dict[str, str] | None = None,
    answer_mailbox: AuthorityMailbox | None = None, on_recorded: Callable[[Acceptance], None] | None = None,
) -> Acceptance:
    """The writes of one acceptance; runs inside a (possibly shared) durable transaction."""
    now = timezone.now()
    row = insert(message_row(
        system=system, message=message, message_uuid=message_uuid, addressee=addressee, to_authority=to_authority,
        digest=digest, size=size, pending=pending, parts=parts, channel=channel, answer_mailbox=answer_mailbox,
        now=now,
    ))
    data = {"transmissionId": str(row.transmission_id), "channel": channel.value}
    append_event(row, EventKind.MESSAGE_RECEIVED, at=now, data=data | received if received else data, first=True)
    receipt = insert(Receipt(message=row, sender_system=system, status=ReceiptStatus.RECEIVED, created_at=now))
    run_after = delivery_time(message)
    if run_after is not None and run_after > now:
        append_event(row, EventKind.DELIVERY_POSTPONED, at=now, data={"until": run_after.isoformat()})
    if channel is Channel.PRINT:
        add_job(WorkKind.PRINT, key=f"print:{row.pk}", payload={"message": str(row.pk)}, run_after=run_after,
                max_attempts=settings.DIGITALPOST_DELIVERY_MAX_ATTEMPTS)
    else:
        add_job(deliver_kind, key=f"deliver:{row.pk}", payload={"message": str(row.pk)}, run_after=run_after,
                max_attempts=settings.DIGITALPOST_DELIVERY_MAX_ATTEMPTS)
    acceptance = Acceptance(message=row, receipt=receipt)
    if on_recorded is not None:
        on_recorded(acceptance)
    return acceptance
