"""GET /apis/v1/messages/{messageUUID}/events: a message's timeline with its final flag."""

from __future__ import annotations

import uuid

from ninja import Router

from digitalpost.api.schemas import ProblemOut
from digitalpost.api.sender.auth import SystemRequest
from digitalpost.api.sender.schemas import EventOut, TimelineOut
from digitalpost.core.lifecycle import is_final
from digitalpost.messages.selectors import access_message_for_system, list_timeline

router = Router(tags=["messages"])


@router.get("/messages/{message_uuid}/events", response={200: TimelineOut, 404: ProblemOut}, summary="Timeline")
def message_events(request: SystemRequest, message_uuid: uuid.UUID) -> TimelineOut:
    message = access_message_for_system(request.auth, message_uuid)
    events = list(list_timeline(message))
    return TimelineOut(
        messageUUID=message.message_uuid,
        messageId=message.id,
        final=is_final([e.kind for e in events]),
        events=[EventOut.of(e) for e in events],
        contentDeletedAt=message.content_deleted_at,
    )
