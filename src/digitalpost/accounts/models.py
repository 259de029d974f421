"""People who work in the portal: their roles per organisation and their personal admin API tokens.

Users are Django's own (`django.contrib.auth`); the platform operators are the Django group
OPERATOR_GROUP. A membership gives one user one role in one organisation; a caseworker's membership
names the mailboxes they handle.
"""

from __future__ import annotations

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
