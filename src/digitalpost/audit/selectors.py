"""Reading the audit log: filtered lists for the portal and admin API, readable changes, export rows, and
the chain verification. Not for writing: entries are appended only by `audit.services.record_change`."""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from digitalpost.audit.models import AuditEntry, AuditHead
from digitalpost.core import spreadsheet
from digitalpost.core.hashchain import first_break
from digitalpost.core.spreadsheet import Cell


def list_entries(*, organisation: str | None) -> QuerySet[AuditEntry]:
    """Newest first; `organisation=None` for every organisation (the platform operator)."""
    entries = AuditEntry.objects.order_by("-seq")
    return entries if organisation is None else entries.filter(organisation=organisation)


@dataclass(frozen=True)
class AuditFilter:
    """What a reader narrows the log to; empty fields do not filter."""

    action_prefix: str = ""  # "mailbox" matches "mailbox.created", "mailbox.changed", …
    actor: str = ""  # part of the actor's label (user name, "cli", "system")
    since: datetime.date | None = None  # inclusive, in the site's time zone
    until: datetime.date | None = None  # inclusive
    organisation: str | None = None  # the platform view only: a CVR, or "" for platform-wide entries


def filter_entries(entries: QuerySet[AuditEntry], wanted: AuditFilter) -> QuerySet[AuditEntry]:
    if wanted.action_prefix:
        entries = entries.filter(action__startswith=wanted.action_prefix.strip())
    if wanted.actor:
        entries = entries.filter(actor_label__icontains=wanted.actor.strip())
    if wanted.since is not None:
        entries = entries.filter(at__date__gte=wanted.since)
    if wanted.until is not None:
        entries = entries.filter(at__date__lte=wanted.until)
    if wanted.organisation is not None:
        entries = entries.filter(organisation=wanted.organisation)
    return entries


@dataclass(frozen=True)
class Change:
    """One key that differs between an entry's before and after (absent on one side: None there)."""

    key: str
    before: Any
    after: Any


def list_changes(entry: AuditEntry) -> list[Change]:
    """The keys an entry changed, in a stable order: every filled-in one for a creation or a removal."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    keys = list(before) + [key for key in after if key not in before]
    # Empty on both sides ("" created, nothing before) tells the reader nothing.
    return [Change(key, before.get(key), after.get(key)) for key in keys
            if before.get(key) != after.get(key) and not (_empty(before.get(key)) and _empty(after.get(key)))]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


EXPORT_FIELDS = ("seq", "at", "actor", "organisation", "action", "object_type", "object_id", "object_label",
                 "before", "after", "hash")


def export_rows(entries: QuerySet[AuditEntry]) -> Iterator[dict[str, object]]:
    for entry in entries.order_by("seq").iterator(chunk_size=2000):
        body = entry.body()
        yield {name: body.get(name, getattr(entry, name, None)) for name in EXPORT_FIELDS} | {"hash": entry.hash}


def _csv_cell(name: str, value: object) -> Cell:
    if name in ("before", "after"):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value if isinstance(value, str | int | float) or value is None else str(value)


def csv_lines(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    """CSV with a header row; before and after as JSON text in their cells; formula-like text neutralised."""
    header: list[Cell] = list(EXPORT_FIELDS)
    return spreadsheet.csv_lines(
        itertools.chain([header], ([_csv_cell(name, row[name]) for name in EXPORT_FIELDS] for row in rows)))


def json_array(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    """One JSON array of entries, oldest first, streamed an entry at a time (portal and CLI export)."""
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str)
    yield "\n]\n"


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
