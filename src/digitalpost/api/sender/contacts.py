"""Registration status of citizens and companies: one at a time, or up to 1000 in one request."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from digitalpost.api.schemas import MAX_CURSOR, ProblemOut
from digitalpost.api.sender.schemas import (
    ContactChangeOut,
    ContactChangesOut,
    ContactLookupIn,
    ContactLookupOut,
    ContactOut,
)
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import (
    effective_status,
    effective_statuses,
    get_contact,
    list_changes,
    list_contacts,
)

router = Router(tags=["contacts"])

KIND = {IdType.CPR: Contact.Kind.CITIZEN, IdType.CVR: Contact.Kind.COMPANY}
UNKNOWN = "UNKNOWN"


@router.get("/contacts", response={200: ContactOut, 400: ProblemOut}, summary="Registration status of one contact",
            deprecated=True,
            description="Kept for old clients: a CPR number in a URL ends up in access logs (the hub masks it in "
                        "its own logs, proxies may not). Use POST /apis/v1/contacts/lookup, which takes the "
                        "numbers in the body.")
def contact_status(
    request: HttpRequest,
    cprNumber: str | None = Query(None),
    cvrNumber: str | None = Query(None),
) -> ContactOut:
    if (cprNumber is None) == (cvrNumber is None):
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "give exactly one of cprNumber and cvrNumber")
    id_type = IdType.CPR if cprNumber is not None else IdType.CVR
    number = normalise_party_id(id_type, cprNumber or cvrNumber or "")
    contact = get_contact(KIND[id_type], number)
    return ContactOut(idType=id_type, id=number, status=effective_status(contact) if contact else UNKNOWN)


@router.post(
    "/contacts/lookup", response={200: ContactLookupOut, 400: ProblemOut}, summary="Registration status of many"
)
def contact_lookup(request: HttpRequest, payload: ContactLookupIn) -> ContactLookupOut:
    if len(payload.cprNumbers) + len(payload.cvrNumbers) > 1000:
        raise DigitalPostError(ErrorCode.LOOKUP_TOO_MANY)
    results: list[ContactOut] = []
    for id_type, raw in ((IdType.CPR, payload.cprNumbers), (IdType.CVR, payload.cvrNumbers)):
        numbers = [normalise_party_id(id_type, n) for n in raw]
        found = effective_statuses(list_contacts(KIND[id_type], numbers).values())
        results += [ContactOut(idType=id_type, id=n, status=found.get(n, UNKNOWN)) for n in numbers]
    return ContactLookupOut(contacts=results)


@router.get("/contacts/changes", response={200: ContactChangesOut, 400: ProblemOut},
            summary="Changes to the register since a position (the change feed)")
def contact_changes(request: HttpRequest, after: int = Query(0, ge=0, le=MAX_CURSOR),
                    limit: int = Query(500, ge=1, le=1000)) -> ContactChangesOut:
    """Registrations, updates and exemptions in the order they happened. Start with `after=0`, then pass `next`.

    An exemption's period is in its data: a change at its start or end date is not a separate entry.
    """
    changes = list_changes(after=after, limit=limit)
    return ContactChangesOut(
        changes=[
            ContactChangeOut(seq=c.id, at=c.at, kind=c.kind,
                             idType=IdType.CPR if c.contact.kind == Contact.Kind.CITIZEN else IdType.CVR,
                             id=c.contact.number, data=c.data)
            for c in changes
        ],
        next=changes[-1].id if changes else after,
    )
