"""/apis/v1/admin/organisations/{cvr}/secure-addresses and …/certificates.

A secure address comes with its certificate (checked at once: parse, key usage, chain, expiry, e-mail) and
its receiver system. Deleting one that mailboxes use is refused with their names, unless `repointTo` names
another receiver system to move them to in the same step.
"""

from __future__ import annotations

import uuid

from django.utils import timezone
from ninja import Router, Status

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS, anchors
from digitalpost.api.admin.inputs import CertificateIn, SecureAddressIn
from digitalpost.api.admin.schemas import (
    CertificateOut,
    DeletedSecureAddressOut,
    RefOut,
    SecureAddressOut,
)
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Action
from digitalpost.systems.selectors import (
    get_receiver_system,
    get_secure_address,
    list_certificates,
    list_secure_addresses,
)
from digitalpost.systems.services.receivers import (
    create_secure_address,
    delete_secure_address,
    renew_secure_address_certificate,
)

router = Router(tags=["admin: secure addresses and certificates"])
BASE = "/organisations/{cvr}/secure-addresses"
ONE = BASE + "/{address_id}"
CERTIFICATES = "/organisations/{cvr}/certificates"


@router.get(BASE, response={200: list[SecureAddressOut], **ERRORS}, summary="List secure addresses")
@org_operation(Action.VIEW_SETUP)
def get_secure_addresses(request: AdminRequest, org: OrgAccess) -> list[SecureAddressOut]:
    return [SecureAddressOut.of(address) for address in list_secure_addresses(org.authority)]


@router.get(ONE, response={200: SecureAddressOut, **ERRORS}, summary="Get a secure address")
@org_operation(Action.VIEW_SETUP)
def get_address(request: AdminRequest, org: OrgAccess, address_id: uuid.UUID) -> SecureAddressOut:
    return SecureAddressOut.of(get_secure_address(org.authority, address_id))


@router.post(BASE, response={201: SecureAddressOut, **WRITE_ERRORS}, summary="Create a secure address")
@org_operation(Action.EDIT_SETUP)
def post_address(request: AdminRequest, org: OrgAccess, body: SecureAddressIn) -> Status[SecureAddressOut]:
    receiver = create_secure_address(authority=org.authority, email=body.email,
                                     certificate_pem=body.certificatePem.encode(), trust_anchors=anchors(),
                                     receiver_name=body.receiverName, actor=org.actor)
    assert receiver.secure_address_id is not None
    return Status(201, SecureAddressOut.of(get_secure_address(org.authority, receiver.secure_address_id)))


@router.put(f"{ONE}/certificate", response={200: SecureAddressOut, **WRITE_ERRORS},
            summary="Renew the certificate")
@org_operation(Action.EDIT_SETUP)
def put_address_certificate(
    request: AdminRequest, org: OrgAccess, address_id: uuid.UUID, body: CertificateIn
) -> SecureAddressOut:
    renew_secure_address_certificate(address=get_secure_address(org.authority, address_id),
                                     certificate_pem=body.certificatePem.encode(), trust_anchors=anchors(),
                                     actor=org.actor)
    return SecureAddressOut.of(get_secure_address(org.authority, address_id))


@router.delete(ONE, response={200: DeletedSecureAddressOut, **WRITE_ERRORS}, summary="Delete a secure address",
               description="Refused (409 secure.address.in.use, naming the mailboxes) while mailboxes deliver "
                           "to it, unless ?repointTo= names another receiver system to move them to.")
@org_operation(Action.EDIT_SETUP)
def remove_address(
    request: AdminRequest, org: OrgAccess, address_id: uuid.UUID, repointTo: uuid.UUID | None = None
) -> DeletedSecureAddressOut:
    target = get_receiver_system(org.authority, repointTo) if repointTo else None
    moved = delete_secure_address(address=get_secure_address(org.authority, address_id), repoint_to=target,
                                  actor=org.actor)
    return DeletedSecureAddressOut(repointedMailboxes=[RefOut(id=mb.pk, name=mb.name) for mb in moved])


@router.get(CERTIFICATES, response={200: list[CertificateOut], **ERRORS}, summary="List certificates",
            description="Every certificate of the organisation with what uses it, soonest expiry first.")
@org_operation(Action.VIEW_SETUP)
def get_certificates(request: AdminRequest, org: OrgAccess) -> list[CertificateOut]:
    return [CertificateOut.of(use) for use in list_certificates(org.authority, at=timezone.now())]


@router.get(f"{CERTIFICATES}/{{certificate_id}}", response={200: CertificateOut, **ERRORS},
            summary="Get a certificate")
@org_operation(Action.VIEW_SETUP)
def get_certificate(request: AdminRequest, org: OrgAccess, certificate_id: uuid.UUID) -> CertificateOut:
    for use in list_certificates(org.authority, at=timezone.now()):
        if use.certificate.pk == certificate_id:
            return CertificateOut.of(use)
    raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, f"certificate {certificate_id}")
