"""Writes to users, roles and admin tokens, and the steps of local sign-in (passwords, the second factor, reset
mails); each lands in the audit log."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

import aiosmtplib
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from digitalpost.accounts.models import OPERATOR_GROUP, AdminToken, InitialPassword, Invitation, Membership
from digitalpost.audit.services import record_change
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.authorities.services.organisation import insert_authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor, Role
from digitalpost.hub.relay import send_via_relay

log = logging.getLogger(__name__)

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
        InitialPassword.objects.create(user=user)  # someone else saw it: the user must choose their own first
    elif Membership.objects.filter(user=user, authority=authority, role=role).exists():
        raise DigitalPostError(
            ErrorCode.REQUEST_INVALID,
            f"{user.get_username()} already is {role.value} here; change their mailboxes in the list instead",
        )
    membership, _ = _put_role(authority=authority, user=user, role=role, mailboxes=mailboxes, actor=actor)
    return AddedMember(membership=membership, initial_password=password)


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


# --- Invitations: the one way an organisation's administrator adds a person ------------------------------------


def invitation_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_picture(invitation: Invitation) -> dict[str, object]:
    return {"email": invitation.email, "role": invitation.role,
            "mailboxes": sorted(str(mb.name) for mb in invitation.mailboxes.all()),
            "expires_at": invitation.expires_at.isoformat()}


def open_invitation(
    *, authority: Authority, email: str, role: Role, mailboxes: Iterable[AuthorityMailbox] = (),
    actor: Actor = SYSTEM_ACTOR,
) -> Invitation:
    """Record an invitation in the caller's transaction (notifications.invitations queues its mail with it).

    Looks up no user: the answer is the same whoever has (or has no) account with this address."""
    if role not in {Role.SUPERADMIN, Role.ADMIN, Role.CASEWORKER, Role.CITIZEN_SERVICE}:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "invite to a role of the organisation")
    address = email.strip()
    if not address or "@" not in address or len(address) > 254:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "email: an e-mail address")
    chosen = list(mailboxes) if role == Role.CASEWORKER else []
    if any(mb.authority_id != authority.pk for mb in chosen):
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "a mailbox belongs to another organisation")
    now = timezone.now()
    # The organisation's row is locked, so invitations sent at the same moment are counted one after the other.
    list(Authority.objects.select_for_update().filter(pk=authority.pk).values_list("pk", flat=True))
    sent = Invitation.objects.filter(authority=authority, created_at__gt=now - timedelta(days=1)).count()
    if sent >= settings.DIGITALPOST_INVITATIONS_PER_DAY:
        raise DigitalPostError(ErrorCode.INVITATIONS_TOO_MANY,
                               f"{sent} in the last 24 hours; at most {settings.DIGITALPOST_INVITATIONS_PER_DAY}")
    invitation = Invitation.objects.create(
        authority=authority, email=address, role=role.value, invited_by=actor.label, created_at=now,
        expires_at=now + timedelta(days=settings.DIGITALPOST_INVITATION_DAYS),
    )
    invitation.mailboxes.set(chosen)
    record_change(actor=actor, organisation=authority.cvr, action="invitation.created", target=invitation,
                  object_label=f"{address}: {role.value}", after=_invitation_picture(invitation))
    return invitation


@transaction.atomic(durable=True)
def issue_invitation_token(*, invitation_id: int) -> str | None:
    """A fresh token for the invitation's mail, its hash stored (a token sent earlier stops working). None when
    the invitation is no longer pending (accepted, withdrawn, expired): no mail then."""
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or invitation.status_at(timezone.now()) != Invitation.Status.PENDING:
        return None
    token = "dpi_" + secrets.token_urlsafe(32)
    invitation.token_sha256 = invitation_token_digest(token)
    invitation.save(update_fields=["token_sha256"])
    return token


def mark_invitation_mailed(*, invitation_id: int, relay_answer: str) -> None:
    """In the caller's transaction (the one that finishes the mail's job)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    invitation.mailed_at = timezone.now()
    invitation.save(update_fields=["mailed_at"])
    record_change(actor=SYSTEM_ACTOR, organisation=invitation.authority.cvr, action="invitation.mailed",
                  target=invitation, object_label=f"{invitation.email}: {invitation.role}",
                  after={"relay": relay_answer[:200]})


def _pending_invitation(token: str) -> Invitation:
    invitation = (Invitation.objects.select_for_update().select_related("authority")
                  .filter(token_sha256=invitation_token_digest(token.strip())).first() if token.strip() else None)
    if invitation is None or invitation.status_at(timezone.now()) != Invitation.Status.PENDING:
        raise DigitalPostError(ErrorCode.INVITATION_INVALID)
    return invitation


def _accept(invitation: Invitation, user: User, address: str) -> Membership:
    actor = Actor(label=user.get_username(), user_id=user.pk)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.token_sha256 = None  # used: the link opens nothing any more
    invitation.save(update_fields=["accepted_at", "accepted_by", "token_sha256"])
    record_change(actor=actor, organisation=invitation.authority.cvr, action="invitation.accepted",
                  target=invitation, object_label=f"{invitation.email}: {invitation.role}",
                  after={"user": user.get_username(), "address": address})
    membership, _ = _put_role(authority=invitation.authority, user=user, role=Role(invitation.role),
                              mailboxes=invitation.mailboxes.all(), actor=actor)
    return membership


@transaction.atomic(durable=True)
def accept_invitation(*, token: str, user: User, address: str = "") -> Membership:
    """The signed-in `user` accepts: only now are they a member with the invitation's role. Holding the link
    (sent to the invited address) is what entitles them; the link then works no more."""
    return _accept(_pending_invitation(token), user, address)


@transaction.atomic(durable=True)
def accept_invitation_as_new_user(
    *, token: str, username: str, full_name: str, password: str | None, address: str = "",
) -> Membership:
    """A person without an account accepts: the account is created with the invited address (they proved they
    read mail there) and the password they chose (None: single sign-on only), then joins."""
    invitation = _pending_invitation(token)
    user = _insert_user(username=username, full_name=full_name, email=invitation.email, password=password,
                        actor=Actor(label=username.strip()), organisation=invitation.authority.cvr)
    return _accept(invitation, user, address)


@transaction.atomic(durable=True)
def revoke_invitation(*, invitation: Invitation, actor: Actor = SYSTEM_ACTOR) -> None:
    locked = Invitation.objects.select_for_update().select_related("authority").get(pk=invitation.pk)
    if locked.status_at(timezone.now()) != Invitation.Status.PENDING:
        raise DigitalPostError(ErrorCode.INVITATION_NOT_PENDING)
    before = _invitation_picture(locked)
    locked.revoked_at = timezone.now()
    locked.token_sha256 = None
    locked.save(update_fields=["revoked_at", "token_sha256"])
    record_change(actor=actor, organisation=locked.authority.cvr, action="invitation.revoked", target=locked,
                  object_label=f"{locked.email}: {locked.role}", before=before)


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


# --- Local sign-in: passwords and the second factor ------------------------------------------------------------

BACKUP_CODE_COUNT = 10


@transaction.atomic(durable=True)
def record_sign_in_event(*, action: str, user: User | None, address: str, detail: str = "") -> None:
    """One step of someone signing in (sign_in.succeeded, sign_in.failed, second_factor.failed,
    sign_in.locked_out) in the audit log. A user name that matches nobody is not written down: people type
    their password into that field."""
    label = user.get_username() if user is not None else "unknown user name"
    after: dict[str, object] = {"address": address}
    if detail:
        after["detail"] = detail
    record_change(actor=Actor(label=label, user_id=user.pk if user is not None else None), organisation="",
                  action=action, target=user, object_type="user", object_label=label, after=after)


@transaction.atomic(durable=True)
def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """The authenticator-app secret being set up: the unconfirmed one already shown, else a new one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    backup_codes: list[str]  # shown once


def _enrolled(user: User, device: TOTPDevice, *, actor: Actor, address: str) -> Enrolled:
    # One authenticator per person: a new one replaces the old, and the backup codes are issued anew.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="backup codes")
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    record_change(actor=actor, organisation="", action="second_factor.enrolled", target=user,
                  object_type="user", object_label=user.get_username(),
                  after={"device": "totp", "backup_codes": len(codes), "address": address})
    return Enrolled(device=device, backup_codes=codes)


@transaction.atomic(durable=True)
def confirm_totp_enrolment(*, user: User, device_id: int, code: str, address: str) -> Enrolled | None:
    """The first code from the app proves it holds the secret: the device counts from now on. None: wrong code."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None or not device.verify_token(code.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return _enrolled(user, device, actor=Actor(label=user.get_username(), user_id=user.pk), address=address)


@transaction.atomic(durable=True)
def enrol_totp_with_key(*, user: User, key_hex: str | None = None, actor: Actor = SYSTEM_ACTOR) -> Enrolled:
    """A confirmed authenticator with a known secret, without the user at hand: for the demo's staff (whose
    secrets demo.json lists) and for tests. The portal's users enrol themselves (confirm_totp_enrolment)."""
    device = TOTPDevice(user=user, name="authenticator app", confirmed=True)
    if key_hex:
        device.key = key_hex
    device.save()
    return _enrolled(user, device, actor=actor, address="")


@transaction.atomic(durable=True)
def change_password(*, user: User, new_password: str, reason: str = "changed", address: str = "") -> None:
    """The user's own new password (reason "changed"), or one set through a reset link (reason "reset").
    Either way a generated initial password is gone, and every reset link sent before stops working (Django's
    reset tokens are bound to the password hash)."""
    if reason not in {"changed", "reset"}:
        raise ValueError(reason)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    InitialPassword.objects.filter(user=user).delete()
    record_change(actor=Actor(label=user.get_username(), user_id=user.pk), organisation="",
                  action=f"password.{reason}", target=user, object_type="user", object_label=user.get_username(),
                  after={"address": address})


@transaction.atomic(durable=True)
def record_password_reset_sent(*, user: User, address: str, relay_answer: str) -> None:
    record_change(actor=Actor(label=user.get_username(), user_id=user.pk), organisation="",
                  action="password.reset_requested", target=user, object_type="user",
                  object_label=user.get_username(), after={"address": address, "relay": relay_answer[:200]})


def send_password_reset(*, email: str, link: Callable[[str, str], str], address: str) -> int:
    """Mail a single-use reset link (Django's token: bound to the current password hash and last sign-in, valid
    PASSWORD_RESET_TIMEOUT seconds) to every active local account with this e-mail address, through the hub's
    relay. Returns how many were sent; the caller answers the same whatever the number, so nobody learns
    whether an address has an account. `link(uidb64, token)` makes the absolute URL of the reset page."""
    sent = 0
    for user in PasswordResetForm().get_users(email):
        url = link(urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user))
        mail = _reset_mail(user, url)
        try:
            answer = send_via_relay(mail, sender=settings.DIGITALPOST_NOTIFY_FROM, recipients=[user.email])
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.error("password reset mail for user %s not sent: %s", user.pk, exc)
            continue
        record_password_reset_sent(user=user, address=address, relay_answer=answer)
        sent += 1
    return sent


def _reset_mail(user: User, url: str) -> EmailMessage:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    message = EmailMessage()
    message["From"] = formataddr((settings.DIGITALPOST_NOTIFY_FROM_NAME, settings.DIGITALPOST_NOTIFY_FROM))
    message["To"] = user.email
    message["Subject"] = "Nulstil din adgangskode til Digital Post-administrationen / Reset your password"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain=settings.DIGITALPOST_HUB_DOMAIN)
    message["Auto-Submitted"] = "auto-generated"
    message["X-DigitalPost-Notice"] = "password-reset"
    message.set_content(f"""\
Hej {user.get_full_name() or user.get_username()}

Nogen (forhåbentlig dig) har bedt om at nulstille adgangskoden til brugeren {user.get_username()} i
Digital Post-administrationen. Vælg en ny adgangskode her (linket virker én gang og i {minutes} minutter):

Someone (hopefully you) asked to reset the password of the user {user.get_username()} in the Digital Post
administration portal. Choose a new password here (the link works once, for {minutes} minutes):

{url}

Du skal stadig bruge din godkendelsesapp for at logge ind. Har du ikke bedt om dette, så se bort fra mailen.
You still need your authenticator app to sign in. If you did not ask for this, ignore this mail.
""", charset="utf-8")
    return message
def record_single_sign_on(*, authority: Authority, user: User) -> None:
    """A member signed in to the portal through the organisation's own identity provider: in the audit log."""
    with transaction.atomic():
        record_change(actor=Actor(user.get_username(), user.pk), organisation=authority.cvr,
                      action="staff.signed.in.sso", target=user, object_label=user.get_username())
