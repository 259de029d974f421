"""Request and response shapes of the sender API, named in the national API's camelCase."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ninja import Field, Schema

from digitalpost.messages.models import Event, Receipt


class ReceiptOut(Schema):
    transmissionId: uuid.UUID | None
    messageUUID: str | None
    messageId: uuid.UUID | None
    receiptStatus: str
    errorCode: str | None = None
    errorMessage: str | None = None
    timeStamp: datetime
    channel: str | None = Field(None, description="KombiPost: DIGITAL (the digital mailbox) or PRINT (a letter)")
    threaded: bool | None = Field(
        None, description="Only for a MeMo with ReplyData: true when it was filed as a reply in the conversation "
                          "the ReplyData name, false when it was accepted as a new letter (see warningCode)")
    warningCode: str | None = Field(
        None, description="Accepted, but something the sender can act on: reply.reference.unknown (docs/errors.md)")
    warningMessage: str | None = None

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        message = receipt.message
        return cls(
            transmissionId=message.transmission_id,
            messageUUID=str(message.message_uuid),
            messageId=message.id,
            receiptStatus=receipt.status,
            errorCode=receipt.error_code or None,
            errorMessage=receipt.error_message or None,
            timeStamp=receipt.created_at,
            channel=message.channel,
            threaded=True if message.thread_id is not None else None,
            warningCode=None,
        )


class ReceiptPageOut(Schema):
    receipts: list[ReceiptOut]
    cursor: int = Field(description="Pass as ?after= to acknowledge these receipts and get the next ones.")


class EventOut(Schema):
    seq: int
    kind: str
    at: datetime
    data: dict[str, object]
    hash: str

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls(seq=event.seq, kind=event.kind, at=event.at, data=event.data, hash=event.hash)


class TimelineOut(Schema):
    messageUUID: uuid.UUID
    messageId: uuid.UUID
    final: bool
    events: list[EventOut]
    contentDeletedAt: datetime | None = Field(
        None, description="When the recipient's copy was removed (deleted, or a retention rule): the timeline and "
                          "receipts remain, the last event (MESSAGE_CONTENT_DELETED) names the rule and the hashes.")


class ContactOut(Schema):
    idType: str
    id: str
    status: str = Field(description="REGISTERED, EXEMPT, CLOSED or UNKNOWN")


class ContactLookupIn(Schema):
    cprNumbers: list[str] = Field(default_factory=list, max_length=1000)
    cvrNumbers: list[str] = Field(default_factory=list, max_length=1000)


class ContactLookupOut(Schema):
    contacts: list[ContactOut]


class ContactChangeOut(Schema):
    seq: int = Field(description="The change's position in the feed: pass the last one you read as `after`")
    at: datetime
    kind: str = Field(description="REGISTERED, UPDATED, EXEMPTION_GRANTED or EXEMPTION_ENDED")
    idType: str
    id: str
    data: dict[str, Any] = Field(description="The contact's register data after an UPDATED/REGISTERED change, "
                                             "or the exemption's period (startsOn, endsOn, endedAt; never its reason)")


class ContactChangesOut(Schema):
    changes: list[ContactChangeOut]
    next: int = Field(description="The `after` for the next call (equal to `after` when nothing is new)")
