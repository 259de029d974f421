"""/apis/v1/admin/organisations/{cvr}/sender-systems: systems that send for the organisation, and the HTTPS
endpoints their receipts are pushed to (…/push-endpoints).

A new or rotated API token is returned once; only its hash is kept. Certificates are checked at once
(parse, key usage, chain, expiry) and refused with every problem found.
"""

from __future__ import annotations

import uuid

from ninja import Router, Status

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS, anchors
from digitalpost.api.admin.inputs import ActiveIn, CertificateIn, IpAllowlistIn, PushEndpointIn, SenderSystemIn
from digitalpost.api.admin.schemas import (
    IssuedTokenOut,
    PushEndpointCreatedOut,
    PushEndpointOut,
    SenderSystemCreatedOut,
    SenderSystemOut,
)
from digitalpost.core.roles import Action
from digitalpost.messages.services.pushes import deactivate_push_endpoint, reactivate_push_endpoint
from digitalpost.systems.selectors import get_push_endpoint, get_sender_system, list_push_endpoints, list_sender_systems
from digitalpost.systems.services.push_endpoints import delete_push_endpoint, register_push_endpoint
from digitalpost.systems.services.senders import (
    create_secure_mail_sender,
    create_sender_system,
    make_standard_sender_system,
    renew_sender_certificate,
    rotate_sender_token,
    set_ip_allowlist,
    set_sender_system_active,
)

router = Router(tags=["admin: sender systems"])
BASE = "/organisations/{cvr}/sender-systems"
ONE = BASE + "/{system_id}"


@router.get(BASE, response={200: list[SenderSystemOut], **ERRORS}, summary="List sender systems")
@org_operation(Action.VIEW_SETUP)
def get_sender_systems(request: AdminRequest, org: OrgAccess) -> list[SenderSystemOut]:
    return [SenderSystemOut.of(system) for system in list_sender_systems(org.authority)]


@router.get(ONE, response={200: SenderSystemOut, **ERRORS}, summary="Get a sender system")
@org_operation(Action.VIEW_SETUP)
def get_sender(request: AdminRequest, org: OrgAccess, system_id: uuid.UUID) -> SenderSystemOut:
    return SenderSystemOut.of(get_sender_system(org.authority, system_id))


@router.post(BASE, response={201: SenderSystemCreatedOut, **WRITE_ERRORS}, summary="Create a sender system",
             description="REST (token, optional mutual-TLS certificate) or SECURE_MAIL (signing certificate "
                         "required). Marked standard, it takes the flag from the previous standard system.")
@org_operation(Action.EDIT_SETUP)
def post_sender(request: AdminRequest, org: OrgAccess, body: SenderSystemIn) -> Status[SenderSystemCreatedOut]:
    pem = body.certificatePem.encode() if body.certificatePem else None
    if body.channel == "SECURE_MAIL":
        system = create_secure_mail_sender(authority=org.authority, name=body.name, certificate_pem=pem,
                                           trust_anchors=anchors(), is_standard=body.isStandard, actor=org.actor)
        token = None  # it signs mail with its certificate; it does not call the REST API
    else:
        issued = create_sender_system(authority=org.authority, name=body.name, is_standard=body.isStandard,
                                      certificate_pem=pem, trust_anchors=anchors() if pem else (), actor=org.actor)
        system, token = issued.system, issued.token
    return Status(201, SenderSystemCreatedOut(system=SenderSystemOut.of(get_sender_system(org.authority, system.pk)),
                                              token=token))


@router.post(f"{ONE}/token", response={201: IssuedTokenOut, **WRITE_ERRORS}, summary="Rotate the API token",
             description="The old token stops working (within seconds in every process).")
@org_operation(Action.EDIT_SETUP)
def post_sender_token(request: AdminRequest, org: OrgAccess, system_id: uuid.UUID) -> Status[IssuedTokenOut]:
    token = rotate_sender_token(system=get_sender_system(org.authority, system_id), actor=org.actor)
    return Status(201, IssuedTokenOut(token=token))


@router.put(f"{ONE}/certificate", response={200: SenderSystemOut, **WRITE_ERRORS}, summary="Renew the certificate")
@org_operation(Action.EDIT_SETUP)
def put_sender_certificate(
    request: AdminRequest, org: OrgAccess, system_id: uuid.UUID, body: CertificateIn
) -> SenderSystemOut:
    renew_sender_certificate(system=get_sender_system(org.authority, system_id),
                             certificate_pem=body.certificatePem.encode(), trust_anchors=anchors(), actor=org.actor)
    return SenderSystemOut.of(get_sender_system(org.authority, system_id))


@router.put(f"{ONE}/ip-allowlist", response={200: SenderSystemOut, **WRITE_ERRORS},
            summary="Replace the IP allow-list")
@org_operation(Action.EDIT_SETUP)
def put_ip_allowlist(
    request: AdminRequest, org: OrgAccess, system_id: uuid.UUID, body: IpAllowlistIn
) -> SenderSystemOut:
    set_ip_allowlist(system=get_sender_system(org.authority, system_id), entries=body.entries, actor=org.actor)
    return SenderSystemOut.of(get_sender_system(org.authority, system_id))


@router.post(f"{ONE}/standard", response={200: SenderSystemOut, **WRITE_ERRORS},
             summary="Make it the standard sender system")
@org_operation(Action.EDIT_SETUP)
def post_standard(request: AdminRequest, org: OrgAccess, system_id: uuid.UUID) -> SenderSystemOut:
    make_standard_sender_system(system=get_sender_system(org.authority, system_id), actor=org.actor)
    return SenderSystemOut.of(get_sender_system(org.authority, system_id))


@router.put(f"{ONE}/active", response={200: SenderSystemOut, **WRITE_ERRORS}, summary="Activate or deactivate",
            description="The standard sender system cannot be deactivated (409 standard.sender.system.removal).")
@org_operation(Action.EDIT_SETUP)
def put_active(request: AdminRequest, org: OrgAccess, system_id: uuid.UUID, body: ActiveIn) -> SenderSystemOut:
    set_sender_system_active(system=get_sender_system(org.authority, system_id), is_active=body.isActive,
                             actor=org.actor)
    return SenderSystemOut.of(get_sender_system(org.authority, system_id))


# --- receipt push: the system's HTTPS endpoints for its receipts and events (docs/receipt-push.md) ---------------

PUSH = ONE + "/push-endpoints"
PUSH_ONE = PUSH + "/{endpoint_id}"


@router.get(PUSH, response={200: list[PushEndpointOut], **ERRORS}, summary="List receipt-push endpoints")
@org_operation(Action.VIEW_SETUP)
def get_push_endpoints(request: AdminRequest, org: OrgAccess, system_id: uuid.UUID) -> list[PushEndpointOut]:
    return [PushEndpointOut.of(e) for e in list_push_endpoints(get_sender_system(org.authority, system_id))]


@router.post(PUSH, response={201: PushEndpointCreatedOut, **WRITE_ERRORS}, summary="Register a receipt-push endpoint",
             description="Events of the system's messages appended from now on are POSTed to the URL, signed. "
                         "With HMAC signing the secret is returned once.")
@org_operation(Action.EDIT_SETUP)
def post_push_endpoint(
    request: AdminRequest, org: OrgAccess, system_id: uuid.UUID, body: PushEndpointIn
) -> Status[PushEndpointCreatedOut]:
    registered = register_push_endpoint(system=get_sender_system(org.authority, system_id), url=body.url,
                                        signing=body.signing, event_types=body.eventTypes, actor=org.actor)
    return Status(201, PushEndpointCreatedOut(endpoint=PushEndpointOut.of(registered.endpoint),
                                              secret=registered.secret))


@router.put(f"{PUSH_ONE}/active", response={200: PushEndpointOut, **WRITE_ERRORS},
            summary="Reactivate or deactivate a receipt-push endpoint",
            description="Reactivated, what waited for it is pushed in order from where it stopped.")
@org_operation(Action.EDIT_SETUP)
def put_push_endpoint_active(
    request: AdminRequest, org: OrgAccess, system_id: uuid.UUID, endpoint_id: uuid.UUID, body: ActiveIn
) -> PushEndpointOut:
    endpoint = get_push_endpoint(get_sender_system(org.authority, system_id), endpoint_id)
    if body.isActive:
        endpoint = reactivate_push_endpoint(endpoint, actor=org.actor)
    else:
        endpoint = deactivate_push_endpoint(endpoint, actor=org.actor)
    return PushEndpointOut.of(endpoint)


@router.delete(PUSH_ONE, response={204: None, **WRITE_ERRORS}, summary="Delete a receipt-push endpoint")
@org_operation(Action.EDIT_SETUP)
def delete_push_endpoint_route(
    request: AdminRequest, org: OrgAccess, system_id: uuid.UUID, endpoint_id: uuid.UUID
) -> Status[None]:
    delete_push_endpoint(endpoint=get_push_endpoint(get_sender_system(org.authority, system_id), endpoint_id),
                         actor=org.actor)
    return Status(204, None)
