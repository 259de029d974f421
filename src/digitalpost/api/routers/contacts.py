"""Registration status of citizens and companies: one at a time, or up to 1000 in one request."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from digitalpost.api.schemas import ContactLookupIn, ContactLookupOut, ContactOut, ProblemOut
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import get_contact, list_contacts

router = Router(tags=["contacts"])

KIND = {IdType.CPR: Contact.Kind.CITIZEN, IdType.CVR: Contact.Kind.COMPANY}
UNKNOWN = "UNKNOWN"


@router.get("/contacts", response={200: ContactOut, 400: ProblemOut}, summary="Registration status of one contact")
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
    return ContactOut(idType=id_type, id=number, status=contact.status if contact else UNKNOWN)


@router.post(
    "/contacts/lookup", response={200: ContactLookupOut, 400: ProblemOut}, summary="Registration status of many"
)
def contact_lookup(request: HttpRequest, payload: ContactLookupIn) -> ContactLookupOut:
    if len(payload.cprNumbers) + len(payload.cvrNumbers) > 1000:
        raise DigitalPostError(ErrorCode.LOOKUP_TOO_MANY)
    results: list[ContactOut] = []
    for id_type, raw in ((IdType.CPR, payload.cprNumbers), (IdType.CVR, payload.cvrNumbers)):
        numbers = [normalise_party_id(id_type, n) for n in raw]
        found = list_contacts(KIND[id_type], numbers)
        results += [
            ContactOut(idType=id_type, id=n, status=found[n].status if n in found else UNKNOWN) for n in numbers
        ]
    return ContactLookupOut(contacts=results)
