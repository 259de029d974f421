"""Reads of the contact register: single and bulk look-up of registration status, exemptions, the change feed.

A contact's *effective* status is what delivery uses: CLOSED and EXEMPT as the register says, and EXEMPT on
every day an active exemption (granted by citizen-service staff, not ended) covers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import cast

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from digitalpost.hub.queries import Param, PreparedIn, PreparedSelect
from digitalpost.registry.models import CompanyMailboxAccess, Contact, ContactChange, Exemption, Mailbox


def active_exemptions(on: date) -> QuerySet[Exemption]:
    return Exemption.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on), starts_on__lte=on,
                                    ended_at__isnull=True)


# The notices batch asks this for every batch: compiled once per database and length (decision 0025).
_ON = Exemption._meta.get_field("starts_on")
_EXEMPT = PreparedIn(lambda contacts: PreparedSelect(
    active_exemptions(cast(date, Param("on", _ON)))  # the Param stands in for the day
    .filter(contact__pk__in=contacts).values_list("contact_id")), contacts=Contact._meta.pk)


def effective_status(contact: Contact, *, on: date | None = None) -> str:
    """REGISTERED, EXEMPT or CLOSED for delivery on `on` (default today)."""
    if contact.status != Contact.Status.REGISTERED:
        return str(contact.status)
    on = on or timezone.localdate()
    exempt = active_exemptions(on).filter(contact=contact).exists()
    return Contact.Status.EXEMPT if exempt else Contact.Status.REGISTERED


def effective_statuses(contacts: Iterable[Contact], *, on: date | None = None) -> dict[str, str]:
    """Effective status by contact number, in two queries whatever the count (bulk look-up)."""
    found = list(contacts)
    on = on or timezone.localdate()
    registered = [c.pk for c in found if c.status == Contact.Status.REGISTERED]
    exempt = {contact_id for contact_id, in _EXEMPT.rows(contacts=registered, on=on)}
    return {c.number: Contact.Status.EXEMPT if c.pk in exempt else str(c.status) for c in found}


def list_exemptions(contact: Contact) -> list[Exemption]:
    return list(contact.exemptions.order_by("-starts_on", "-created_at"))


def get_exemption(contact: Contact, exemption_id: uuid.UUID | str) -> Exemption | None:
    try:
        return contact.exemptions.filter(pk=exemption_id).first()
    except (ValueError, ValidationError):
        return None


def list_changes(*, after: int, limit: int) -> list[ContactChange]:
    """The change feed: changes with an id above `after`, oldest first."""
    return list(ContactChange.objects.select_related("contact").filter(id__gt=after).order_by("id")[:limit])


def get_contact(kind: Contact.Kind, number: str) -> Contact | None:
    return Contact.objects.select_related("mailbox").filter(kind=kind, number=number).first()


def list_contacts(kind: Contact.Kind, numbers: Iterable[str]) -> dict[str, Contact]:
    wanted = set(numbers)
    return {c.number: c for c in Contact.objects.filter(kind=kind, number__in=wanted)}


def get_contact_by_id(contact_id: str) -> Contact | None:
    try:
        return Contact.objects.filter(pk=contact_id).first()
    except (ValueError, ValidationError):
        return None


def list_demo_identities() -> list[Contact]:
    """Everyone in the register, for the demo sign-in page (demo mode only)."""
    return list(Contact.objects.order_by("kind", "name"))


@dataclass(frozen=True)
class Addressee:
    contact_id: uuid.UUID
    mailbox_id: uuid.UUID
    status: str
    has_postal_address: bool = False


def find_addressee(kind: Contact.Kind, number: str) -> Addressee | None:
    """Status and mailbox of a recipient (the one-number case of `find_addressees`)."""
    return find_addressees(kind, [number]).get(number)


def find_addressees(kind: Contact.Kind, numbers: Iterable[str]) -> dict[str, Addressee]:
    """Status and mailbox of recipients of one kind, in one query (a mass send's group asks for all of its own at
    once): the found ones by number. Raw SQL on purpose: it runs for every submitted message."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    contact, mailbox, exemption = Contact._meta.db_table, Mailbox._meta.db_table, Exemption._meta.db_table
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.number, c.id, m.id, CASE WHEN c.status = 'REGISTERED' AND EXISTS (SELECT 1 FROM {exemption} e "  # noqa: S608
            "WHERE e.contact_id = c.id AND e.starts_on <= %s AND (e.ends_on IS NULL OR e.ends_on >= %s) "
            "AND e.ended_at IS NULL) THEN 'EXEMPT' ELSE c.status END, c.address_line, c.postal_code "
            f"FROM {contact} c JOIN {mailbox} m ON m.owner_id = c.id WHERE c.kind = %s "
            f"AND c.number IN ({', '.join(['%s'] * len(wanted))})",
            [today, today, str(kind), *wanted],
        )
        rows = cursor.fetchall()
    to_uuid = Contact._meta.get_field("id").to_python
    return {str(row[0]): Addressee(contact_id=to_uuid(row[1]), mailbox_id=to_uuid(row[2]), status=str(row[3]),
                                   has_postal_address=bool(row[4] and row[5])) for row in rows}


def get_company_access(company: Contact, employee_id: str) -> CompanyMailboxAccess | None:
    return CompanyMailboxAccess.objects.filter(company=company, employee_id=employee_id).first()


def list_company_access(company: Contact) -> list[CompanyMailboxAccess]:
    return list(CompanyMailboxAccess.objects.filter(company=company).order_by("employee_name", "employee_id"))
