"""Folders, where a message is filed, the search index, and the tombstones retention leaves.

A mailbox's owner is its Contact (a citizen by CPR or a company by CVR), never a login: a company's employees
share the company's folders. A message without a Placement is in its natural folder (Inbox for letters, Sent for
what the person wrote); a Placement puts it in an own folder or in Deleted.
"""

from __future__ import annotations

import uuid

from django.db import models

from digitalpost.messages.models import Message
from digitalpost.registry.models import Contact


class Folder(models.Model):
    """A folder the mailbox's owner made for themself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="one_folder_per_name")]

    def __str__(self) -> str:
        return self.name


class Placement(models.Model):
    """A message moved out of its natural folder: into an own folder, or into Deleted (`deleted_at`)."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, primary_key=True, related_name="placement")
    owner = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    folder = models.ForeignKey(Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="placements")
    # In Deleted since then; Deleted is emptied DIGITALPOST_RETENTION_DELETED_DAYS later.
    deleted_at = models.DateTimeField(null=True, blank=True)
    moved_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["owner", "folder"], name="placements_by_folder"),
            models.Index(fields=["deleted_at"], condition=models.Q(deleted_at__isnull=False),
                         name="placements_deleted"),
        ]


class SearchEntry(models.Model):
    """What full-text search finds a message by: sender, subject, text and attachment names.

    The database keeps its own index of these rows (migration 0002): on PostgreSQL a generated `tsvector` column
    with a GIN index, on SQLite an FTS5 table over this one kept in step by triggers. `owner_key` (the owner's id
    as 32 hex digits) is indexed too, so SQLite finds one person's matches in the index instead of filtering
    everyone's.
    """

    id = models.BigAutoField(primary_key=True)
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="search_entry")
    owner = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    owner_key = models.CharField(max_length=32)
    sender = models.CharField(max_length=256)
    label = models.CharField(max_length=256)
    body = models.TextField(blank=True)
    attachments = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner"], name="search_by_owner")]

