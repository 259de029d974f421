"""People who work in the portal: their roles per organisation and their personal admin API tokens.

Users are Django's own (`django.contrib.auth`); the platform operators are the Django group
OPERATOR_GROUP. A membership gives one user one role in one organisation; a caseworker's membership
names the mailboxes they handle.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.roles import ORGANISATION_ROLES

OPERATOR_GROUP = "platform operators"


class Membership(models.Model):
    class Role(models.TextChoices):
        SUPERADMIN = ORGANISATION_ROLES[0].value, "superadministrator"
        ADMIN = ORGANISATION_ROLES[1].value, "administrator"
        CASEWORKER = ORGANISATION_ROLES[2].value, "caseworker"
        CITIZEN_SERVICE = ORGANISATION_ROLES[3].value, "citizen-service"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    # Caseworkers only: the mailboxes whose inquiries they read and answer.
    mailboxes = models.ManyToManyField(AuthorityMailbox, blank=True, related_name="caseworkers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "authority", "role"], name="one_role_once")]
        indexes = [models.Index(fields=["authority", "role"], name="members_by_role")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.authority.cvr}"


class AdminToken(models.Model):
    """A personal token for the admin API: acts as its user, with that user's roles. Stored hashed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admin_tokens")
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class InitialPassword(models.Model):
    """A user whose password was generated for them (shown once to whoever added them) and not yet changed.

    While the row exists, the portal lets them do nothing but choose their own password; changing or resetting
    it deletes the row.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="initial_password")
    issued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"initial password of {self.user}"


class Invitation(models.Model):
    """An administrator's invitation of a person, by e-mail address, to a role in the organisation.

    Nobody becomes a member until the invitee opens the mailed link, signs in (or creates their account) and
    accepts. The link's token is stored only as its SHA-256, set when the mail is sent (so a token exists only in
    that mail); it works once, until `expires_at`, and not after a revocation. The invitation never points at a
    user until one accepts: who has which address is nobody's business in another organisation.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        EXPIRED = "expired"
        REVOKED = "revoked"

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    # Caseworkers only: the mailboxes the membership gets when the invitation is accepted.
    mailboxes = models.ManyToManyField(AuthorityMailbox, blank=True, related_name="invitations")
    invited_by = models.CharField(max_length=150)  # the inviting actor's label, as in the audit log
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    token_sha256 = models.CharField(max_length=64, null=True, blank=True, unique=True)
    mailed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="accepted_invitations")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["authority", "created_at"], name="invitations_by_org")]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.role} @ {self.authority_id}"

    def status_at(self, now: datetime) -> Invitation.Status:
        if self.accepted_at is not None:
            return Invitation.Status.ACCEPTED
        if self.revoked_at is not None:
            return Invitation.Status.REVOKED
        if self.expires_at <= now:
            return Invitation.Status.EXPIRED
        return Invitation.Status.PENDING
