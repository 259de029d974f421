"""/apis/v1/admin/organisations/{cvr}/users: members and their roles; granting and revoking a role.

Granting a role to a user name that has none here yet adds that user to the organisation. The last
superadministrator cannot be removed (409 `last.superadministrator`).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from ninja import Router, Status

from digitalpost.accounts.selectors import OrgAccess, list_members
from digitalpost.accounts.services import add_member, grant_role, revoke_role
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS, WRITE_ERRORS
from digitalpost.api.admin.inputs import MemberIn, RoleIn
from digitalpost.api.admin.schemas import AddedMemberOut, MemberOut
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.authorities.selectors import list_mailboxes
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import ORGANISATION_ROLES, Action, Role

router = Router(tags=["admin: users"])
ROLE_NAMES = ", ".join(role.value for role in ORGANISATION_ROLES)


def _member(authority: Authority, username: str) -> MemberOut:
    found = MemberOut.of_memberships(list(list_members(authority).filter(user__username=username)))
    if not found:
        raise DigitalPostError(ErrorCode.USER_NOT_FOUND, username)
    return found[0]


def _user(username: str) -> User:
    found = User.objects.filter(username=username, is_active=True).first()
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


@router.post("/organisations/{cvr}/users", response={201: AddedMemberOut, **WRITE_ERRORS}, summary="Add a user",
             description="A new user name creates the user with an initial password (returned once); an "
                         "existing one gets the role added.")
@org_operation(Action.MANAGE_USERS)
def post_user(request: AdminRequest, org: OrgAccess, body: MemberIn) -> Status[AddedMemberOut]:
    added = add_member(authority=org.authority, username=body.username, role=_role(body.role),
                       full_name=body.fullName, email=body.email,
                       mailboxes=_mailboxes(org.authority, body.mailboxIds), actor=org.actor)
    member = _member(org.authority, added.membership.user.get_username())
    return Status(201, AddedMemberOut(member=member, initialPassword=added.initial_password))


@router.get("/organisations/{cvr}/users/{username}", response={200: MemberOut, **ERRORS}, summary="Get a user")
@org_operation(Action.MANAGE_USERS)
def get_user(request: AdminRequest, org: OrgAccess, username: str) -> MemberOut:
    return _member(org.authority, username)


@router.put("/organisations/{cvr}/users/{username}/roles/{role}", response={200: MemberOut, **WRITE_ERRORS},
            summary="Grant a role",
            description=f"Roles: {ROLE_NAMES}. Again for a caseworker: replaces their mailboxes.")
@org_operation(Action.MANAGE_USERS)
def put_role(request: AdminRequest, org: OrgAccess, username: str, role: str, body: RoleIn) -> MemberOut:
    grant_role(authority=org.authority, user=_user(username), role=_role(role),
               mailboxes=_mailboxes(org.authority, body.mailboxIds), actor=org.actor)
    return _member(org.authority, username)


@router.delete("/organisations/{cvr}/users/{username}/roles/{role}", response={204: None, **WRITE_ERRORS},
               summary="Revoke a role")
@org_operation(Action.MANAGE_USERS)
def delete_role(request: AdminRequest, org: OrgAccess, username: str, role: str) -> Status[None]:
    revoke_role(authority=org.authority, user=_user(username), role=_role(role), actor=org.actor)
    return Status(204, None)
