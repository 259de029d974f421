"""GET /apis/v1/mass-sends/{id} and …/items: a mass send's progress and its per-item receipts (the sender's own)."""

from __future__ import annotations

import uuid

from ninja import Router
from ninja.params.functions import Query

from digitalpost.api.schemas import MAX_CURSOR, ProblemOut
from digitalpost.api.sender.auth import SystemRequest
from digitalpost.api.sender.mass_schemas import MassSendItemOut, MassSendItemPageOut, MassSendOut
from digitalpost.bulk.selectors import access_mass_send, list_mass_send_items

router = Router(tags=["mass sends"])


@router.get(
    "/mass-sends/{mass_send_id}",
    response={200: MassSendOut, 401: ProblemOut, 404: ProblemOut},
    summary="Progress of a mass send",
    description=(
        "Counts of the archive's items handled so far (updated while it runs), and how it ended. Only the "
        "system that sent the archive sees it; 404 `mass.send.not.found` otherwise."
    ),
)
def get_mass_send(request: SystemRequest, mass_send_id: uuid.UUID) -> MassSendOut:
    return MassSendOut.of(access_mass_send(request.auth, mass_send_id))


@router.get(
    "/mass-sends/{mass_send_id}/items",
    response={200: MassSendItemPageOut, 401: ProblemOut, 404: ProblemOut},
    summary="Receipts of a mass send's items",
    description="Each item's receipt in archive order, after position `after` (0 for the first page).",
)
def list_mass_send_receipts(
    request: SystemRequest,
    mass_send_id: uuid.UUID,
    after: int = Query(0, ge=0, le=MAX_CURSOR),
    limit: int = Query(500, ge=1, le=5000),
) -> MassSendItemPageOut:
    mass = access_mass_send(request.auth, mass_send_id)
    items = list_mass_send_items(mass, after=after, limit=limit)
    return MassSendItemPageOut(items=[MassSendItemOut.of(i) for i in items],
                               cursor=items[-1].position if items else after)
