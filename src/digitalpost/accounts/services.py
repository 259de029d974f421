"""Writes to users, roles and admin tokens; each lands in the audit log with its before and after."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from digitalpost.accounts.models import OPERATOR_GROUP, AdminToken, Membership
from digitalpost.audit.services import record_change
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.authorities.services.organisation import insert_authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor, Role

USERNAME_MAX_LENGTH = 150


def _membership_picture(m: Membership) -> dict[str, object]:
    return {"user": m.user.get_username(), "role": m.role,
            "mailboxes": sorted(str(mb.name) for mb in m.mailboxes.all())}


def _insert_user(
    *, username: str, full_name: str, email: str, password: str | None, actor: Actor, organisation: str
) -> User:
    username = username.strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"user name {username!r}: use letters, digits and "
                               "@ . + - _ only") from None
    if not username or len(username) > USERNAME_MAX_LENGTH:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"user name must be 1 to {USERNAME_MAX_LENGTH} characters")
    if User.objects.filter(username=username).exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"user name {username!r}")
    first, _, last = full_name.strip().partition(" ")
    user = User(username=username, first_name=first, last_name=last, email=email.strip())
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    record_change(actor=actor, organisation=organisation, action="user.created", target=user,
                  object_label=username, after={"username": username, "name": full_name, "email": email})
    return user


@transaction.atomic(durable=True)
def create_user(
    *, username: str, full_name: str = "", email: str = "", password: str | None = None,
    actor: Actor = SYSTEM_ACTOR, organisation: str = "",
) -> User:
    """A portal user. Without a password they cannot sign in with one (production uses single sign-on)."""
    return _insert_user(username=username, full_name=full_name, email=email, password=password, actor=actor,
                        organisation=organisation)


def _put_role(
    *, authority: Authority, user: User, role: Role, mailboxes: Iterable[AuthorityMailbox], actor: Actor
) -> tuple[Membership, bool]:
    if role == Role.OPERATOR:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "the operator role is platform-wide: use make_operator")
    chosen = list(mailboxes)
    if any(mb.authority_id != authority.pk for mb in chosen):
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "a mailbox belongs to another organisation")
    membership, created = Membership.objects.get_or_create(user=user, authority=authority, role=role)
    before = None if created else _membership_picture(membership)
    membership.mailboxes.set(chosen if role == Role.CASEWORKER else [])
    record_change(actor=actor, organisation=authority.cvr, action="role.granted" if created else "role.changed",
                  target=membership, object_label=f"{user.get_username()}: {role.value}",
                  before=before, after=_membership_picture(membership))
    return membership, created


@transaction.atomic(durable=True)
def grant_role(
    *, authority: Authority, user: User, role: Role, mailboxes: Iterable[AuthorityMailbox] = (),
    actor: Actor = SYSTEM_ACTOR,
) -> Membership:
    """Give `user` a role in the organisation (again: update a caseworker's mailboxes)."""
    membership, _ = _put_role(authority=authority, user=user, role=role, mailboxes=mailboxes, actor=actor)
    return membership


def new_initial_password() -> str:
    """A first password for a new user, shown once to whoever created them."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class AddedMember:
    membership: Membership
    initial_password: str | None  # set when the user was created now; shown once


def _member(
    *, authority: Authority, username: str, full_name: str, email: str, role: Role,
    mailboxes: Iterable[AuthorityMailbox], actor: Actor,
) -> AddedMember:
    user = User.objects.filter(username=username.strip()).first()
    password = None
    if user is None:
        password = new_initial_password()
        user = _insert_user(username=username, full_name=full_name, email=email, password=password, actor=actor,
                            organisation=authority.cvr)
    elif Membership.objects.filter(user=user, authority=authority, role=role).exists():
        raise DigitalPostError(
            ErrorCode.REQUEST_INVALID,
            f"{user.get_username()} already is {role.value} here; change their mailboxes in the list instead",
        )
    membership, _ = _put_role(authority=authority, user=user, role=role, mailboxes=mailboxes, actor=actor)
    return AddedMember(membership=membership, initial_password=password)


@transaction.atomic(durable=True)
def add_member(
    *, authority: Authority, username: str, role: Role, full_name: str = "", email: str = "",
    mailboxes: Iterable[AuthorityMailbox] = (), actor: Actor = SYSTEM_ACTOR,
) -> AddedMember:
    """Give a person a role in the organisation: a new user name creates the user with an initial password
    (returned once); an existing one gets the role added (its name, e-mail and password stay as they are)."""
    return _member(authority=authority, username=username, full_name=full_name, email=email, role=role,
                   mailboxes=mailboxes, actor=actor)


@transaction.atomic(durable=True)
def change_caseworker_mailboxes(
    *, membership: Membership, mailboxes: Iterable[AuthorityMailbox], actor: Actor = SYSTEM_ACTOR
) -> Membership:
    """The mailboxes whose inquiries a caseworker reads and answers."""
    locked = (Membership.objects.select_for_update(of=("self",))
              .select_related("authority", "user").get(pk=membership.pk))
    if locked.role != Role.CASEWORKER:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "only caseworkers are given mailboxes")
    updated, _ = _put_role(authority=locked.authority, user=locked.user, role=Role.CASEWORKER,
                           mailboxes=mailboxes, actor=actor)
    return updated


@dataclass(frozen=True)
class NewOrganisation:
    authority: Authority
    superadmin: AddedMember


@transaction.atomic(durable=True)
def create_organisation(
    *, cvr: str, name: str, kind: str = Authority.Kind.MUNICIPALITY, may_send_mandatory: bool = False,
    may_send_legal_notification: bool = False, superadmin_username: str, superadmin_full_name: str = "",
    superadmin_email: str = "", actor: Actor = SYSTEM_ACTOR,
) -> NewOrganisation:
    """The platform operator's use case: an organisation together with its first superadministrator, so no
    organisation ever exists without someone responsible for it."""
    authority = insert_authority(cvr=cvr, name=name, kind=kind, may_send_mandatory=may_send_mandatory,
                                 may_send_legal_notification=may_send_legal_notification, actor=actor)
    superadmin = _member(authority=authority, username=superadmin_username, full_name=superadmin_full_name,
                         email=superadmin_email, role=Role.SUPERADMIN, mailboxes=(), actor=actor)
    return NewOrganisation(authority=authority, superadmin=superadmin)


@transaction.atomic(durable=True)
def revoke_role(*, authority: Authority, user: User, role: Role, actor: Actor = SYSTEM_ACTOR) -> None:
    membership = (Membership.objects.select_for_update().filter(user=user, authority=authority, role=role)
                  .first())
    if membership is None:
        raise DigitalPostError(ErrorCode.USER_NOT_FOUND, f"{user.get_username()} is not {role.value}")
    if role == Role.SUPERADMIN:
        # Lock every superadministrator row, so two admins removing each other cannot both succeed.
        others = (Membership.objects.select_for_update()
                  .filter(authority=authority, role=Role.SUPERADMIN).exclude(pk=membership.pk))
        if not list(others):
            raise DigitalPostError(ErrorCode.LAST_SUPERADMINISTRATOR, authority.name)
    before = _membership_picture(membership)
    record_change(actor=actor, organisation=authority.cvr, action="role.revoked", target=membership,
                  object_label=f"{user.get_username()}: {role.value}", before=before)
    membership.delete()


@transaction.atomic(durable=True)
def make_operator(*, user: User, actor: Actor = SYSTEM_ACTOR) -> None:
    group, _ = Group.objects.get_or_create(name=OPERATOR_GROUP)
    user.groups.add(group)
    record_change(actor=actor, organisation="", action="operator.granted", target=user,
                  object_label=user.get_username(), after={"group": OPERATOR_GROUP})


@dataclass(frozen=True)
class IssuedToken:
    token: AdminToken
    secret: str  # shown once


@transaction.atomic(durable=True)
def issue_admin_token(*, user: User, name: str, actor: Actor = SYSTEM_ACTOR) -> IssuedToken:
    secret = "dpa_" + secrets.token_urlsafe(32)
    token = AdminToken.objects.create(user=user, name=name, token_sha256=hashlib.sha256(secret.encode()).hexdigest())
    record_change(actor=actor, organisation="", action="admin_token.issued", target=token,
                  after={"user": user.get_username(), "name": name})
    return IssuedToken(token=token, secret=secret)


@transaction.atomic(durable=True)
def revoke_admin_token(*, token: AdminToken, actor: Actor = SYSTEM_ACTOR) -> None:
    AdminToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_change(actor=actor, organisation="", action="admin_token.revoked", target=token,
                  before={"user": token.user.get_username(), "name": token.name})


def record_single_sign_on(*, authority: Authority, user: User) -> None:
    """A member signed in to the portal through the organisation's own identity provider: in the audit log."""
    with transaction.atomic():
        record_change(actor=Actor(user.get_username(), user.pk), organisation=authority.cvr,
                      action="staff.signed.in.sso", target=user, object_label=user.get_username())
