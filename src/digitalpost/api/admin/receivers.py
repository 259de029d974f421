"""/apis/v1/admin/organisations/{cvr}/receiver-systems: where the organisation's inquiries are delivered.

REST pull and REST push receivers are created here; secure-address receivers come and go with their secure
address (…/secure-addresses). A pull receiver's token is returned once.
"""

from __future__ import annotations

import uuid

from ninja import Router, Status

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS
from digitalpost.api.admin.inputs import ReceiverSystemIn
from digitalpost.api.admin.schemas import IssuedTokenOut, ReceiverSystemCreatedOut, ReceiverSystemOut
from digitalpost.core.roles import Action
from digitalpost.systems.selectors import get_receiver_system, list_receiver_systems
from digitalpost.systems.services.receivers import (
    create_pull_receiver,
    create_push_receiver,
    delete_receiver_system,
    reactivate_receiver_system,
    rotate_receiver_token,
)

router = Router(tags=["admin: receiver systems"])
BASE = "/organisations/{cvr}/receiver-systems"
ONE = BASE + "/{receiver_id}"


@router.get(BASE, response={200: list[ReceiverSystemOut], **ERRORS}, summary="List receiver systems")
@org_operation(Action.VIEW_SETUP)
def get_receivers(request: AdminRequest, org: OrgAccess) -> list[ReceiverSystemOut]:
    return [ReceiverSystemOut.of(receiver) for receiver in list_receiver_systems(org.authority)]


@router.get(ONE, response={200: ReceiverSystemOut, **ERRORS}, summary="Get a receiver system")
@org_operation(Action.VIEW_SETUP)
def get_receiver(request: AdminRequest, org: OrgAccess, receiver_id: uuid.UUID) -> ReceiverSystemOut:
    return ReceiverSystemOut.of(get_receiver_system(org.authority, receiver_id))


@router.post(BASE, response={201: ReceiverSystemCreatedOut, **WRITE_ERRORS}, summary="Create a REST receiver")
@org_operation(Action.EDIT_SETUP)
def post_receiver(request: AdminRequest, org: OrgAccess, body: ReceiverSystemIn) -> Status[ReceiverSystemCreatedOut]:
    token = None
    if body.kind == "REST_PULL":
        receiver, token = create_pull_receiver(authority=org.authority, name=body.name, actor=org.actor)
    else:
        receiver = create_push_receiver(authority=org.authority, name=body.name, endpoint_url=body.endpointUrl,
                                        actor=org.actor)
    out = ReceiverSystemOut.of(get_receiver_system(org.authority, receiver.pk))
    return Status(201, ReceiverSystemCreatedOut(receiver=out, token=token))


@router.post(f"{ONE}/token", response={201: IssuedTokenOut, **WRITE_ERRORS},
             summary="Rotate a pull receiver's token")
@org_operation(Action.EDIT_SETUP)
def post_receiver_token(request: AdminRequest, org: OrgAccess, receiver_id: uuid.UUID) -> Status[IssuedTokenOut]:
    token = rotate_receiver_token(receiver=get_receiver_system(org.authority, receiver_id), actor=org.actor)
    return Status(201, IssuedTokenOut(token=token))


@router.post(f"{ONE}/reactivate", response={200: ReceiverSystemOut, **WRITE_ERRORS},
             summary="Take a deactivated receiver back into use")
@org_operation(Action.EDIT_SETUP)
def post_reactivate(request: AdminRequest, org: OrgAccess, receiver_id: uuid.UUID) -> ReceiverSystemOut:
    reactivate_receiver_system(receiver=get_receiver_system(org.authority, receiver_id), actor=org.actor)
    return ReceiverSystemOut.of(get_receiver_system(org.authority, receiver_id))


@router.delete(ONE, response={204: None, **WRITE_ERRORS}, summary="Delete a REST receiver",
               description="Refused while mailboxes use it (409 receiver.system.in.use, naming them).")
@org_operation(Action.EDIT_SETUP)
def remove_receiver(request: AdminRequest, org: OrgAccess, receiver_id: uuid.UUID) -> Status[None]:
    delete_receiver_system(receiver=get_receiver_system(org.authority, receiver_id), actor=org.actor)
    return Status(204, None)
