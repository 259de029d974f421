"""Powers of attorney: a grantor's mailbox opened to a holder, for a period, at a level, until ended."""

from __future__ import annotations

import uuid

from django.db import models

from digitalpost.registry.models import Contact


class PowerOfAttorney(models.Model):
    """One citizen (the grantor) lets another citizen (the holder) use their Digital Post mailbox.

    Given by the grantor in the web mailbox, or registered by citizen-service staff in the portal for someone who
    cannot (then `reason` says why and `registered_in` names the organisation). It is active from `starts_on` to
    `ends_on` (the last day; empty: until ended) unless `ended_at` is set; access is checked against that on every
    request, so an expired or ended power opens nothing from that moment.

    Scope: the whole mailbox (`scope` WHOLE_MAILBOX), or chosen folders (`scope` FOLDERS): any of the grantor's own
    folders (`folders`), and Inbox and Sent (`opens_inbox`, `opens_sent`: those two are no rows of their own, they
    are where a message without a placement lies, so they are chosen by flag). Deleted is never chosen. The holder's
    MailboxViewer carries the scope (attorney.selectors.mailbox_viewer), and messages.selectors.visible_messages
    narrows everything the holder sees or does to it. A folder the grantor removes leaves the power with it.
    """

    class Level(models.TextChoices):
        READ = "READ", "Read"
        READ_WRITE = "READ_WRITE", "Read and write"

    class Scope(models.TextChoices):
        WHOLE_MAILBOX = "WHOLE_MAILBOX", "Whole mailbox"
        FOLDERS = "FOLDERS", "Chosen folders"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    grantor = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="powers_given")
    holder = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="powers_held")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.READ)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.WHOLE_MAILBOX)
    # Scope FOLDERS: the grantor's own folders it opens, and whether it opens Inbox and Sent.
    folders = models.ManyToManyField("filing.Folder", blank=True, related_name="powers_of_attorney")
    opens_inbox = models.BooleanField(default=False)
    opens_sent = models.BooleanField(default=False)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)  # last day of access; empty = until ended
    # Who registered it: the grantor themself, or citizen-service staff (their user and organisation's CVR).
    registered_by = models.CharField(max_length=150)
    registered_in = models.CharField(max_length=8, blank=True)
    reason = models.TextField(blank=True)  # required when staff register it
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(grantor=models.F("holder")), name="power_to_another_person"),
        ]
        indexes = [
            models.Index(fields=["holder", "starts_on"], name="powers_held"),
            models.Index(fields=["grantor", "starts_on"], name="powers_given"),
        ]

    def __str__(self) -> str:
        # Names only: a CPR number never goes into a label, a log or the audit log.
        return f"Power of attorney from {self.grantor.name} to {self.holder.name}"
