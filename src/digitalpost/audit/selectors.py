"""Reading the audit log: lists for the portal, export rows, and the chain verification."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from digitalpost.audit.models import AuditEntry, AuditHead
from digitalpost.core.hashchain import first_break


def list_entries(*, organisation: str | None) -> QuerySet[AuditEntry]:
    """Newest first; `organisation=None` for every organisation (the platform operator)."""
    entries = AuditEntry.objects.order_by("-seq")
    return entries if organisation is None else entries.filter(organisation=organisation)


EXPORT_FIELDS = ("seq", "at", "actor", "organisation", "action", "object_type", "object_id", "object_label",
                 "before", "after", "hash")


def export_rows(entries: QuerySet[AuditEntry]) -> Iterator[dict[str, object]]:
    for entry in entries.order_by("seq").iterator(chunk_size=2000):
        body = entry.body()
        yield {name: body.get(name, getattr(entry, name, None)) for name in EXPORT_FIELDS} | {"hash": entry.hash}


@dataclass(frozen=True)
class Verification:
    entries: int
    first_bad_seq: int | None  # None: intact

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def verify_audit_log() -> Verification:
    """Recompute the whole chain; also catches entries cut off at the end (the head remembers the last)."""
    rows = AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)
    count = 0

    def chain() -> Iterator[tuple[int, dict[str, object], str, str]]:
        nonlocal count
        for entry in rows:
            count += 1
            yield entry.seq, entry.body(), entry.prev_hash, entry.hash

    bad = first_break(chain())
    if bad is not None:
        return Verification(count, bad)
    head = AuditHead.objects.filter(pk=1).first()
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is not None and head.seq and (last is None or (last[0], last[1]) != (head.seq, head.hash)):
        return Verification(count, (last[0] + 1) if last else 1)
    return Verification(count, None)
