"""Reads of powers of attorney: which are active today, and the doors to one power for its grantor or holder."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from digitalpost.attorney.models import PowerOfAttorney


def active_powers(on: date | None = None) -> QuerySet[PowerOfAttorney]:
    """Powers in force on `on` (default today): started, not past their last day, not ended."""
    on = on or timezone.localdate()
    return PowerOfAttorney.objects.filter(ended_at=None, starts_on__lte=on).filter(
        Q(ends_on=None) | Q(ends_on__gte=on))


def list_active_powers_held(holder_id: uuid.UUID, *, on: date | None = None) -> list[PowerOfAttorney]:
    """The mailboxes the holder may open today (the header's switcher), by the grantor's name."""
    return list(active_powers(on).filter(holder_id=holder_id).select_related("grantor")
                .order_by("grantor__name", "starts_on"))


def active_power_held(holder_id: uuid.UUID, power_id: uuid.UUID | str, *, on: date | None = None) \
        -> PowerOfAttorney | None:
    """The one power the holder acts under, if it is still in force: asked on every request made with it."""
    try:
        return active_powers(on).select_related("grantor").filter(holder_id=holder_id, pk=power_id).first()
    except (ValueError, TypeError):
        return None


def list_powers_given(grantor_id: uuid.UUID) -> list[PowerOfAttorney]:
    return list(PowerOfAttorney.objects.filter(grantor_id=grantor_id).select_related("holder")
                .order_by("-created_at"))


def list_powers_held(holder_id: uuid.UUID) -> list[PowerOfAttorney]:
    return list(PowerOfAttorney.objects.filter(holder_id=holder_id).select_related("grantor")
                .order_by("-created_at"))


def get_power_given(grantor_id: uuid.UUID, power_id: uuid.UUID) -> PowerOfAttorney | None:
    return PowerOfAttorney.objects.select_related("grantor", "holder").filter(grantor_id=grantor_id,
                                                                               pk=power_id).first()


def get_power_held(holder_id: uuid.UUID, power_id: uuid.UUID) -> PowerOfAttorney | None:
    return PowerOfAttorney.objects.select_related("grantor", "holder").filter(holder_id=holder_id,
                                                                               pk=power_id).first()


def is_active(power: PowerOfAttorney, *, on: date | None = None) -> bool:
    on = on or timezone.localdate()
    return power.ended_at is None and power.starts_on <= on and (power.ends_on is None or power.ends_on >= on)
