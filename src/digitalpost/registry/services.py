"""Writes to the contact register."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.registry.importing import ContactRow, ImportReport
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


@transaction.atomic(durable=True)
def import_contacts(rows: Iterable[ContactRow], *, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Create or update every row in one transaction: a failure leaves the register as it was."""
    report = ImportReport()
    now = timezone.now()
    for row in rows:
        existing = Contact.objects.filter(kind=row.kind, number=row.number).first()
        wanted = {"name": row.name, "status": row.status, "address_line": row.address_line,
                  "postal_code": row.postal_code, "city": row.city}
        if existing is None:
            contact = Contact.objects.create(kind=row.kind, number=row.number, **wanted)
            Mailbox.objects.create(owner=contact)
            report.created += 1
        elif any(getattr(existing, name) != value for name, value in wanted.items()):
            changed = [name for name, value in wanted.items() if getattr(existing, name) != value]
            for name in changed:
                setattr(existing, name, wanted[name])
            if "status" in changed:
                existing.status_changed_at = now
                changed.append("status_changed_at")
            existing.save(update_fields=changed)
            report.updated += 1
        else:
            report.unchanged += 1
        if progress is not None:
            progress(1)
    return report
