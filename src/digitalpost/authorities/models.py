"""Authorities: public organisations that send Digital Post, identified by CVR."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class Authority(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "KOMMUNE", "kommune (municipality)"
        REGION = "REGION", "region"
        STATE = "STAT", "statslig myndighed (state authority)"
        OTHER = "ANDEN", "anden offentlig myndighed (other public authority)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cvr = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MUNICIPALITY)
    may_send_mandatory = models.BooleanField(default=False)
    may_send_legal_notification = models.BooleanField(default=False)
    # Who to call when something breaks (technical) and who owns the set-up (business); the doctor warns
    # when the technical contact is missing.
    technical_contact_name = models.CharField(max_length=200, blank=True)
    technical_contact_email = models.EmailField(blank=True)
    technical_contact_phone = models.CharField(max_length=40, blank=True)
    business_contact_name = models.CharField(max_length=200, blank=True)
    business_contact_email = models.EmailField(blank=True)
    business_contact_phone = models.CharField(max_length=40, blank=True)
    # Working days within which an inquiry should be answered (reply statistics and the doctor).
    reply_deadline_days = models.PositiveSmallIntegerField(default=10)
    # Secure-mail replies signed with the SHA-1 digest are accepted (the doctor warns) unless the organisation
    # has moved every sender to SHA-256 and switched this on; then they bounce with signature.sha1.refused.
    refuse_sha1_signatures = models.BooleanField(default=False)
    # New letters by secure mail may name their recipient in NgDP's gateway address form
    # <CPR or CVR>@<CVR or mailbox id>.<hub mail domain> (the number then travels in the TLS-protected envelope, not
    # end to end encrypted); an organisation that wants the number only inside the encrypted content turns it off.
    accepts_gateway_addresses = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.cvr})"


class AuthorityMailbox(models.Model):
    """A named inbox of an authority (contact point) that citizens and companies can write to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="mailboxes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_open = models.BooleanField(default=True, help_text="Open for new inquiries from citizens and companies.")
    is_visible = models.BooleanField(default=True)
    # Replies to letters whose material says "standard mailbox" come here; at most one per authority.
    is_standard = models.BooleanField(default=False)
    max_message_bytes = models.PositiveIntegerField(default=10 * 1024 * 1024)
    # Where inquiries to this mailbox are delivered; set up under systems.
    receiver_system = models.ForeignKey(
        "systems.ReceiverSystem", null=True, blank=True, on_delete=models.PROTECT, related_name="mailboxes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "parent", "name"], name="unique_mailbox_name"),
            models.UniqueConstraint(fields=["authority"], condition=Q(is_standard=True), name="one_standard_mailbox"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority.name})"


class MailboxTopic(models.Model):
    mailbox = models.ForeignKey(AuthorityMailbox, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "name"], name="unique_topic_name")]

    def __str__(self) -> str:
        return self.name


class MetadataField(models.Model):
    """A field the citizen fills in when writing to the mailbox (e.g. 'Barnets navn')."""

    mailbox = models.ForeignKey(AuthorityMailbox, on_delete=models.CASCADE, related_name="metadata_fields")
    label = models.CharField(max_length=100)
    is_required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "label"], name="unique_metadata_label")]

    def __str__(self) -> str:
        return self.label


class Material(models.Model):
    """A kind of letter the authority sends (e.g. 'Afgørelse om boligstøtte'), and where its replies go."""

    class ReplyRule(models.TextChoices):
        NONE = "NONE", "no reply"
        STANDARD = "STANDARD", "the standard mailbox"
        MAILBOX = "MAILBOX", "a named mailbox"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="materials")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    reply_rule = models.CharField(max_length=8, choices=ReplyRule.choices, default=ReplyRule.STANDARD)
    reply_mailbox = models.ForeignKey(
        AuthorityMailbox, null=True, blank=True, on_delete=models.PROTECT, related_name="materials"
    )
    is_mandatory = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"], name="unique_material_name"),
            models.CheckConstraint(
                condition=~Q(reply_rule="MAILBOX") | Q(reply_mailbox__isnull=False),
                name="named_mailbox_rule_has_mailbox",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionGroup(models.Model):
    """Materials grouped for citizens and companies to subscribe to (tilmeldingsgruppe)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="subscription_groups")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    materials = models.ManyToManyField(Material, blank=True, related_name="subscription_groups")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["authority", "name"], name="unique_subscription_group")]

    def __str__(self) -> str:
        return self.name
