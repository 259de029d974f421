"""GET /apis/v1/receipts: the calling system's receipts, each seen once thanks to a cursor."""

from __future__ import annotations

from ninja import Router
from ninja.params.functions import Query

from digitalpost.api.schemas import MAX_CURSOR
from digitalpost.api.sender.auth import SystemRequest
from digitalpost.api.sender.schemas import ReceiptOut, ReceiptPageOut
from digitalpost.messages.selectors import list_receipts_after
from digitalpost.systems.selectors import get_receipt_cursor
from digitalpost.systems.services.senders import acknowledge_receipts

router = Router(tags=["receipts"])


@router.get(
    "/receipts",
    response=ReceiptPageOut,
    summary="Pull receipts",
    description=(
        "Receipts (RECEIVED, COMPLETED) of messages this system sent, oldest first. Without `after` the "
        "list starts after the last cursor this system acknowledged; passing `after` acknowledges every "
        "receipt up to it."
    ),
)
def pull_receipts(
    request: SystemRequest,
    after: int | None = Query(None, ge=0, le=MAX_CURSOR),
    limit: int = Query(100, ge=1, le=1000),
) -> ReceiptPageOut:
    system = request.auth
    if after is not None:
        acknowledge_receipts(system=system, up_to=after)
    start = get_receipt_cursor(system) if after is None else after
    receipts = list_receipts_after(system, start, limit)
    cursor = receipts[-1].id if receipts else start
    return ReceiptPageOut(receipts=[ReceiptOut.of(r) for r in receipts], cursor=cursor)
