"""Writes to users, roles and admin tokens; each lands in the audit log with its before and after."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from digitalpost.accounts.models import OPERATOR_GROUP, AdminToken, Membership
from digitalpost.audit.services import record_change
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor, Role


def _membership_picture(m: Membership) -> dict[str, object]:
    return {"user": m.user.get_username(), "role": m.role,
            "mailboxes": sorted(str(mb.name) for mb in m.mailboxes.all())}


@transaction.atomic(durable=True)
def create_user(
    *, username: str, full_name: str = "", email: str = "", password: str | None = None,
    actor: Actor = SYSTEM_ACTOR, organisation: str = "",
) -> User:
    """A portal user. Without a password they cannot sign in with one (production uses single sign-on)."""
    if User.objects.filter(username=username).exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"user name {username!r}")
    first, _, last = full_name.partition(" ")
    user = User(username=username, first_name=first, last_name=last, email=email)
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    record_change(actor=actor, organisation=organisation, action="user.created", target=user,
                  object_label=username, after={"username": username, "name": full_name, "email": email})
    return user


@transaction.atomic(durable=True)
def grant_role(
    *, authority: Authority, user: User, role: Role, mailboxes: Iterable[AuthorityMailbox] = (),
    actor: Actor = SYSTEM_ACTOR,
) -> Membership:
    """Give `user` a role in the organisation (again: update a caseworker's mailboxes)."""
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
    return membership


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
