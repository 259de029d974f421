"""/apis/v1/admin/register/…: the national contact register for platform operators (no organisation in the URL).

`POST /register/import` takes the same CSV as `digitalpost register import` (registry.importing): every row is
checked first and a file with any bad line imports nothing, answering every bad line; a good file answers how
many contacts were created, updated and unchanged, and is audit-logged as a platform action (organisation "").
`GET /register/contacts?cprNumber=|cvrNumber=` shows one contact as operators need it: register status,
effective status (exemptions included), address and active exemptions. Everyone but operators gets 404, so the
routes do not even admit they exist (as the portal's platform pages).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema

from digitalpost.api.admin.access import platform_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.errors import problem
from digitalpost.api.schemas import ProblemOut
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.core.roles import Actor
from digitalpost.registry.importing import ImportRefused, read_rows
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import active_exemptions, effective_status, get_contact
from digitalpost.registry.services import import_contacts

router = Router(tags=["admin: contact register"])

KIND = {IdType.CPR: Contact.Kind.CITIZEN, IdType.CVR: Contact.Kind.COMPANY}
ERRORS: dict[int, type[ProblemOut]] = {401: ProblemOut, 404: ProblemOut}


class RegisterImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int


class RegisterProblemOut(ProblemOut):
    problems: list[str]


class ExemptionOut(Schema):
    reason: str
    startsOn: date
    endsOn: date | None


class RegisterContactOut(Schema):
    idType: str
    id: str
    name: str
    status: str  # as registered: REGISTERED, EXEMPT, CLOSED
    effectiveStatus: str  # what delivery uses today (an active exemption makes a registered citizen EXEMPT)
    addressLine: str
    postalCode: str
    city: str
    country: str
    hasNotificationEmail: bool
    statusChangedAt: datetime
    activeExemptions: list[ExemptionOut]


OPERATORS_ONLY = "the contact register is for platform operators"


@router.post("/register/import", response={200: RegisterImportOut, 400: RegisterProblemOut, **ERRORS},
             summary="Import contacts from CSV (platform operators)",
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                 "type": "string",
                 "description": "Header row: id_type,number,name[,status,address_line,postal_code,city]"}}}}},
             description="All or nothing: a file with any bad line imports nothing and the answer names every "
                         "bad line (line 1 is the header). Importing the same file again changes nothing.")
@platform_operation(OPERATORS_ONLY)
def import_register(request: AdminRequest, actor: Actor) -> HttpResponse | RegisterImportOut:
    # Read as a stream, not request.body: DATA_UPLOAD_MAX_MEMORY_SIZE is the cap for forms; the web front bounds
    # API bodies by DIGITALPOST_MAX_API_BYTES.
    raw = request.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "the CSV file is not UTF-8 text") from None
    try:
        rows = read_rows(text)
    except ImportRefused as refused:
        response = problem(refused.code, refused.detail)
        body = json.loads(response.content) | {"problems": refused.problems}
        response.content = json.dumps(body).encode()
        return response
    report = import_contacts(rows, actor=actor,
                             source=f"admin API, sha256 {hashlib.sha256(raw).hexdigest()}")
    return RegisterImportOut(rows=len(rows), created=report.created, updated=report.updated,
                             unchanged=report.unchanged)


class RegisterLookupIn(Schema):
    """Exactly one number; sent in the body so that a CPR number never appears in a URL or an access log."""

    cprNumber: str | None = None
    cvrNumber: str | None = None


@router.post("/register/contacts/lookup", response={200: RegisterContactOut, 400: ProblemOut, **ERRORS},
             summary="One contact in the register (platform operators)")
@platform_operation(OPERATORS_ONLY)
def get_register_contact(
    request: AdminRequest, operator: Actor, payload: RegisterLookupIn
) -> HttpResponse | RegisterContactOut:
    cprNumber, cvrNumber = payload.cprNumber, payload.cvrNumber
    if (cprNumber is None) == (cvrNumber is None):
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "give exactly one of cprNumber and cvrNumber")
    id_type = IdType.CPR if cprNumber is not None else IdType.CVR
    number = normalise_party_id(id_type, cprNumber or cvrNumber or "")
    contact = get_contact(KIND[id_type], number)
    if contact is None:
        return problem(ErrorCode.RECIPIENT_UNKNOWN, f"{id_type} {number}", status=404)
    exemptions = active_exemptions(timezone.localdate()).filter(contact=contact).order_by("starts_on")
    return RegisterContactOut(
        idType=id_type, id=contact.number, name=contact.name, status=contact.status,
        effectiveStatus=effective_status(contact), addressLine=contact.address_line,
        postalCode=contact.postal_code, city=contact.city, country=contact.country,
        hasNotificationEmail=bool(contact.notification_email), statusChangedAt=contact.status_changed_at,
        activeExemptions=[ExemptionOut(reason=e.reason, startsOn=e.starts_on, endsOn=e.ends_on) for e in exemptions],
    )
