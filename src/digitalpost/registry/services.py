"""Writes to the contact register."""

from __future__ import annotations

from django.db import transaction

from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.registry.models import Contact, Mailbox


@transaction.atomic(durable=True)
def register_contact(
    *,
    kind: Contact.Kind,
    number: str,
    name: str,
    status: Contact.Status = Contact.Status.REGISTERED,
    address_line: str = "",
    postal_code: str = "",
    city: str = "",
) -> Contact:
    """Add a citizen or company to the register, with the mailbox its digital post goes to."""
    id_type = IdType.CPR if kind == Contact.Kind.CITIZEN else IdType.CVR
    contact = Contact.objects.create(
        kind=kind,
        number=normalise_party_id(id_type, number),
        name=name,
        status=status,
        address_line=address_line,
        postal_code=postal_code,
        city=city,
    )
    Mailbox.objects.create(owner=contact)
    return contact
