"""Who the signed-in user is in an organisation: the one guard every portal page and admin API route uses."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from digitalpost.accounts.models import OPERATOR_GROUP, AdminToken, InitialPassword, Invitation, Membership
from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Action, Actor, Role, may, roles_allowed


@dataclass(frozen=True)
class OrgAccess:
    """A user acting in one organisation: their roles there and, for caseworkers, their mailboxes."""

    user: User
    authority: Authority
    roles: frozenset[Role]
    mailbox_ids: frozenset[uuid.UUID]

    def may(self, action: Action) -> bool:
        return may(self.roles, action)

    @property
    def actor(self) -> Actor:
        return actor_of(self.user)


def actor_of(user: User) -> Actor:
    return Actor(label=user.get_username(), user_id=user.pk)


def is_operator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return isinstance(user, User) and user.groups.filter(name=OPERATOR_GROUP).exists()


def organisations_of(user: User) -> QuerySet[Authority]:
    if is_operator(user):
        return Authority.objects.all()
    return Authority.objects.filter(memberships__user=user).distinct()


def access_organisation(user: AbstractBaseUser | AnonymousUser, cvr: str, action: Action) -> OrgAccess:
    """The only way a page or admin API route enters an organisation.

    Not a member (or no such CVR): ORGANISATION_NOT_FOUND, the same answer for both, so nobody learns which
    organisations exist. A member whose roles do not allow `action`: ROLE_NOT_ALLOWED naming who may.
    """
    if not user.is_authenticated:
        raise DigitalPostError(ErrorCode.SIGN_IN_REQUIRED)
    assert isinstance(user, User)
    authority = Authority.objects.filter(cvr=cvr).first()
    memberships = (
        list(Membership.objects.filter(user=user, authority=authority).prefetch_related("mailboxes"))
        if authority is not None else []
    )
    roles = {Role(m.role) for m in memberships}
    if is_operator(user):
        roles.add(Role.OPERATOR)
    if authority is None or not roles:
        raise DigitalPostError(ErrorCode.ORGANISATION_NOT_FOUND, f"CVR {cvr}")
    if not may(roles, action):
        allowed = ", ".join(role.value for role in roles_allowed(action))
        raise DigitalPostError(ErrorCode.ROLE_NOT_ALLOWED, f"{action.value} needs one of: {allowed}")
    mailbox_ids = frozenset(
        mailbox.pk for m in memberships if m.role == Role.CASEWORKER for mailbox in m.mailboxes.all()
    )
    return OrgAccess(user=user, authority=authority, roles=frozenset(roles), mailbox_ids=mailbox_ids)


def list_members(authority: Authority) -> QuerySet[Membership]:
    return (Membership.objects.filter(authority=authority).select_related("user").prefetch_related("mailboxes")
            .order_by("user__username", "role"))


def access_membership(authority: Authority, membership_id: int) -> Membership:
    """One role of one person in the organisation; OBJECT_NOT_FOUND for absent and for another organisation's."""
    found = list_members(authority).filter(pk=membership_id).first()
    if found is None:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "role")
    return found


@dataclass(frozen=True)
class Person:
    """A member of the organisation with all their roles there (the users page lists people, not rows)."""

    user: User
    memberships: list[Membership]


def list_people(authority: Authority) -> list[Person]:
    people: dict[int, Person] = {}
    for membership in list_members(authority):
        people.setdefault(membership.user_id, Person(user=membership.user, memberships=[])).memberships.append(
            membership
        )
    return list(people.values())


def count_superadmins(authority: Authority) -> int:
    """Superadministrators who can still sign in (a deactivated account looks after nothing)."""
    return Membership.objects.filter(authority=authority, role=Role.SUPERADMIN, user__is_active=True).count()


def user_for_admin_token(token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = (AdminToken.objects.select_related("user")
             .filter(token_sha256=digest, revoked_at__isnull=True, user__is_active=True).first())
    if found is None:
        return None
    AdminToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.user


def has_second_factor(user: User) -> bool:
    """A confirmed authenticator app (backup codes alone do not count: they come with the app)."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def must_change_password(user: User) -> bool:
    return InitialPassword.objects.filter(user=user).exists()


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username.strip()).first() if username.strip() else None
def get_member(authority: Authority, username: str) -> User | None:
    """The organisation's member with this user name (single sign-on maps a claim to it), or None."""
    return User.objects.filter(username=username, is_active=True, memberships__authority=authority).first()


def get_member_by_username(authority: Authority, username: str) -> User | None:
    """A person with a role in this organisation; None for an unknown user name and for anyone else's alike."""
    return get_member(authority, username.strip()) if username.strip() else None


def list_invitations(authority: Authority) -> QuerySet[Invitation]:
    return (Invitation.objects.filter(authority=authority).select_related("accepted_by")
            .prefetch_related("mailboxes").order_by("-created_at", "-pk"))


def access_invitation(authority: Authority, invitation_id: int) -> Invitation:
    """One invitation of the organisation; OBJECT_NOT_FOUND for absent and for another organisation's."""
    found = list_invitations(authority).filter(pk=invitation_id).first()
    if found is None:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "invitation")
    return found


def pending_invitation(token: str) -> Invitation | None:
    """The invitation a mailed link names, while it can still be accepted; None otherwise (whatever the reason)."""
    if not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    found = Invitation.objects.select_related("authority").filter(token_sha256=digest).first()
    if found is None or found.status_at(timezone.now()) != Invitation.Status.PENDING:
        return None
    return found
