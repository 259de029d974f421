"""POST /apis/v1/memos: one MeMo in, a receipt out."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from ninja import Router
from ninja.params.functions import Query

from digitalpost.api.schemas import ProblemOut
from digitalpost.api.sender.auth import SystemRequest
from digitalpost.api.sender.mass_schemas import MassSendOut
from digitalpost.api.sender.schemas import ReceiptOut
from digitalpost.bulk.models import MassSend
from digitalpost.bulk.services import send_mass
from digitalpost.conversations.services.rest_replies import submit_memo as submit_rest_memo
from digitalpost.core.errors import CATALOGUE, DigitalPostError, ErrorCode, Outcome
from digitalpost.core.kombi import Kombi
from digitalpost.core.lifecycle import ReceiptStatus
from digitalpost.hub.metrics import REFUSALS
from digitalpost.hub.slots import slot
from digitalpost.messages.services.ingest import MemoRefused

router = Router(tags=["memos"])

XML_TYPES = {"application/xml", "text/xml"}
ARCHIVE_TYPES = {"application/x-lzma", "application/x-xz"}  # a mass send: a tar of MeMo files, LZMA-compressed
REFUSAL_STATUS = {Outcome.INVALID: ReceiptStatus.INVALID, Outcome.NOT_ALLOWED: ReceiptStatus.NOT_ALLOWED}


def refusal_receipt(exc: MemoRefused) -> JsonResponse:
    """A refused MeMo gets a receipt in the national shape; nothing about it is stored."""
    spec = exc.spec
    REFUSALS.labels(entry="api", code=str(exc.code)).inc()
    status = REFUSAL_STATUS.get(spec.outcome, ReceiptStatus.INVALID)
    body = ReceiptOut(
        transmissionId=uuid.uuid4(),
        messageUUID=exc.message_uuid,
        messageId=None,
        receiptStatus=status,
        errorCode=str(exc.code),
        errorMessage=exc.text,
        timeStamp=timezone.now(),
        channel=None,
        threaded=None,
        warningCode=None,
    )
    return JsonResponse(body.model_dump(mode="json"), status=spec.http)


@router.post(
    "/memos",
    response={200: ReceiptOut, 201: ReceiptOut, 400: ReceiptOut, 401: ProblemOut, 403: ReceiptOut,
              409: ReceiptOut, 413: ReceiptOut, 415: ProblemOut, 422: ReceiptOut, 429: ReceiptOut},
    summary="Send one MeMo, or a mass send (an LZMA-compressed tar of MeMos)",
    description=(
        "The body is one MeMo 1.1 or 1.2 message (`application/xml`). 201 with receiptStatus RECEIVED when "
        "accepted; 200 with the original receipt when the same messageUUID is sent again with identical "
        "bytes; 409 `memo.uuid.conflict` when the bytes differ; 400 INVALID or 403 NOT_ALLOWED with an "
        "errorCode otherwise; 429 `submissions.too.many` (with Retry-After) when a large MeMo arrives while the "
        "sender system already has as many large MeMos being received as the hub takes at once. "
        "KombiPost: `kombi=automatic` (digital where registered, a printed letter where "
        "exempt), `digital` (refuse exempt recipients) or `print` (always a letter); without it the sender "
        "system's default applies. The receipt's `channel` says which was used.\n\n"
        "**Replies**: a MeMo whose `ReplyData` names an inquiry (its `messageUUID`, with the `dialogtraad` "
        "AdditionalReplyData as the receiver system got it) is filed as the answer in that conversation: "
        "`threaded: true`. A reference the hub does not know is accepted as a new letter with `threaded: false` "
        "and `warningCode` `reply.reference.unknown`. Refused with a code: `reply.recipient.mismatch`, "
        "`reply.not.allowed`, `reply.sender.not.allowed`, `reply.thread.invalid` (docs/replies.md).\n\n"
        "**Mass send**: with `application/x-lzma` the body is a tar of MeMo files compressed with LZMA (the "
        "national mass-send format; .xz works too), read as a stream. Each file is validated and accepted on its "
        "own (a refused file never stops the rest; a file larger than the per-item limit is refused with "
        "`memo.too.large`), its delivery queued in the mass-send lane. The answer is a mass send (`MassSendOut`: "
        "`massSendId` and counts) — 201 when the archive was read to its end, 400 `archive.damaged` when it "
        "could not be (the items before the damage stand). Progress: `GET /apis/v1/mass-sends/{id}`; every "
        "item's receipt: `GET /apis/v1/mass-sends/{id}/items`. Sending the archive again after an interruption "
        "accepts nothing twice: items accepted before replay their receipts (`replayed`)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}},
                        "application/x-lzma": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def submit_memo(
    request: SystemRequest,
    memo_message_uuid: str | None = Query(None, alias="memo-message-uuid"),
    kombi: Kombi | None = Query(None, description="automatic, digital or print (default: the sender system's)"),
) -> JsonResponse:
    content_type = (request.content_type or "").lower()
    if content_type in ARCHIVE_TYPES:
        return _mass_send(request, kombi)
    if content_type not in XML_TYPES:
        raise DigitalPostError(ErrorCode.MEMO_CONTENT_TYPE_NOT_SUPPORTED, f"got {content_type or 'none'}")
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.DIGITALPOST_MAX_MEMO_BYTES:
        # Refused before reading the body: an oversized upload never reaches memory.
        return refusal_receipt(MemoRefused(ErrorCode.MEMO_TOO_LARGE, f"{declared} bytes"))
    try:
        query_uuid = uuid.UUID(memo_message_uuid) if memo_message_uuid else None
    except ValueError:
        return refusal_receipt(MemoRefused(ErrorCode.MEMO_UUID_MISMATCH, f"not a UUID: {memo_message_uuid!r}"))
    if declared < settings.DIGITALPOST_LARGE_MEMO_BYTES:
        return _accept(request, query_uuid, kombi)
    # A large MeMo costs a multiple of its size while it is parsed: a few at once per sender system (on this host),
    # the rest are asked to come back, instead of the hub running out of memory.
    with slot(settings.VAR_DIR / "slots", f"large-memo-{request.auth.pk}",
              settings.DIGITALPOST_LARGE_MEMOS_PER_SENDER) as held:
        if not held:
            response = refusal_receipt(MemoRefused(ErrorCode.SUBMISSIONS_TOO_MANY, f"{declared} bytes"))
            response["Retry-After"] = "10"
            return response
        return _accept(request, query_uuid, kombi)


def _accept(request: SystemRequest, query_uuid: uuid.UUID | None, kombi: Kombi | None) -> JsonResponse:
    try:
        # request.read(), not request.body: DATA_UPLOAD_MAX_MEMORY_SIZE caps forms; a MeMo's cap was checked above.
        submitted = submit_rest_memo(system=request.auth, body=request.read(), query_uuid=query_uuid, kombi=kombi)
    except MemoRefused as exc:
        return refusal_receipt(exc)
    outcome = submitted.acceptance
    receipt = ReceiptOut.of(outcome.receipt)
    receipt.threaded = submitted.threaded
    if submitted.warning is not None:
        receipt.warningCode, receipt.warningMessage = str(submitted.warning), CATALOGUE[submitted.warning].text
    body = receipt.model_dump(mode="json")
    return JsonResponse(body, status=200 if outcome.replayed else 201)


def _mass_send(request: SystemRequest, kombi: Kombi | None) -> JsonResponse:
    """The archive is read from the request in chunks (never request.body): memory stays flat at any size."""
    mass = send_mass(system=request.auth, read=request.read, kombi=kombi)
    status = 201 if mass.state == MassSend.State.COMPLETED else 400
    response = JsonResponse(MassSendOut.of(mass).model_dump(mode="json"), status=status)
    response["Location"] = f"/apis/v1/mass-sends/{mass.pk}"
    return response
