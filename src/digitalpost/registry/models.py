"""The contact register: citizens (CPR) and companies (CVR), their status, address and mailbox."""

from __future__ import annotations

import uuid

from django.db import models


class Contact(models.Model):
    class Kind(models.TextChoices):
        CITIZEN = "CITIZEN"
        COMPANY = "COMPANY"

    class Status(models.TextChoices):
        REGISTERED = "REGISTERED"
        EXEMPT = "EXEMPT"
        CLOSED = "CLOSED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # CPR (10 digits) for citizens, CVR (8 digits) for companies.
    number = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REGISTERED)
    address_line = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="DK")
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="one_contact_per_number")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind} {self.number})"


class Mailbox(models.Model):
    """The digital mailbox of one citizen or company; messages are delivered into it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="mailbox")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Mailbox of {self.owner}"
