"""Sender systems: machines allowed to send for an authority, authenticated by a hashed API token."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from digitalpost.authorities.models import Authority


class Certificate(models.Model):
    """An uploaded X.509 certificate of an authority, with what the admin portal and the doctor need."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="certificates")
    pem = models.TextField()
    sha256 = models.CharField(max_length=64)
    subject = models.CharField(max_length=500)
    issuer = models.CharField(max_length=500)
    # Decimal string: serials can exceed 64 bits. Signers are matched by issuer + serial, never serial alone.
    serial = models.CharField(max_length=80)
    emails = models.JSONField(default=list)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "sha256"], name="one_upload_per_certificate")]
        indexes = [models.Index(fields=["issuer", "serial"], name="certificate_issuer_serial")]

    def __str__(self) -> str:
        return f"{self.subject} (until {self.not_after:%Y-%m-%d})"


class SenderSystem(models.Model):
    class Channel(models.TextChoices):
        REST = "REST"
        SECURE_MAIL = "SECURE_MAIL"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="sender_systems")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.REST)
    certificate = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="sender_systems"
    )
    # SHA-256 of the token: tokens are long random strings, so a fast hash suffices and lookup is exact.
    token_sha256 = models.CharField(max_length=64, unique=True)
    token_issued_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    is_standard = models.BooleanField(default=False)
    # Addresses and networks ("192.0.2.10", "192.0.2.0/24") the system may call from; empty: any.
    ip_allowlist = models.JSONField(default=list, blank=True)
    # KombiPost when a message does not say (?kombi=): automatic, digital or print (core.kombi.Kombi).
    default_kombi = models.CharField(max_length=10, default="automatic")
    # The receipts this system has already pulled: it sees each one once.
    receipt_cursor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority"], condition=Q(is_standard=True), name="one_standard_sender_system"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority.cvr})"


class SecureAddress(models.Model):
    """An authority's e-mail endpoint with the S/MIME certificate mail to it is encrypted for."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="secure_addresses")
    email = models.EmailField()
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="secure_addresses")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "email"], name="unique_secure_address")]

    def __str__(self) -> str:
        return self.email


class ReceiverSystem(models.Model):
    """Where messages to the authority go: a secure address (SMTP), REST push or REST pull."""

    class Kind(models.TextChoices):
        SECURE_ADDRESS = "SECURE_ADDRESS"
        REST_PUSH = "REST_PUSH"
        REST_PULL = "REST_PULL"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="receiver_systems")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    secure_address = models.ForeignKey(
        SecureAddress, null=True, blank=True, on_delete=models.PROTECT, related_name="receiver_systems"
    )
    endpoint_url = models.URLField(blank=True)
    # For REST pull: the token the receiving system authenticates with (hashed like sender tokens).
    token_sha256 = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="SECURE_ADDRESS") | Q(secure_address__isnull=False),
                name="secure_address_receiver_has_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class SenderPushEndpoint(models.Model):
    """An HTTPS endpoint of a sender system the hub pushes its messages' receipts and events to.

    Signed with the hub's RSA key or with the endpoint's HMAC secret (shown once when made; the hub keeps it to
    sign with). A push that fails marks the endpoint failing; after DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS it
    is deactivated like a receiver system and the doctor alerts. Pushes are sent one at a time, in order, by
    whichever worker holds `sending_until` (docs/decisions/0007-receipt-push-queue.md).
    """

    class Signing(models.TextChoices):
        RSA = "RSA"
        HMAC = "HMAC"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sender_system = models.ForeignKey(SenderSystem, on_delete=models.CASCADE, related_name="push_endpoints")
    url = models.URLField(max_length=500)
    signing = models.CharField(max_length=4, choices=Signing.choices, default=Signing.HMAC)
    hmac_secret = models.CharField(max_length=100, blank=True)
    # core.receipt_push.PushType values this endpoint wants; empty: all of them.
    event_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # No attempt before this moment while it fails (its own back-off, so a queue of waiting pushes makes one
    # attempt per back-off, not one per push).
    retry_after = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # The worker sending for this endpoint holds it until then: one sender at a time keeps the order.
    sending_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.url} ({self.signing})"
