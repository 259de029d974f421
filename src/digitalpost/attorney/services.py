"""Writes of powers of attorney: give, register (citizen service), use and end. Every one is in the audit log.

The audit entries name people by name and by the register's opaque ids, never by CPR number. A power given by the
citizen is logged without an organisation; one registered by citizen-service staff under their organisation's
CVR, with the reason they gave. Every entry names what the power opens: "all", or the chosen folders.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.selectors import is_active, list_choosable_folders
from digitalpost.audit.services import record_change
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.core.roles import Actor
from digitalpost.filing.models import Folder
from digitalpost.filing.selectors import INBOX, SENT
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import get_contact

MAX_POWER_YEARS = 10


def _folders(power: PowerOfAttorney) -> str | list[dict[str, str]]:
    """What the power opens, for the audit log: "all", or Inbox/Sent and the own folders by id and name."""
    if power.scope != PowerOfAttorney.Scope.FOLDERS:
        return "all"
    boxes = [{"box": box} for box, chosen in ((INBOX, power.opens_inbox), (SENT, power.opens_sent)) if chosen]
    return boxes + [{"id": str(f.pk), "name": f.name} for f in sorted(power.folders.all(), key=lambda f: f.name)]


def _picture(power: PowerOfAttorney) -> dict[str, Any]:
    return {"grantor": str(power.grantor_id), "grantor_name": power.grantor.name, "holder": str(power.holder_id),
            "holder_name": power.holder.name, "level": power.level, "scope": power.scope,
            "folders": _folders(power), "starts_on": power.starts_on.isoformat(),
            "ends_on": power.ends_on.isoformat() if power.ends_on else None, "reason": power.reason,
            "registered_by": power.registered_by, "registered_in": power.registered_in,
            "ended_at": power.ended_at.isoformat() if power.ended_at else None, "ended_by": power.ended_by}


def citizen_actor(contact: Contact) -> Actor:
    """The audit log's name for a citizen acting in the web mailbox: the register's opaque id and their name."""
    return Actor(f"citizen:{contact.pk} {contact.name}")


def find_holder(cpr: str) -> Contact:
    """The citizen a CPR number names, who can sign in to hold a power; refused when there is none."""
    try:
        number = normalise_party_id(IdType.CPR, cpr)
    except DigitalPostError:
        raise DigitalPostError(ErrorCode.ATTORNEY_HOLDER_UNKNOWN) from None
    holder = get_contact(Contact.Kind.CITIZEN, number)
    if holder is None or holder.status == Contact.Status.CLOSED:
        raise DigitalPostError(ErrorCode.ATTORNEY_HOLDER_UNKNOWN)
    return holder


def _check(grantor: Contact, holder: Contact, level: str, starts_on: date, ends_on: date | None) -> None:
    if grantor.kind != Contact.Kind.CITIZEN:
        raise DigitalPostError(ErrorCode.ATTORNEY_HOLDER_UNKNOWN, "the grantor is not a citizen")
    if holder.pk == grantor.pk:
        raise DigitalPostError(ErrorCode.ATTORNEY_HOLDER_SELF)
    if level not in PowerOfAttorney.Level.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"unknown level {level!r}")
    today = timezone.localdate()
    last = ends_on or starts_on
    if ends_on is not None and (ends_on < starts_on or ends_on < today):
        raise DigitalPostError(ErrorCode.ATTORNEY_PERIOD_INVALID, "ends before it starts or before today")
    if (last - today).days > MAX_POWER_YEARS * 366 or (starts_on - today).days > MAX_POWER_YEARS * 366:
        raise DigitalPostError(ErrorCode.ATTORNEY_PERIOD_INVALID, f"at most {MAX_POWER_YEARS} years")


def _chosen_folders(grantor: Contact, chosen: Collection[str]) -> tuple[bool, bool, list[Folder]]:
    """(Inbox, Sent, own folders) from the form's choices: "inbox", "sent" and ids of the grantor's own folders.
    Deleted, another person's folder or nothing at all is refused."""
    own = {f.pk: f for f in list_choosable_folders(grantor.pk)}
    folders: list[Folder] = []
    for choice in set(chosen) - {INBOX, SENT}:
        try:
            folder = own.get(uuid.UUID(str(choice)))
        except ValueError:
            folder = None
        if folder is None:
            raise DigitalPostError(ErrorCode.ATTORNEY_FOLDERS_INVALID, "not one of the grantor's folders")
        folders.append(folder)
    inbox, sent = INBOX in chosen, SENT in chosen
    if not (inbox or sent or folders):
        raise DigitalPostError(ErrorCode.ATTORNEY_FOLDERS_INVALID, "no folder chosen")
    return inbox, sent, folders


@transaction.atomic
def grant_power(
    *, grantor: Contact, holder: Contact, level: str, starts_on: date, ends_on: date | None, actor: Actor,
    organisation: str = "", reason: str = "", folders: Collection[str] | None = None,
) -> PowerOfAttorney:
    """Give `holder` access to `grantor`'s mailbox for the period. Called by the grantor (no organisation) or by
    citizen-service staff (their organisation's CVR, and a reason that is then required).

    `folders` None opens the whole mailbox; otherwise it names what the power is limited to: "inbox", "sent" and
    ids of the grantor's own folders (at least one)."""
    _check(grantor, holder, level, starts_on, ends_on)
    reason = reason.strip()
    if organisation and not reason:
        raise DigitalPostError(ErrorCode.ATTORNEY_REASON_MISSING)
    inbox, sent, own_folders = _chosen_folders(grantor, folders) if folders is not None else (False, False, [])
    power = PowerOfAttorney.objects.create(
        grantor=grantor, holder=holder, level=level, starts_on=starts_on, ends_on=ends_on,
        scope=PowerOfAttorney.Scope.WHOLE_MAILBOX if folders is None else PowerOfAttorney.Scope.FOLDERS,
        opens_inbox=inbox, opens_sent=sent,
        registered_by=actor.label[:150], registered_in=organisation, reason=reason, created_at=timezone.now(),
    )
    power.folders.set(own_folders)
    record_change(actor=actor, organisation=organisation, action="attorney.granted", target=power,
                  before=None, after=_picture(power))
    return power


@transaction.atomic
def end_power(*, power: PowerOfAttorney, actor: Actor, organisation: str = "") -> PowerOfAttorney:
    """End a power now (by its grantor, its holder or citizen service): no access from this request on."""
    locked = PowerOfAttorney.objects.select_for_update().select_related("grantor", "holder").get(pk=power.pk)
    if locked.ended_at is not None:
        return locked
    before = _picture(locked)
    locked.ended_at = timezone.now()
    locked.ended_by = actor.label[:150]
    locked.save(update_fields=["ended_at", "ended_by"])
    record_change(actor=actor, organisation=organisation, action="attorney.ended", target=locked,
                  before=before, after=_picture(locked))
    return locked


@transaction.atomic
def record_use(*, power: PowerOfAttorney, actor: Actor) -> None:
    """The holder switched into the grantor's mailbox: one audit entry per switch (refused when not in force)."""
    power = PowerOfAttorney.objects.select_for_update().select_related("grantor", "holder").get(pk=power.pk)
    if not is_active(power):  # read again under the lock: an end committed a moment ago wins
        raise DigitalPostError(ErrorCode.ATTORNEY_NOT_ACTIVE)
    record_change(actor=actor, organisation=power.registered_in, action="attorney.used", target=power,
                  after={"grantor": str(power.grantor_id), "holder": str(power.holder_id), "level": power.level,
                         "scope": power.scope, "folders": _folders(power)})
