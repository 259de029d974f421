"""/apis/v1/admin/organisations/{cvr}/mailboxes: the organisation's mailboxes (contact points)."""

from __future__ import annotations

import uuid

from ninja import Router, Status

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS
from digitalpost.api.admin.inputs import MailboxIn
from digitalpost.api.admin.schemas import MailboxOut
from digitalpost.authorities.selectors import access_mailbox, list_mailboxes
from digitalpost.authorities.services.mailboxes import create_mailbox, delete_mailbox, update_mailbox
from digitalpost.core.roles import Action
from digitalpost.systems.selectors import get_receiver_system

router = Router(tags=["admin: mailboxes"])
BASE = "/organisations/{cvr}/mailboxes"


def _values(org: OrgAccess, body: MailboxIn) -> dict[str, object]:
    """The body as service arguments, with its references looked up inside the organisation."""
    authority = org.authority
    return {
        "name": body.name, "description": body.description,
        "parent": access_mailbox(authority, body.parentId) if body.parentId else None,
        "topics": body.topics, "metadata_fields": [(f.label, f.required) for f in body.metadataFields],
        "receiver_system": get_receiver_system(authority, body.receiverSystemId) if body.receiverSystemId else None,
        "is_open": body.isOpen, "is_visible": body.isVisible, "is_standard": body.isStandard,
        "max_message_bytes": body.maxMessageBytes,
    }


@router.get(BASE, response={200: list[MailboxOut], **ERRORS}, summary="List mailboxes")
@org_operation(Action.VIEW_SETUP)
def get_mailboxes(request: AdminRequest, org: OrgAccess) -> list[MailboxOut]:
    return [MailboxOut.of(mb) for mb in list_mailboxes(org.authority).prefetch_related("topics", "metadata_fields")]


@router.get(f"{BASE}/{{mailbox_id}}", response={200: MailboxOut, **ERRORS}, summary="Get a mailbox")
@org_operation(Action.VIEW_SETUP)
def get_mailbox(request: AdminRequest, org: OrgAccess, mailbox_id: uuid.UUID) -> MailboxOut:
    return MailboxOut.of(access_mailbox(org.authority, mailbox_id))


@router.post(BASE, response={201: MailboxOut, **WRITE_ERRORS}, summary="Create a mailbox")
@org_operation(Action.EDIT_SETUP)
def post_mailbox(request: AdminRequest, org: OrgAccess, body: MailboxIn) -> Status[MailboxOut]:
    mailbox = create_mailbox(authority=org.authority, actor=org.actor, **_values(org, body))  # type: ignore[arg-type]
    return Status(201, MailboxOut.of(access_mailbox(org.authority, mailbox.pk)))


@router.put(f"{BASE}/{{mailbox_id}}", response={200: MailboxOut, **WRITE_ERRORS}, summary="Change a mailbox",
            description="Replaces every editable field; making it standard moves the flag from the old standard.")
@org_operation(Action.EDIT_SETUP)
def put_mailbox(request: AdminRequest, org: OrgAccess, mailbox_id: uuid.UUID, body: MailboxIn) -> MailboxOut:
    mailbox = access_mailbox(org.authority, mailbox_id)
    update_mailbox(mailbox=mailbox, actor=org.actor, **_values(org, body))  # type: ignore[arg-type]
    return MailboxOut.of(access_mailbox(org.authority, mailbox_id))


@router.delete(f"{BASE}/{{mailbox_id}}", response={204: None, **WRITE_ERRORS}, summary="Delete a mailbox",
               description="Only an unused mailbox; a used one is refused (409 mailbox.in.use) with what uses it.")
@org_operation(Action.EDIT_SETUP)
def remove_mailbox(request: AdminRequest, org: OrgAccess, mailbox_id: uuid.UUID) -> Status[None]:
    delete_mailbox(mailbox=access_mailbox(org.authority, mailbox_id), actor=org.actor)
    return Status(204, None)
