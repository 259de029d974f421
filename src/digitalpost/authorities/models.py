"""Authorities: public organisations that send Digital Post, identified by CVR."""

from __future__ import annotations

import uuid

from django.db import models


class Authority(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cvr = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    may_send_mandatory = models.BooleanField(default=False)
    may_send_legal_notification = models.BooleanField(default=False)
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
    max_message_bytes = models.PositiveIntegerField(default=10 * 1024 * 1024)
    # Where inquiries to this mailbox are delivered; set up under systems.
    receiver_system = models.ForeignKey(
        "systems.ReceiverSystem", null=True, blank=True, on_delete=models.PROTECT, related_name="mailboxes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["authority", "parent", "name"], name="unique_mailbox_name")]

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
