"""Removing post: Deleted emptied after its days, and the retention rules for closed mailboxes.

Nothing leaves a mailbox unless its owner deleted it or a rule (settings, docs/mailbox.md) says so:

- DELETED: in Deleted for DIGITALPOST_RETENTION_DELETED_DAYS (30);
- DECEASED: a citizen the contact register has CLOSED, DIGITALPOST_RETENTION_DECEASED_YEARS (5) after the
  register's `closed_on` (the date of death);
- CLOSED_COMPANY: a company the register has CLOSED, DIGITALPOST_RETENTION_CLOSED_COMPANY_YEARS (10) after its
  closing day.

Removing a message's content takes its documents and MeMo out of the blob store (unless another message still
holds the same content-addressed blob), its document rows, search entry and folder placement out of the
database, and its subject and actions out of its row. The row itself stays as the tombstone the sender's
timeline and receipts hang on, with a last event, MESSAGE_CONTENT_DELETED, that names the rule and the SHA-256
of everything removed — appended to the hash chain, so `verify_timeline` still proves every entry. Each batch
commits with an audit entry counting what it removed; blobs are removed after that commit (a crash in between
leaves unreferenced blobs, never a reference to a missing one).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from digitalpost.audit.services import record_change
from digitalpost.blobstore import BlobStore
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import SYSTEM_ACTOR, Actor
from digitalpost.filing.models import Placement, SearchEntry
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message
from digitalpost.messages.services.events import append_event
from digitalpost.registry.models import Contact

BATCH = 200


class Rule(StrEnum):
    DELETED = "DELETED"
    DECEASED = "DECEASED"
    CLOSED_COMPANY = "CLOSED_COMPANY"


@dataclass
class RetentionReport:
    now: datetime
    dry_run: bool
    messages: dict[str, int] = field(default_factory=lambda: {rule.value: 0 for rule in Rule})
    documents: int = 0
    blobs_removed: int = 0
    blobs_kept_shared: int = 0

    @property
    def total(self) -> int:
        return sum(self.messages.values())


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def due_messages(rule: Rule, *, now: datetime) -> QuerySet[Message]:
    """The messages `rule` removes at `now` (content not yet removed); empty when the rule is switched off."""
    alive = Message.objects.filter(content_deleted_at=None)
    if rule == Rule.DELETED:
        days = settings.DIGITALPOST_RETENTION_DELETED_DAYS
        if days <= 0:
            return alive.none()
        return alive.filter(placement__deleted_at__lte=now - timedelta(days=days))
    kind, years = ((Contact.Kind.CITIZEN, settings.DIGITALPOST_RETENTION_DECEASED_YEARS) if rule == Rule.DECEASED
                   else (Contact.Kind.COMPANY, settings.DIGITALPOST_RETENTION_CLOSED_COMPANY_YEARS))
    if years <= 0:
        return alive.none()
    return alive.filter(mailbox__owner__kind=kind, mailbox__owner__status=Contact.Status.CLOSED,
                        mailbox__owner__closed_on__lte=years_before(now.date(), years))


def count_due(*, now: datetime) -> dict[str, int]:
    return {rule.value: due_messages(rule, now=now).count() for rule in Rule}


def run_retention(*, now: datetime, dry_run: bool = False, actor: Actor = SYSTEM_ACTOR,
                  progress: Callable[[int], None] | None = None, store: BlobStore | None = None,
                  batch: int = BATCH) -> RetentionReport:
    """Apply every rule at `now` (passed in, so tests move the clock). A dry run only counts."""
    report = RetentionReport(now=now, dry_run=dry_run)
    if dry_run:
        report.messages = count_due(now=now)
        report.documents = sum(Document.objects.filter(message__in=due_messages(rule, now=now)).count()
                               for rule in Rule)
        return report
    store = store or blob_store()
    for rule in Rule:
        for ids in _batches(rule, now=now, size=batch):
            blobs = _remove_content(ids, rule=rule, now=now, actor=actor, report=report)
            _remove_blobs(blobs, store=store, report=report)
            if progress is not None:
                progress(len(ids))
    return report


def _batches(rule: Rule, *, now: datetime, size: int) -> Iterator[list[uuid.UUID]]:
    # Asked again after each batch: what a batch removed is no longer due, so this always moves on.
    while True:
        ids = list(due_messages(rule, now=now).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids


@transaction.atomic(durable=True)
def _remove_content(ids: list[uuid.UUID], *, rule: Rule, now: datetime, actor: Actor,
                    report: RetentionReport) -> set[str]:
    """Remove the content of these messages in one transaction; the blob keys they held."""
    blobs: set[str] = set()
    removed = documents = 0
    locked = Message.objects.select_for_update(no_key=True).filter(pk__in=ids, content_deleted_at=None)
    for message in locked.order_by("pk"):
        held = list(message.documents.order_by("position").values("position", "blob", "size"))
        append_event(message, EventKind.MESSAGE_CONTENT_DELETED, at=now, data={
            "rule": rule.value, "memoSha256": message.memo_sha256, "memoSize": message.memo_size,
            "documents": [{"position": d["position"], "sha256": d["blob"], "size": d["size"]} for d in held],
        })
        blobs.update(d["blob"] for d in held)
        if message.pending_memo is None and message.memo_blob:
            blobs.add(message.memo_blob)
        documents += len(held)
        removed += 1
    Document.objects.filter(message_id__in=ids).delete()
    SearchEntry.objects.filter(message_id__in=ids).delete()
    Placement.objects.filter(message_id__in=ids).delete()
    Message.objects.filter(pk__in=ids, content_deleted_at=None).update(
        content_deleted_at=now, label="", pending_memo=None, document_parts=None, entered_fields=None, actions=[],
        actions_open_until=None, has_undated_action=False, sender_message_id="")
    record_change(actor=actor, organisation="", action="retention.removed", object_type="retention",
                  object_label=f"retention {rule.value}: {removed} messages",
                  after={"rule": rule.value, "messages": removed, "documents": documents, "at": now.isoformat()})
    report.messages[rule.value] += removed
    report.documents += documents
    return blobs


def _remove_blobs(keys: set[str], *, store: BlobStore, report: RetentionReport) -> None:
    """Remove the blobs nothing else holds; a mass send's PDF stays while any recipient still has the letter."""
    if not keys:
        return
    still_held = set(Document.objects.filter(blob__in=keys).values_list("blob", flat=True))
    still_held |= set(Message.objects.filter(memo_blob__in=keys, content_deleted_at=None)
                      .values_list("memo_blob", flat=True))
    for key in keys - still_held:
        store.delete(key)
        report.blobs_removed += 1
    report.blobs_kept_shared += len(keys & still_held)
