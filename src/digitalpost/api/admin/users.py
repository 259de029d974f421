"""/apis/v1/admin/organisations/{cvr}/users: members and their roles; granting and revoking a member's role.
/apis/v1/admin/organisations/{cvr}/invitations: inviting a person, listing and withdrawing invitations.

A person joins only by accepting an invitation mailed to them: roles are granted and revoked here for members
of the organisation only; any other user name, existing or not, is `user.not.found` alike. The last
superadministrator cannot be removed (409 `last.superadministrator`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from django.contrib.auth.models import User
from django.utils import timezone
from ninja import Path, Router, Status

from digitalpost.accounts.selectors import (
    OrgAccess,
    access_invitation,
    get_member_by_username,
    list_invitations,
    list_members,
)
from digitalpost.accounts.services import grant_role, revoke_invitation, revoke_role
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS
from digitalpost.api.admin.inputs import InvitationIn, RoleIn
from digitalpost.api.admin.schemas import InvitationOut, MemberOut
from digitalpost.api.schemas import MAX_CURSOR
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.authorities.selectors import list_mailboxes
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import ORGANISATION_ROLES, Action, Role
from digitalpost.notifications.invitations import invite

router = Router(tags=["admin: users"])
InvitationId = Annotated[int, Path(ge=1, le=MAX_CURSOR)]
ROLE_NAMES = ", ".join(role.value for role in ORGANISATION_ROLES)


def _member(authority: Authority, username: str) -> MemberOut:
    found = MemberOut.of_memberships(list(list_members(authority).filter(user__username=username)))
    if not found:
        raise DigitalPostError(ErrorCode.USER_NOT_FOUND, username)
    return found[0]


def _user(authority: Authority, username: str) -> User:
    """A member of this organisation: an unknown user name and another organisation's user get the same 404."""
    found = get_member_by_username(authority, username)
    if found is None:
        raise DigitalPostError(ErrorCode.USER_NOT_FOUND, username)
    return found


def _mailboxes(authority: Authority, ids: list[uuid.UUID]) -> list[AuthorityMailbox]:
    found = list(list_mailboxes(authority).filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "a mailbox in mailboxIds")
    return found


def _role(name: str) -> Role:
    if name not in {role.value for role in ORGANISATION_ROLES}:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"role: one of {ROLE_NAMES}")
    return Role(name)


@router.get("/organisations/{cvr}/users", response={200: list[MemberOut], **ERRORS}, summary="List users")
@org_operation(Action.MANAGE_USERS)
def list_users(request: AdminRequest, org: OrgAccess) -> list[MemberOut]:
    return MemberOut.of_memberships(list(list_members(org.authority)))


@router.get("/organisations/{cvr}/users/{username}", response={200: MemberOut, **ERRORS}, summary="Get a user")
@org_operation(Action.MANAGE_USERS)
def get_user(request: AdminRequest, org: OrgAccess, username: str) -> MemberOut:
    return _member(org.authority, username)


@router.put("/organisations/{cvr}/users/{username}/roles/{role}", response={200: MemberOut, **WRITE_ERRORS},
            summary="Grant a role",
            description=f"Roles: {ROLE_NAMES}. For members of the organisation (others join by invitation). "
                        "Again for a caseworker: replaces their mailboxes.")
@org_operation(Action.MANAGE_USERS)
def put_role(request: AdminRequest, org: OrgAccess, username: str, role: str, body: RoleIn) -> MemberOut:
    grant_role(authority=org.authority, user=_user(org.authority, username), role=_role(role),
               mailboxes=_mailboxes(org.authority, body.mailboxIds), actor=org.actor)
    return _member(org.authority, username)


@router.delete("/organisations/{cvr}/users/{username}/roles/{role}", response={204: None, **WRITE_ERRORS},
               summary="Revoke a role")
@org_operation(Action.MANAGE_USERS)
def delete_role(request: AdminRequest, org: OrgAccess, username: str, role: str) -> Status[None]:
    revoke_role(authority=org.authority, user=_user(org.authority, username), role=_role(role), actor=org.actor)
    return Status(204, None)


@router.get("/organisations/{cvr}/invitations", response={200: list[InvitationOut], **ERRORS},
            summary="List invitations")
@org_operation(Action.MANAGE_USERS)
def list_invitations_op(request: AdminRequest, org: OrgAccess) -> list[InvitationOut]:
    now = timezone.now()
    return [InvitationOut.of(invitation, now) for invitation in list_invitations(org.authority)]


@router.post("/organisations/{cvr}/invitations", response={202: InvitationOut, **WRITE_ERRORS},
             summary="Invite a person",
             description="Mails a single-use link (valid DIGITALPOST_INVITATION_DAYS) to the address; the person "
                         "becomes a member with the role only when they accept it. The answer is the same whether "
                         "or not anyone has a user with this address.")
@org_operation(Action.MANAGE_USERS)
def post_invitation(request: AdminRequest, org: OrgAccess, body: InvitationIn) -> Status[InvitationOut]:
    invitation = invite(authority=org.authority, email=body.email, role=_role(body.role),
                        mailboxes=_mailboxes(org.authority, body.mailboxIds), actor=org.actor)
    return Status(202, InvitationOut.of(access_invitation(org.authority, invitation.pk), timezone.now()))


@router.delete("/organisations/{cvr}/invitations/{invitation_id}", response={204: None, **WRITE_ERRORS},
               summary="Withdraw an invitation")
@org_operation(Action.MANAGE_USERS)
def delete_invitation(request: AdminRequest, org: OrgAccess, invitation_id: InvitationId) -> Status[None]:
    revoke_invitation(invitation=access_invitation(org.authority, invitation_id), actor=org.actor)
    return Status(204, None)
