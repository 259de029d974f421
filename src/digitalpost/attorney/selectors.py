"""Reads of powers of attorney: which are active today, the doors to one power for its grantor or holder, and the
mailbox viewer a holder acts as (with the power's folder limit)."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.filing.models import Folder
from digitalpost.filing.selectors import INBOX, SENT, list_folders
from digitalpost.messages.selectors import FolderScope, MailboxViewer


def active_powers(on: date | None = None) -> QuerySet[PowerOfAttorney]:
    """Powers in force on `on` (default today): started, not past their last day, not ended."""
    on = on or timezone.localdate()
    return PowerOfAttorney.objects.filter(ended_at=None, starts_on__lte=on).filter(
        Q(ends_on=None) | Q(ends_on__gte=on))


def list_active_powers_held(holder_id: uuid.UUID, *, on: date | None = None) -> list[PowerOfAttorney]:
    """The mailboxes the holder may open today (the header's switcher), by the grantor's name."""
    return list(active_powers(on).filter(holder_id=holder_id).select_related("grantor")
                .prefetch_related("folders").order_by("grantor__name", "starts_on"))


def active_power_held(holder_id: uuid.UUID, power_id: uuid.UUID | str, *, on: date | None = None) \
        -> PowerOfAttorney | None:
    """The one power the holder acts under, if it is still in force: asked on every request made with it."""
    try:
        return (active_powers(on).select_related("grantor", "holder").prefetch_related("folders")
                .filter(holder_id=holder_id, pk=power_id).first())
    except (ValueError, TypeError):
        return None


def list_powers_given(grantor_id: uuid.UUID) -> list[PowerOfAttorney]:
    return list(PowerOfAttorney.objects.filter(grantor_id=grantor_id).select_related("holder")
                .prefetch_related("folders").order_by("-created_at"))


def list_powers_held(holder_id: uuid.UUID) -> list[PowerOfAttorney]:
    return list(PowerOfAttorney.objects.filter(holder_id=holder_id).select_related("grantor")
                .prefetch_related("folders").order_by("-created_at"))


def get_power_given(grantor_id: uuid.UUID, power_id: uuid.UUID) -> PowerOfAttorney | None:
    return PowerOfAttorney.objects.select_related("grantor", "holder").filter(grantor_id=grantor_id,
                                                                               pk=power_id).first()


def get_power_held(holder_id: uuid.UUID, power_id: uuid.UUID) -> PowerOfAttorney | None:
    return PowerOfAttorney.objects.select_related("grantor", "holder").filter(holder_id=holder_id,
                                                                               pk=power_id).first()


def is_active(power: PowerOfAttorney, *, on: date | None = None) -> bool:
    on = on or timezone.localdate()
    return power.ended_at is None and power.starts_on <= on and (power.ends_on is None or power.ends_on >= on)


def folder_scope(power: PowerOfAttorney) -> FolderScope | None:
    """What a power opens: None for the whole mailbox, else the chosen folders (Inbox and Sent by flag)."""
    if power.scope != PowerOfAttorney.Scope.FOLDERS:
        return None
    return FolderScope(folder_ids=frozenset(f.pk for f in power.folders.all()), inbox=power.opens_inbox,
                       sent=power.opens_sent)


def mailbox_viewer(power: PowerOfAttorney) -> MailboxViewer:
    """Who the holder is in the grantor's mailbox: the grantor, narrowed to the chosen folders if the power is."""
    return MailboxViewer(contact_id=power.grantor_id, folders=folder_scope(power))


def list_choosable_folders(grantor_id: uuid.UUID) -> list[Folder]:
    """The grantor's own folders a power may be limited to (besides Inbox and Sent, which are no rows), by name."""
    return list(list_folders(MailboxViewer(grantor_id)))


def list_chosen_folder_names(power: PowerOfAttorney) -> list[str]:
    """What a folder-limited power opens, as the pages name it: Inbox and Sent (in the page's language) first, then
    the grantor's folders by name. Empty for a power to the whole mailbox."""
    if power.scope != PowerOfAttorney.Scope.FOLDERS:
        return []
    boxes = [name for name, chosen in ((_("Inbox"), power.opens_inbox), (_("Sent"), power.opens_sent)) if chosen]
    return boxes + sorted(f.name for f in power.folders.all())


def list_folder_choices(grantor_id: uuid.UUID) -> list[tuple[str, str]]:
    """What a power may be limited to, as the forms' checkboxes: Inbox, Sent, then the grantor's own folders."""
    return [(INBOX, _("Inbox")), (SENT, _("Sent"))] + [(str(f.pk), f.name) for f in list_choosable_folders(grantor_id)]
