"""Writes to the contact register: contacts, imports and exemptions; every change lands in the change feed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from digitalpost.audit.services import record_change
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.core.roles import SYSTEM_ACTOR, Actor
from digitalpost.registry.importing import ContactRow, ImportReport, normalise_mobile_number
from digitalpost.registry.models import CompanyMailboxAccess, Contact, ContactChange, Exemption, Mailbox

MAX_EXEMPTION_YEARS = 10


def _contact_picture(contact: Contact) -> dict[str, Any]:
    """What the change feed says about a contact (the address is what print needs)."""
    return {"status": contact.status, "name": contact.name, "addressLine": contact.address_line,
            "postalCode": contact.postal_code, "city": contact.city, "country": contact.country}


# Any constant: the lock that makes change-feed writers take turns on PostgreSQL (see _note_change).
FEED_LOCK = 0x64704643


def _note_change(contact: Contact, kind: ContactChange.Kind, data: dict[str, Any]) -> None:
    """Append to the change feed, inside the caller's transaction.

    Readers page by id, so ids must become visible in order: on PostgreSQL a transaction could otherwise commit
    a later id while an earlier one (a long import) is still open, and a reader past it would never see the
    earlier. The transaction-scoped advisory lock makes feed writers commit one after another (SQLite writers
    already do). The exemption's reason is never in the feed: it is health data senders do not need.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
    public = {key: value for key, value in data.items() if key != "reason"}
    ContactChange.objects.create(contact=contact, kind=kind, at=timezone.now(), data=public)


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
    _note_change(contact, ContactChange.Kind.REGISTERED, _contact_picture(contact))
    return contact


@transaction.atomic(durable=True)
def import_contacts(
    rows: Iterable[ContactRow], *, progress: Callable[[int], None] | None = None, actor: Actor = SYSTEM_ACTOR,
    source: str = "",
) -> ImportReport:
    """Create or update every row in one transaction: a failure leaves the register as it was.

    The import is audit-logged (platform-wide, no organisation) in the same transaction, naming `source`.
    """
    report = ImportReport()
    now = timezone.now()
    for row in rows:
        existing = Contact.objects.filter(kind=row.kind, number=row.number).first()
        wanted: dict[str, Any] = {"name": row.name, "status": row.status, "address_line": row.address_line,
                  "postal_code": row.postal_code, "city": row.city}
        for optional in ("notification_email", "mobile_number"):  # None: the file has no such column, keep it
            if getattr(row, optional) is not None:
                wanted[optional] = getattr(row, optional)
        if row.closed_on is not None:
            wanted["closed_on"] = row.closed_on or None
        if existing is None:
            contact = Contact.objects.create(kind=row.kind, number=row.number, **wanted)
            Mailbox.objects.create(owner=contact)
            _note_change(contact, ContactChange.Kind.REGISTERED, _contact_picture(contact))
            report.created += 1
        elif any(getattr(existing, name) != value for name, value in wanted.items()):
            changed = [name for name, value in wanted.items() if getattr(existing, name) != value]
            for name in changed:
                setattr(existing, name, wanted[name])
            if "status" in changed:
                existing.status_changed_at = now
                changed.append("status_changed_at")
            existing.save(update_fields=changed)
            _note_change(existing, ContactChange.Kind.UPDATED, _contact_picture(existing))
            report.updated += 1
        else:
            report.unchanged += 1
        if progress is not None:
            progress(1)
    rows_read = report.created + report.updated + report.unchanged
    record_change(actor=actor, organisation="", action="register.imported", object_type="register",
                  object_label=f"contact register import: {rows_read} rows",
                  after={"rows": rows_read, "created": report.created, "updated": report.updated,
                         "unchanged": report.unchanged, "source": source})
    return report


def _exemption_picture(exemption: Exemption) -> dict[str, Any]:
    return {"reason": exemption.reason, "startsOn": exemption.starts_on.isoformat(),
            "endsOn": exemption.ends_on.isoformat() if exemption.ends_on else None,
            "endedAt": exemption.ended_at.isoformat() if exemption.ended_at else None}


@transaction.atomic(durable=True)
def grant_exemption(
    *, contact: Contact, reason: str, starts_on: date, ends_on: date | None, organisation: str, note: str = "",
    actor: Actor = SYSTEM_ACTOR,
) -> Exemption:
    """Exempt a citizen from Digital Post for a period (their letters are printed meanwhile); audit-logged."""
    if contact.kind != Contact.Kind.CITIZEN:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "only citizens can be exempted; companies cannot")
    if contact.status == Contact.Status.CLOSED:
        raise DigitalPostError(ErrorCode.RECIPIENT_IS_CLOSED, f"{contact.name}'s mailbox is closed")
    if reason not in Exemption.Reason.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"unknown exemption reason {reason!r}")
    if reason == Exemption.Reason.OTHER and not note.strip():
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "describe the reason in the note when it is 'other'")
    if ends_on is not None and ends_on < starts_on:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "the exemption cannot end before it starts")
    if ends_on is not None and (ends_on - starts_on).days > MAX_EXEMPTION_YEARS * 366:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"an exemption lasts at most {MAX_EXEMPTION_YEARS} years")
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    exemption = Exemption.objects.create(
        contact=locked, reason=reason, note=note.strip(), starts_on=starts_on, ends_on=ends_on,
        granted_by=actor.label, granted_in=organisation, created_at=timezone.now(),
    )
    after = _exemption_picture(exemption)
    record_change(actor=actor, organisation=organisation, action="exemption.granted", target=exemption,
                  object_label=f"{locked.name} (CPR {locked.number[:6]}-****)", after=after)
    _note_change(locked, ContactChange.Kind.EXEMPTION_GRANTED, after)
    return exemption


@transaction.atomic(durable=True)
def end_exemption(*, exemption: Exemption, organisation: str, actor: Actor = SYSTEM_ACTOR) -> Exemption:
    """End an exemption now: from today the citizen gets Digital Post again; audit-logged."""
    locked = Exemption.objects.select_for_update().select_related("contact").get(pk=exemption.pk)
    if locked.ended_at is not None:
        return locked
    before = _exemption_picture(locked)
    locked.ended_at = timezone.now()
    locked.ended_by = actor.label
    locked.save(update_fields=["ended_at", "ended_by"])
    after = _exemption_picture(locked)
    record_change(actor=actor, organisation=organisation, action="exemption.ended", target=locked,
                  object_label=f"{locked.contact.name} (CPR {locked.contact.number[:6]}-****)", before=before,
                  after=after)
    _note_change(locked.contact, ContactChange.Kind.EXEMPTION_ENDED, after)
    return locked


@transaction.atomic(durable=True)
def set_notification_preferences(
    *, contact_id: uuid.UUID, notification_email: str, notify_by_email: bool, mobile_number: str,
) -> Contact:
    """A citizen or company sets where their notices and NemSMS go; a bad address or number is refused.

    The recipient's own choices (the web mailbox's settings page); an import changes them only when its file
    has those columns.
    """
    email, mobile = notification_email.strip(), mobile_number.strip()
    try:
        if email:
            validate_email(email)
        mobile = normalise_mobile_number(mobile) if mobile else ""
    except (ValidationError, ValueError) as exc:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, getattr(exc, "message", None) or str(exc)) from None
    contact = Contact.objects.select_for_update(no_key=True).get(pk=contact_id)
    contact.notification_email = email
    contact.notify_by_email = notify_by_email
    contact.mobile_number = mobile
    contact.save(update_fields=["notification_email", "notify_by_email", "mobile_number"])
    return contact


# Company mailbox access: who of a company's employees may use its Digital Post (docs/deploy.md). Given and taken
# by the company's administrator (signed in with the administrator privilege, or appointed by citizen-service
# staff); every change in the audit log under the company's CVR.


def _access_picture(access: CompanyMailboxAccess) -> dict[str, Any]:
    return {"employee_id": access.employee_id, "employee_name": access.employee_name, "level": access.level,
            "folders": access.folders or "all", "is_administrator": access.is_administrator}


def grant_company_access(
    *, company: Contact, employee_id: str, employee_name: str = "", level: str = CompanyMailboxAccess.Level.READ,
    is_administrator: bool = False, actor: Actor,
) -> CompanyMailboxAccess:
    """Give (or change) one employee's right to the company's mailbox. Folders: all (the mailbox has none yet)."""
    if company.kind != Contact.Kind.COMPANY:
        raise DigitalPostError(ErrorCode.COMPANY_ACCESS_NOT_ALLOWED, "not a company")
    employee_id = employee_id.strip()
    if not employee_id or level not in CompanyMailboxAccess.Level.values:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "employee or level")
    with transaction.atomic():
        access = CompanyMailboxAccess.objects.select_for_update().filter(
            company=company, employee_id=employee_id).first()
        before = _access_picture(access) if access is not None else None
        if access is None:
            access = CompanyMailboxAccess(company=company, employee_id=employee_id)
        access.employee_name = employee_name.strip() or access.employee_name
        access.level = level
        access.is_administrator = is_administrator
        access.granted_at = timezone.now()
        access.granted_by = actor.label
        access.save()
        record_change(actor=actor, organisation=company.number, action="company.access.granted", target=access,
                      before=before, after=_access_picture(access))
    return access


def revoke_company_access(*, access: CompanyMailboxAccess, actor: Actor) -> None:
    with transaction.atomic():
        locked = CompanyMailboxAccess.objects.select_for_update().select_related("company").get(pk=access.pk)
        before = _access_picture(locked)
        record_change(actor=actor, organisation=locked.company.number, action="company.access.revoked",
                      target=locked, before=before, after=None)
        locked.delete()
