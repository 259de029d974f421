"""/apis/v1/admin/organisations/{cvr}/materials and …/subscription-groups: kinds of letters, where their
replies go, and the groups citizens subscribe to."""

from __future__ import annotations

import uuid

from ninja import Router, Status

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS
from digitalpost.api.admin.inputs import MaterialIn, SubscriptionGroupIn
from digitalpost.api.admin.schemas import MaterialOut, SubscriptionGroupOut
from digitalpost.authorities.models import Material
from digitalpost.authorities.selectors import (
    access_mailbox,
    access_material,
    access_subscription_group,
    get_standard_mailbox,
    list_materials,
    list_subscription_groups,
    material_problems,
)
from digitalpost.authorities.services.materials import (
    create_material,
    create_subscription_group,
    delete_material,
    delete_subscription_group,
    update_material,
    update_subscription_group,
)
from digitalpost.core.roles import Action

router = Router(tags=["admin: materials"])
MATERIALS = "/organisations/{cvr}/materials"
GROUPS = "/organisations/{cvr}/subscription-groups"


def _out(org: OrgAccess, material: Material) -> MaterialOut:
    standard = get_standard_mailbox(org.authority)
    return MaterialOut.of(material, material_problems(material, authority=org.authority, standard=standard))


def _material_values(org: OrgAccess, body: MaterialIn) -> dict[str, object]:
    return {
        "name": body.name, "description": body.description, "reply_rule": body.replyRule,
        "reply_mailbox": access_mailbox(org.authority, body.replyMailboxId) if body.replyMailboxId else None,
        "is_mandatory": body.isMandatory,
    }


def _materials(org: OrgAccess, ids: list[uuid.UUID]) -> list[Material]:
    return [access_material(org.authority, material_id) for material_id in dict.fromkeys(ids)]


@router.get(MATERIALS, response={200: list[MaterialOut], **ERRORS}, summary="List materials")
@org_operation(Action.VIEW_SETUP)
def get_materials(request: AdminRequest, org: OrgAccess) -> list[MaterialOut]:
    return [_out(org, material) for material in list_materials(org.authority)]


@router.get(f"{MATERIALS}/{{material_id}}", response={200: MaterialOut, **ERRORS}, summary="Get a material")
@org_operation(Action.VIEW_SETUP)
def get_material(request: AdminRequest, org: OrgAccess, material_id: uuid.UUID) -> MaterialOut:
    return _out(org, access_material(org.authority, material_id))


@router.post(MATERIALS, response={201: MaterialOut, **WRITE_ERRORS}, summary="Create a material")
@org_operation(Action.EDIT_SETUP)
def post_material(request: AdminRequest, org: OrgAccess, body: MaterialIn) -> Status[MaterialOut]:
    material = create_material(authority=org.authority, actor=org.actor, **_material_values(org, body))  # type: ignore[arg-type]
    return Status(201, _out(org, access_material(org.authority, material.pk)))


@router.put(f"{MATERIALS}/{{material_id}}", response={200: MaterialOut, **WRITE_ERRORS}, summary="Change a material")
@org_operation(Action.EDIT_SETUP)
def put_material(request: AdminRequest, org: OrgAccess, material_id: uuid.UUID, body: MaterialIn) -> MaterialOut:
    update_material(material=access_material(org.authority, material_id), actor=org.actor,
                    **_material_values(org, body))  # type: ignore[arg-type]
    return _out(org, access_material(org.authority, material_id))


@router.delete(f"{MATERIALS}/{{material_id}}", response={204: None, **WRITE_ERRORS}, summary="Delete a material")
@org_operation(Action.EDIT_SETUP)
def remove_material(request: AdminRequest, org: OrgAccess, material_id: uuid.UUID) -> Status[None]:
    delete_material(material=access_material(org.authority, material_id), actor=org.actor)
    return Status(204, None)


@router.get(GROUPS, response={200: list[SubscriptionGroupOut], **ERRORS}, summary="List subscription groups")
@org_operation(Action.VIEW_SETUP)
def get_subscription_groups(request: AdminRequest, org: OrgAccess) -> list[SubscriptionGroupOut]:
    return [SubscriptionGroupOut.of(group) for group in list_subscription_groups(org.authority)]


@router.get(f"{GROUPS}/{{group_id}}", response={200: SubscriptionGroupOut, **ERRORS},
            summary="Get a subscription group")
@org_operation(Action.VIEW_SETUP)
def get_subscription_group(request: AdminRequest, org: OrgAccess, group_id: uuid.UUID) -> SubscriptionGroupOut:
    return SubscriptionGroupOut.of(access_subscription_group(org.authority, group_id))


@router.post(GROUPS, response={201: SubscriptionGroupOut, **WRITE_ERRORS}, summary="Create a subscription group")
@org_operation(Action.EDIT_SETUP)
def post_subscription_group(
    request: AdminRequest, org: OrgAccess, body: SubscriptionGroupIn
) -> Status[SubscriptionGroupOut]:
    group = create_subscription_group(authority=org.authority, name=body.name, description=body.description,
                                      materials=_materials(org, body.materialIds), actor=org.actor)
    return Status(201, SubscriptionGroupOut.of(access_subscription_group(org.authority, group.pk)))


@router.put(f"{GROUPS}/{{group_id}}", response={200: SubscriptionGroupOut, **WRITE_ERRORS},
            summary="Change a subscription group")
@org_operation(Action.EDIT_SETUP)
def put_subscription_group(
    request: AdminRequest, org: OrgAccess, group_id: uuid.UUID, body: SubscriptionGroupIn
) -> SubscriptionGroupOut:
    update_subscription_group(group=access_subscription_group(org.authority, group_id), name=body.name,
                              description=body.description, materials=_materials(org, body.materialIds),
                              actor=org.actor)
    return SubscriptionGroupOut.of(access_subscription_group(org.authority, group_id))


@router.delete(f"{GROUPS}/{{group_id}}", response={204: None, **WRITE_ERRORS},
               summary="Delete a subscription group")
@org_operation(Action.EDIT_SETUP)
def remove_subscription_group(request: AdminRequest, org: OrgAccess, group_id: uuid.UUID) -> Status[None]:
    delete_subscription_group(group=access_subscription_group(org.authority, group_id), actor=org.actor)
    return Status(204, None)
