"""Reads of mass sends: only through `access_mass_send`, which answers for the sending system's own only."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from digitalpost.bulk.models import MassSend, MassSendItem
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.systems.models import SenderSystem

INTERRUPTED = "INTERRUPTED"
ITEM_FIELDS = ("position", "name", "message_uuid", "status", "is_replay", "error_code", "error_message",
               "created_at", "mass_send_id", "message__id", "message__transmission_id", "message__channel",
               "message__accepted_at")


def access_mass_send(system: SenderSystem, mass_send_id: uuid.UUID) -> MassSend:
    """The only way an endpoint loads a mass send: the same answer for absent and another system's."""
    found = MassSend.objects.filter(pk=mass_send_id, sender_system=system).first()
    if found is None:
        raise DigitalPostError(ErrorCode.MASS_SEND_NOT_FOUND, str(mass_send_id))
    return found


def get_mass_send_state(mass: MassSend) -> str:
    """The state to show: a RUNNING mass send without progress for a while was interrupted (its process died)."""
    stale = timezone.now() - timedelta(seconds=settings.DIGITALPOST_BULK_STALE_SECONDS)
    if mass.state == MassSend.State.RUNNING and mass.updated_at < stale:
        return INTERRUPTED
    return str(mass.state)


def list_mass_send_items(mass: MassSend, *, after: int, limit: int) -> list[MassSendItem]:
    """Item receipts in archive order after position `after` (message fields only, never the MeMo bytes)."""
    rows = (MassSendItem.objects.filter(mass_send=mass, position__gt=after).select_related("message")
            .only(*ITEM_FIELDS).order_by("position")[:limit])
    return list(rows)
