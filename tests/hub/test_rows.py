"""hub.rows writes rows as the ORM would: the same converted values, and bulk_create's upsert."""

from __future__ import annotations

import uuid
from datetime import UTC

import pytest
from django.db import connection
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.filing.models import SearchEntry
from digitalpost.hub.rows import PreparedRows, _plan, insert_many
from digitalpost.messages.models import Document, Event, Message, Receipt
from digitalpost.outbox.models import Job, WorkKind

pytestmark = pytest.mark.django_db


def comparable(values: list) -> list:
    """psycopg's JSON parameter (Jsonb) has no equality of its own: compare what it wraps, and its type."""
    return [(type(value), value.obj) if hasattr(value, "obj") else value for value in values]


def django_params(obj) -> list:
    plan = _plan(type(obj), connection)
    return comparable([field.get_db_prep_save(field.pre_save(obj, True), connection) for field in plan.fields])


def test_prepared_parameters_are_the_ones_django_would_send():
    message_id, now = uuid.uuid4(), timezone.now()
    message = Message(pk=message_id)
    rows = [
        Event(message=message, seq=1, kind=EventKind.MESSAGE_RECEIVED, at=now, data={"a": [1, "b"]}, prev_hash="0" * 64,
              hash="1" * 64),
        Event(message_id=str(message_id), seq=2, kind="MESSAGE_DELIVERED", at=now, data={}, prev_hash="1" * 64,
              hash="2" * 64),  # the foreign key given as text, the kind as a plain string
        Receipt(message=message, sender_system_id=None, status=ReceiptStatus.COMPLETED, created_at=now),
        Document(message=message, position=1, role="main", label="Brev", filename="a.pdf",
                 media_type="application/pdf", language="da", size=12, blob="a" * 64),
        Job(kind=WorkKind.NOTIFY, key=f"notice:{message_id}", payload={"message": str(message_id)}, run_after=now,
            created_at=now, request_id="", max_attempts=8),
        # Timestamps left empty (NULL), JSON, bytes, a date, foreign keys unset: a new message as ingest builds it.
        Message(pk=message_id, message_uuid=uuid.uuid4(), accepted_at=now, pending_memo=b"<memo/>",
                document_parts=[{"position": 1, "start": 10}], do_not_deliver_until=now.date(), label="Brev"),
    ]
    for row in rows:
        assert [comparable(p) for p in PreparedRows([row]).params] == [django_params(row)], type(row).__name__


def test_rows_built_together_share_converted_timestamps_but_keep_their_own():
    earlier, now = timezone.now() - timezone.timedelta(seconds=5), timezone.now()
    jobs = [Job(kind=WorkKind.NOTIFY, key=f"k{n}", payload={}, run_after=when, created_at=now, request_id="",
                max_attempts=8) for n, when in enumerate([earlier, now, earlier, now])]
    assert [comparable(p) for p in PreparedRows(jobs).params] == [django_params(job) for job in jobs]


def test_rows_of_several_models_built_together_share_converted_timestamps():
    earlier, now = timezone.now() - timezone.timedelta(seconds=5), timezone.now()
    message = Message(pk=uuid.uuid4(), message_uuid=uuid.uuid4(), accepted_at=now)
    event = Event(message=message, seq=1, kind=EventKind.MESSAGE_RECEIVED, at=now.astimezone(UTC), data={},
                  prev_hash="0" * 64, hash="1" * 64)
    job = Job(kind=WorkKind.DELIVER, key="k", payload={}, run_after=earlier, created_at=now, request_id="",
              max_attempts=8)
    converted: dict = {}
    for row in (message, event, job):
        assert [comparable(p) for p in PreparedRows([row], converted=converted).params] == [django_params(row)]
    # SQLite stores a datetime as text, converted once per moment (now and earlier); PostgreSQL takes it as it is.
    assert len(converted) == (2 if connection.vendor == "sqlite" else 0)


def test_an_upsert_updates_the_row_that_holds_the_same_unique_value(cast):
    from digitalpost.messages.services.ingest import accept_memo
    from digitalpost.protocols import memo

    accepted = accept_memo(system=cast.nordby.system, body=memo.build(cast.nordby.memo(cast.anna, label="Hej")))
    message = accepted.message
    owner_id = cast.anna.pk

    def entry(body: str) -> SearchEntry:
        return SearchEntry(message=message, owner_id=owner_id, owner_key=owner_id.hex, sender="Nordby", label="Hej",
                           body=body, attachments="a.pdf")

    fields = ["owner_id", "owner_key", "sender", "label", "body", "attachments"]
    insert_many([entry("first")], update_conflicts=(["message"], fields))
    insert_many([entry("second")], update_conflicts=(["message"], fields))
    assert list(SearchEntry.objects.filter(message=message).values_list("body", flat=True)) == ["second"]
