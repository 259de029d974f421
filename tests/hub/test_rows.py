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


def test_many_rows_of_every_kind_of_value_read_back_as_written():
    """Several rows in one insert_many (on PostgreSQL: one array per column): UUIDs, text, integers, JSON, times,
    a column that is NULL in every row and one NULL in some, each read back as the row said, ids in row order."""
    earlier, now = timezone.now() - timezone.timedelta(hours=1), timezone.now()
    claimer = uuid.uuid4()
    jobs = [Job(kind=WorkKind.NOTIFY, key=f"many:{n}", payload={"n": n, "text": "æ'\"{,}\\", "list": [1, None]},
                run_after=earlier if n % 2 else now, created_at=now, request_id="r" * n, max_attempts=n + 1,
                claimed_by=claimer if n % 3 == 0 else None)
            for n in range(7)]
    written = insert_many(jobs)
    assert [job.pk for job in written] == sorted(job.pk for job in written)
    stored = {job.key: job for job in Job.objects.filter(key__startswith="many:")}
    for job in jobs:
        again = stored[job.key]
        assert again.pk == job.pk
        assert (again.payload, again.run_after, again.created_at, again.request_id, again.max_attempts,
                again.claimed_by, again.done_at, again.kind) == (
                job.payload, job.run_after, job.created_at, job.request_id, job.max_attempts, job.claimed_by, None,
                WorkKind.NOTIFY)


def test_many_messages_keep_their_bytes_and_json(cast):
    """The message row's own kinds of value (bytes of the MeMo kept in the row, JSON document parts) in one
    insert_many of several rows."""
    from digitalpost.messages.services.ingest import accept_memo
    from digitalpost.protocols import memo

    template = accept_memo(system=cast.nordby.system, body=memo.build(cast.nordby.memo(cast.anna))).message
    rows = []
    for n, pending in enumerate([b"\x00\xff<memo/>", None, bytes(range(256))]):
        row = Message.objects.get(pk=template.pk)
        row.pk, row.message_uuid, row.transmission_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        row.pending_memo = pending
        row.document_parts = [{"at": [n, n + 4], "label": "Brev ø"}] if n != 1 else None
        rows.append(row)
    insert_many(rows)
    for row in rows:
        again = Message.objects.get(pk=row.pk)
        assert (bytes(again.pending_memo) if again.pending_memo is not None else None) == row.pending_memo
        assert again.document_parts == row.document_parts


@pytest.mark.postgres
def test_on_postgresql_many_rows_go_as_one_array_per_column():
    """A multi-row VALUES list carries a parameter per value, which psycopg splits and quotes in Python on every
    execute; on PostgreSQL the rows go as one array parameter per column instead (as Django's bulk_create does)."""
    assert connection.vendor == "postgresql"
    now = timezone.now()
    jobs = [Job(kind=WorkKind.NOTIFY, key=f"arrays:{n}", payload={}, run_after=now, created_at=now, request_id="",
                max_attempts=8) for n in range(300)]
    sent: list[tuple[str, int]] = []

    def record(execute, sql, params, many, context):
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        insert_many(jobs)
    assert len(sent) == 1
    sql, parameters = sent[0]
    assert "UNNEST(" in sql
    assert parameters == len(_plan(Job, connection).fields)
    assert Job.objects.filter(key__startswith="arrays:").count() == 300


def test_a_unique_key_taken_twice_in_many_rows_is_djangos_integrity_error():
    """The group's fallback (decision 0017) and a single submission's race handling catch Django's IntegrityError:
    the rows' own cursor (PostgreSQL: bound on the server) translates the database's error as Django's does."""
    from django.db import IntegrityError, transaction

    now = timezone.now()
    jobs = [Job(kind=WorkKind.NOTIFY, key="twice", payload={}, run_after=now, created_at=now, request_id="",
                max_attempts=8) for _ in range(2)]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many(jobs)
    assert not Job.objects.filter(key="twice").exists()
