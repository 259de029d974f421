"""/apis/v1/admin/organisations[/{cvr}]: the organisations the token's user works in, and their profile.

The secure-mail policy (refuse SHA-1 signatures) is the organisation's own choice; permissions (mandatory, legal
notification) are granted by the platform operator, never by the organisation.
"""

from __future__ import annotations

from ninja import Router

from digitalpost.accounts.selectors import OrgAccess, organisations_of
from digitalpost.api.admin.access import org_operation, signed_in_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS
from digitalpost.api.admin.inputs import OrganisationIn, PermissionsIn, SecureMailPolicyIn
from digitalpost.api.admin.schemas import OrganisationOut, OrganisationRefOut
from digitalpost.authorities.services.organisation import (
    set_authority_permissions,
    set_secure_mail_policy,
    update_authority_profile,
)
from digitalpost.core.roles import Action

router = Router(tags=["admin: organisations"])


@router.get("/organisations", response={200: list[OrganisationRefOut], 401: ERRORS[401]},
            summary="My organisations")
@signed_in_operation
def list_my_organisations(request: AdminRequest) -> list[OrganisationRefOut]:
    """Every organisation the token's user has a role in (operators: every organisation)."""
    return [OrganisationRefOut(cvr=a.cvr, name=a.name) for a in organisations_of(request.auth)]


@router.get("/organisations/{cvr}", response={200: OrganisationOut, **ERRORS}, summary="Organisation profile")
@org_operation(Action.VIEW_SETUP)
def get_organisation(request: AdminRequest, org: OrgAccess) -> OrganisationOut:
    return OrganisationOut.of(org.authority)


@router.put("/organisations/{cvr}", response={200: OrganisationOut, **WRITE_ERRORS},
            summary="Change the organisation profile",
            description="Name, type, technical and business contacts, reply deadline. Not the CVR or permissions.")
@org_operation(Action.EDIT_SETUP)
def put_organisation(request: AdminRequest, org: OrgAccess, body: OrganisationIn) -> OrganisationOut:
    tech, business = body.technicalContact, body.businessContact
    return OrganisationOut.of(update_authority_profile(
        authority=org.authority, name=body.name, kind=body.kind, technical_contact_name=tech.name,
        technical_contact_email=tech.email, technical_contact_phone=tech.phone,
        business_contact_name=business.name, business_contact_email=business.email,
        business_contact_phone=business.phone, reply_deadline_days=body.replyDeadlineDays, actor=org.actor,
    ))


@router.put("/organisations/{cvr}/secure-mail", response={200: OrganisationOut, **WRITE_ERRORS},
            summary="Change the secure-mail policy",
            description="Whether replies signed with the SHA-1 digest are refused (signature.sha1.refused), and "
                        "whether new letters may be addressed in NgDP's gateway address form.")
@org_operation(Action.EDIT_SETUP)
def put_secure_mail_policy(request: AdminRequest, org: OrgAccess, body: SecureMailPolicyIn) -> OrganisationOut:
    return OrganisationOut.of(set_secure_mail_policy(
        authority=org.authority, refuse_sha1_signatures=body.refuseSha1Signatures,
        accepts_gateway_addresses=body.acceptGatewayAddresses, actor=org.actor,
    ))


@router.put("/organisations/{cvr}/permissions", response={200: OrganisationOut, **WRITE_ERRORS},
            summary="Change permissions (platform operators)")
@org_operation(Action.OPERATE_PLATFORM)
def put_permissions(request: AdminRequest, org: OrgAccess, body: PermissionsIn) -> OrganisationOut:
    return OrganisationOut.of(set_authority_permissions(
        authority=org.authority, may_send_mandatory=body.maySendMandatory,
        may_send_legal_notification=body.maySendLegalNotification, actor=org.actor,
    ))
