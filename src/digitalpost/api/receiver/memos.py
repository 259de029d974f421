"""GET/DELETE /apis/v1/receiving/memos…: REST pull for an authority's receiver system.

A receiver system lists the inquiries waiting for it, fetches each as MeMo XML (with a ReplyData that carries
the dialog-thread token its reply must quote), gives a business receipt and deletes it. Acknowledged
messages (receipt or delete) leave the list and answer 404 afterwards; see `delivery/channels/rest_pull.py`.
Not for: sending (`POST /apis/v1/memos`, sender systems).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from digitalpost.api.receiver.auth import ReceiverRequest, ReceiverSystemAuth
from digitalpost.api.schemas import ProblemOut
from digitalpost.delivery.channels.rest_pull import (
    MAX_PAGE,
    BusinessReceipt,
    access_available_message,
    acknowledge_message,
    list_available_messages,
    pulled_memo,
    record_business_receipt,
)
from digitalpost.messages.models import Message

router = Router(tags=["receiving"], auth=ReceiverSystemAuth())

NOT_FOUND_TEXT = "404 `message.not.found` when the message is absent, already acknowledged or not routed to you."


class MailboxRefOut(Schema):
    id: uuid.UUID
    name: str


class AvailableMemoOut(Schema):
    id: uuid.UUID = Field(description="The hub's messageId; use it in the paths below.")
    messageUUID: uuid.UUID
    mailbox: MailboxRefOut
    created: datetime = Field(description="When the hub accepted the message.")
    size: int = Field(description="Bytes of the MeMo as accepted (the fetched copy adds a ReplyData).")

    @classmethod
    def of(cls, message: Message) -> AvailableMemoOut:
        assert message.thread is not None
        mailbox = message.thread.authority_mailbox
        return cls(id=message.id, messageUUID=message.message_uuid, mailbox=MailboxRefOut(id=mailbox.pk,
                   name=mailbox.name), created=message.accepted_at, size=message.memo_size)


class AvailableMemosOut(Schema):
    memos: list[AvailableMemoOut]


class BusinessReceiptIn(Schema):
    status: Literal["RECEIVED", "REJECTED"]
    comment: str = Field("", max_length=512)


class BusinessReceiptOut(Schema):
    messageId: uuid.UUID
    status: str
    comment: str
    timeStamp: datetime

    @classmethod
    def of(cls, receipt: BusinessReceipt) -> BusinessReceiptOut:
        return cls(messageId=receipt.message_id, status=receipt.status, comment=receipt.comment,
                   timeStamp=receipt.at)


@router.get(
    "/receiving/memos", response={200: AvailableMemosOut, 400: ProblemOut, 401: ProblemOut},
    summary="List messages waiting for this receiver",
    description="Messages routed to the calling receiver system and not yet acknowledged, oldest first.",
)
def list_memos(
    request: ReceiverRequest, limit: int = Query(100, ge=1, le=MAX_PAGE, description="At most this many.")
) -> AvailableMemosOut:
    return AvailableMemosOut(memos=[AvailableMemoOut.of(m) for m in list_available_messages(request.auth,
                                                                                              limit=limit)])


@router.get(
    "/receiving/memos/{message_id}", response={401: ProblemOut, 404: ProblemOut},
    summary="Fetch one message as MeMo XML",
    description=(
        "The MeMo as accepted, with one more ReplyData: its messageUUID is the inquiry's and its "
        "AdditionalReplyData labelled `dialogtraad` carries the dialog-thread token a reply must quote. "
        + NOT_FOUND_TEXT
    ),
    openapi_extra={"responses": {"200": {
        "description": "The MeMo", "content": {"application/xml": {"schema": {"type": "string"}}}}}},
)
def fetch_memo(request: ReceiverRequest, message_id: uuid.UUID) -> HttpResponse:
    message = access_available_message(request.auth, message_id)
    return HttpResponse(pulled_memo(message), content_type="application/xml")


@router.delete(
    "/receiving/memos/{message_id}", response={204: None, 401: ProblemOut, 404: ProblemOut},
    summary="Acknowledge and remove a message",
    description=(
        "The message is delivered and leaves the list. Deleting it again also answers 204; 404 "
        "`message.not.found` when it was never routed to you."
    ),
)
def delete_memo(request: ReceiverRequest, message_id: uuid.UUID) -> Status[None]:
    acknowledge_message(receiver=request.auth, message_id=message_id)
    return Status(204, None)


@router.post(
    "/receiving/memos/{message_id}/receipt",
    response={200: BusinessReceiptOut, 400: ProblemOut, 401: ProblemOut, 404: ProblemOut, 409: ProblemOut},
    summary="Give a business receipt",
    description=(
        "RECEIVED or REJECTED, with an optional comment, recorded on the message's timeline. It acknowledges "
        "the message like DELETE. The same receipt again replays the recorded one; another status after "
        "acknowledgement is 409 `message.already.acknowledged`; 404 `message.not.found` when the message was "
        "never routed to you."
    ),
)
def give_receipt(request: ReceiverRequest, message_id: uuid.UUID, body: BusinessReceiptIn) -> BusinessReceiptOut:
    receipt = record_business_receipt(receiver=request.auth, message_id=message_id, status=body.status,
                                      comment=body.comment)
    return BusinessReceiptOut.of(receipt)
