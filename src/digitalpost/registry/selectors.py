"""Reads of the contact register: single and bulk look-up of registration status."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection

from digitalpost.registry.models import Contact, Mailbox


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


def find_addressee(kind: Contact.Kind, number: str) -> Addressee | None:
    """Status and mailbox of a recipient. Raw SQL on purpose: it runs on every submitted message."""
    contact, mailbox = Contact._meta.db_table, Mailbox._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, m.id, c.status FROM {contact} c JOIN {mailbox} m ON m.owner_id = c.id "  # noqa: S608
            "WHERE c.kind = %s AND c.number = %s",
            [str(kind), number],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    to_uuid = Contact._meta.get_field("id").to_python
    return Addressee(contact_id=to_uuid(row[0]), mailbox_id=to_uuid(row[1]), status=str(row[2]))
