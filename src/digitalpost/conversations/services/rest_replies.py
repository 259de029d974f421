"""A case system answers a conversation over REST: a MeMo on POST /apis/v1/memos whose ReplyData names it.

The reference is the one REST receivers are handed with each inquiry (docs/replies.md): ReplyData with the
inquiry's messageUUID and, as AdditionalReplyData `dialogtraad`, the conversation's token. The messageUUID alone
is enough (the hub chose it at random; only the conversation's organisation can file under it); a dialogtraad,
when given, must be one the hub issued and agree with the messageUUID. What a ReplyData names decides:

- a conversation of the caller's organisation: the reply is checked like any MeMo, then by the reply rules
  (recipient = the conversation's party, a system that may answer, a conversation that takes answers) and filed
  through `replies.file_reply_memo`, the one reply path the portal and the gateway use too;
- nothing the hub knows (case systems put their own references in ReplyData too), or a conversation of another
  organisation: accepted as a new letter, `threaded: false` with the warning `reply.reference.unknown`. The two
  get exactly the same answer, so the caller learns nothing about other organisations' conversations, and
  another organisation's conversation is never touched (only the operator's log says which it was);
- a dialogtraad that is not the hub's, or references to two different conversations: refused.

Every refusal of a reply is recorded (RefusedReply, channel "rest") so the doctor counts it like a refused
secure-mail reply; nothing else about a refused MeMo is stored. Not for: MeMos without ReplyData (ingest).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from digitalpost.conversations.services.replies import check_may_answer, file_reply_memo
from digitalpost.conversations.tokens import REPLY_DATA_LABEL
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.kombi import Kombi
from digitalpost.core.parties import IdType
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.keys import thread_keyring
from digitalpost.messages.models import Message, Receipt, RefusedReply, Thread
from digitalpost.messages.services.ingest import (
    Acceptance,
    MemoRefused,
    accept_memo,
    check_submission,
    find_replay,
    parse_submission,
)
from digitalpost.protocols import memo, threads
from digitalpost.registry.models import Contact
from digitalpost.systems.models import SenderSystem

log = logging.getLogger(__name__)

CHANNEL = "rest"


@dataclass(frozen=True)
class Submission:
    """The acceptance, and whether it was filed in a conversation (None: the MeMo named none)."""

    acceptance: Acceptance
    threaded: bool | None = None
    warning: ErrorCode | None = None


def submit_memo(
    *, system: SenderSystem, body: bytes, query_uuid: uuid.UUID | None = None, kombi: Kombi | None = None
) -> Submission:
    """Accept one MeMo from `system`: filed in a conversation when its ReplyData names one, else a letter."""
    if b"ReplyData" not in body:
        # The common case, a letter: ingest parses it once. (A MeMo merely mentioning the word is parsed twice.)
        return Submission(accept_memo(system=system, body=body, query_uuid=query_uuid, kombi=kombi))
    letter = parse_submission(body, query_uuid)
    if not letter.header.reply_data:
        return Submission(accept_memo(system=system, body=body, query_uuid=query_uuid, kombi=kombi))
    message_uuid = uuid.UUID(letter.header.message_uuid)
    digest = hashlib.sha256(body).hexdigest()
    replay = find_replay(system.authority, message_uuid, digest)
    if replay is not None:
        return _answer(replay)
    thread: Thread | None = None
    try:
        thread = find_reply_thread(system, letter)
        if thread is not None:
            return Submission(_file(system=system, thread=thread, letter=letter, body=body, kombi=kombi),
                              threaded=True)
    except MemoRefused as refusal:
        _record_refusal(refusal, system=system, thread=thread)
        raise
    except DigitalPostError as refusal:
        _record_refusal(refusal, system=system, thread=thread)
        raise MemoRefused(refusal.code, refusal.detail, message_uuid=letter.header.message_uuid) from None
    except IntegrityError:
        # The same messageUUID was accepted concurrently: answer as the replay it now is.
        replay = find_replay(system.authority, message_uuid, digest)
        if replay is None:
            raise
        return _answer(replay)
    # Unknown, or another organisation's: a letter like any other (its refusals are a letter's, not a reply's).
    return _answer(accept_memo(system=system, body=body, query_uuid=query_uuid, kombi=kombi))


def _answer(acceptance: Acceptance) -> Submission:
    """A MeMo with ReplyData: threaded, or a letter with the warning the sender can act on."""
    if acceptance.message.thread_id is not None:
        return Submission(acceptance, threaded=True)
    return Submission(acceptance, threaded=False, warning=ErrorCode.REPLY_REFERENCE_UNKNOWN)


def find_reply_thread(system: SenderSystem, letter: memo.Message) -> Thread | None:
    """The one conversation of the caller's organisation the ReplyData name; None for unknown or another's.

    Raises `reply.thread.invalid` for a dialogtraad the hub did not issue (or that was changed) and for
    ReplyData that name two different conversations of the organisation: never guess which one is meant.
    """
    authority = system.authority
    own: set[uuid.UUID] = set()
    foreign = False
    for reference in letter.header.reply_data:
        token = next((extra.value.strip() for extra in reference.additional_reply_data
                      if extra.label.strip().lower() == REPLY_DATA_LABEL), None)
        if token:
            try:
                ref = threads.verify(token, keyring=thread_keyring(), expected_authority_cvr=None)
            except threads.ThreadTokenError as exc:
                raise DigitalPostError(ErrorCode.REPLY_THREAD_INVALID, f"dialogtraad: {exc.detail}") from None
            if ref.authority_cvr != authority.cvr:
                foreign = True
                continue  # another organisation's: look no further at this reference
            if Thread.objects.filter(pk=ref.thread_id, authority=authority).exists():
                own.add(ref.thread_id)
        try:
            named = uuid.UUID(reference.message_uuid)
        except ValueError:
            continue
        for thread_id, authority_id in (Message.objects.filter(message_uuid=named, thread__isnull=False)
                                        .values_list("thread_id", "authority_id")):
            if authority_id == authority.pk:
                own.add(thread_id)
            else:
                foreign = True
    if len(own) > 1:
        raise DigitalPostError(ErrorCode.REPLY_THREAD_INVALID, f"the ReplyData name {len(own)} conversations")
    if own:
        return Thread.objects.select_related("authority", "authority_mailbox", "party").get(pk=own.pop())
    if foreign:
        log.info("sender system %s referred to another organisation's conversation; accepted as a new letter",
                 system.pk)
    return None


def check_may_answer_over_rest(system: SenderSystem) -> None:
    """The standard sender system answers by any path; otherwise REST answers come from REST sender systems.

    It mirrors the gateway's rule for mail (the standard system, or a secure-mail system): a secure-mail
    system's token used on the API does not make it a case system.
    """
    if not (system.is_standard or system.channel == SenderSystem.Channel.REST):
        raise DigitalPostError(ErrorCode.REPLY_SENDER_NOT_ALLOWED, system.name)


def check_recipient(thread: Thread, letter: memo.Message) -> None:
    recipient = letter.header.recipient
    party: Contact = thread.party
    expected = IdType.CPR if party.kind == Contact.Kind.CITIZEN else IdType.CVR
    if recipient.id_type != expected or recipient.recipient_id.strip() != party.number:
        # The detail names only what the sender sent: never the conversation's party.
        raise DigitalPostError(ErrorCode.REPLY_RECIPIENT_MISMATCH,
                               f"Recipient {recipient.id_type} is not the conversation's party")


def _file(
    *, system: SenderSystem, thread: Thread, letter: memo.Message, body: bytes, kombi: Kombi | None
) -> Acceptance:
    check_may_answer_over_rest(system)
    check_recipient(thread, letter)
    check_may_answer(thread)
    _, _, delivery = check_submission(system, letter, kombi)
    pending = body if len(body) <= settings.DIGITALPOST_JOURNAL_MAX_BYTES else None
    if pending is None:
        blob_store().put(body)
    message = file_reply_memo(thread=thread, system=system, letter=letter, body=body, pending=pending,
                              channel=CHANNEL, delivery=delivery, received={"transmissionId": "",
                                                                            "kombi": delivery.value})
    receipt = Receipt.objects.select_related("message").get(message=message)
    return Acceptance(message=message, receipt=receipt)


@transaction.atomic(durable=True)
def _record_refusal(refusal: DigitalPostError, *, system: SenderSystem, thread: Thread | None) -> None:
    """Remember the refused reply for the doctor, named by the sender system whose token sent it."""
    RefusedReply.objects.create(
        code=str(refusal.code), detail=refusal.detail[:2000], authority=system.authority, thread=thread,
        channel=CHANNEL, sender_system=system, sender_address="", signer_subject="", received_at=timezone.now(),
    )
