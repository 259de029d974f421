"""Schemas of mass sends: the answer to an archive, its progress, and its per-item receipts."""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Schema

from digitalpost.bulk.models import MassSend, MassSendItem
from digitalpost.bulk.selectors import get_mass_send_state


class MassSendOut(Schema):
    massSendId: uuid.UUID
    state: str = Field(description="RUNNING, COMPLETED, DAMAGED (read up to the damage) or INTERRUPTED (stopped "
                                   "without finishing: send the archive again)")
    items: int = Field(description="Archive items handled so far")
    accepted: int = Field(description="Items accepted as new messages")
    replayed: int = Field(description="Items accepted before (same messageUUID and content): receipt replayed")
    refused: int = Field(description="Items refused; their receipts say why")
    compressedBytes: int
    errorCode: str | None = None
    errorMessage: str | None = None
    startedAt: datetime
    updatedAt: datetime
    finishedAt: datetime | None = None

    @classmethod
    def of(cls, mass: MassSend) -> MassSendOut:
        return cls(
            massSendId=mass.pk, state=get_mass_send_state(mass), items=mass.items, accepted=mass.accepted,
            replayed=mass.replayed, refused=mass.refused, compressedBytes=mass.compressed_bytes,
            errorCode=mass.error_code or None, errorMessage=mass.error_message or None, startedAt=mass.started_at,
            updatedAt=mass.updated_at, finishedAt=mass.finished_at,
        )


class MassSendItemOut(Schema):
    """One item's receipt, in the national receipt shape plus where it sat in the archive."""

    position: int = Field(description="1-based order of the file in the archive")
    name: str = Field(description="The file's name in the archive")
    transmissionId: uuid.UUID | None
    messageUUID: str | None
    messageId: uuid.UUID | None
    receiptStatus: str
    errorCode: str | None = None
    errorMessage: str | None = None
    timeStamp: datetime
    channel: str | None = None
    replayed: bool = Field(description="Accepted before with the same content: this is the original receipt")

    @classmethod
    def of(cls, item: MassSendItem) -> MassSendItemOut:
        message = item.message
        return cls(
            position=item.position, name=item.name,
            transmissionId=message.transmission_id if message else None,
            messageUUID=item.message_uuid or None, messageId=message.pk if message else None,
            receiptStatus=item.status, errorCode=item.error_code or None, errorMessage=item.error_message or None,
            timeStamp=message.accepted_at if message else item.created_at,
            channel=message.channel if message else None, replayed=item.is_replay,
        )


class MassSendItemPageOut(Schema):
    items: list[MassSendItemOut]
    cursor: int = Field(description="Pass as ?after= for the next items (the last position returned)")
