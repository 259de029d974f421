"""/apis/v1/push-endpoints: the calling system's receipt-push endpoints, and replaying events after a cursor.

Endpoints are registered by the organisation's administrators (portal or admin API); the system itself may list
them and ask for events to be pushed again (docs/receipt-push.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Router, Schema, Status

from digitalpost.api.schemas import ProblemOut
from digitalpost.api.sender.auth import SystemRequest
from digitalpost.messages.services.pushes import replay_events
from digitalpost.systems.models import SenderPushEndpoint
from digitalpost.systems.selectors import get_push_endpoint, list_push_endpoints

router = Router(tags=["receipt push"])


class SenderPushEndpointOut(Schema):
    id: uuid.UUID
    url: str
    signing: str = Field(description="HMAC or RSA")
    eventTypes: list[str] = Field(description="The pushed types; empty: all.")
    isActive: bool
    failingSince: datetime | None

    @classmethod
    def of(cls, endpoint: SenderPushEndpoint) -> SenderPushEndpointOut:
        return cls(id=endpoint.pk, url=endpoint.url, signing=endpoint.signing, eventTypes=list(endpoint.event_types),
                   isActive=endpoint.is_active, failingSince=endpoint.failing_since)


class ReplayIn(Schema):
    after: int = Field(ge=0, description="An eventId from an earlier push: every event after it is pushed again.")


class ReplayOut(Schema):
    queued: int = Field(description="Events queued for the endpoint, in order (at most 10 000 per call).")


@router.get("/push-endpoints", response=list[SenderPushEndpointOut], summary="List receipt-push endpoints")
def push_endpoints(request: SystemRequest) -> list[SenderPushEndpointOut]:
    return [SenderPushEndpointOut.of(e) for e in list_push_endpoints(request.auth)]


@router.post("/push-endpoints/{endpoint_id}/replay", response={202: ReplayOut, 404: ProblemOut, 409: ProblemOut},
             summary="Push events again after a cursor",
             description="Every receipt and event of this system's messages with an eventId above `after` is "
                         "pushed again, in order. 409 push.endpoint.inactive while the endpoint is deactivated.")
def replay(request: SystemRequest, endpoint_id: uuid.UUID, body: ReplayIn) -> Status[ReplayOut]:
    endpoint = get_push_endpoint(request.auth, endpoint_id)
    return Status(202, ReplayOut(queued=replay_events(endpoint, after=body.after)))
