"""Queueing receipt pushes costs one endpoint query per sender system and transaction, not one per event: a batch
of deliveries (the mass-send batch handler, many messages in one transaction) reads the endpoints once, and still
queues every event's push in the order of the events. A change to an endpoint inside the transaction, or a
transaction that rolled back, is never served from a stale read. Real transactions (transactional_db): the cache
lives as long as the outermost one."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from digitalpost.delivery.channels.web_mailbox import deliver_batch
from digitalpost.messages.models import EventPush, Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.systems.models import SenderPushEndpoint
from digitalpost.systems.selectors import push_targets

ENDPOINT_TABLE = SenderPushEndpoint._meta.db_table


def endpoint_reads(context: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in context.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT") and f'FROM "{ENDPOINT_TABLE}"' in q["sql"]]


def endpoint(system, url: str, *, event_types: list[str] | None = None, active: bool = True) -> SenderPushEndpoint:
    return SenderPushEndpoint.objects.create(sender_system=system, url=url, event_types=event_types or [],
                                             is_active=active)


def test_a_batch_of_deliveries_reads_the_endpoints_once_and_queues_every_push_in_event_order(tx_cast):
    cast = tx_cast
    system = cast.nordby.system
    wants_all = endpoint(system, "https://esdh.nordby.example/all")
    wants_read = endpoint(system, "https://esdh.nordby.example/read", event_types=["read"])
    asleep = endpoint(system, "https://esdh.nordby.example/off", active=False)
    for _ in range(10):
        assert cast.nordby.submit(cast.nordby.memo(cast.anna)).status_code in (200, 201, 202)
    jobs = list(Job.objects.filter(kind=WorkKind.DELIVER, state=Job.State.PENDING).order_by("id"))
    assert len(jobs) == 10
    before = set(EventPush.objects.values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as batch:
        deliver_batch(jobs)

    assert len(endpoint_reads(batch)) == 1
    assert Message.objects.filter(state=Message.State.DELIVERED).count() == 10
    made = EventPush.objects.exclude(pk__in=before).select_related("event").order_by("id")
    for target in (wants_all, asleep):
        pushes = [p for p in made if p.endpoint_id == target.pk]
        assert [p.event.kind for p in pushes] == ["MESSAGE_DELIVERED"] * 10
        # Pushes are numbered in the order their events were written.
        assert [p.event_id for p in pushes] == sorted(p.event_id for p in pushes)
    assert not [p for p in made if p.endpoint_id == wants_read.pk]
    woken = Job.objects.filter(kind=WorkKind.PUSH_EVENTS, key__startswith=f"push:{wants_all.pk}:")
    assert woken.count() == 10 + 10  # received at ingest, delivered in the batch
    assert not Job.objects.filter(kind=WorkKind.PUSH_EVENTS, key__startswith=f"push:{asleep.pk}:").exists()


def test_single_submissions_outside_a_batch_read_the_endpoints_once_per_event(tx_cast):
    cast = tx_cast
    # Each acceptance is its own transaction: a fresh read each time, never a cache from an earlier one.
    endpoint(cast.nordby.system, "https://esdh.nordby.example/all")
    with CaptureQueriesContext(connection) as singles:
        with transaction.atomic():
            push_targets(cast.nordby.system.pk)
        with transaction.atomic():
            push_targets(cast.nordby.system.pk)
    assert len(endpoint_reads(singles)) == 2


def test_an_endpoint_made_inside_the_transaction_is_seen_by_the_next_event(tx_cast):
    cast = tx_cast
    system = cast.nordby.system
    with transaction.atomic():
        assert push_targets(system.pk) == []
        made = endpoint(system, "https://esdh.nordby.example/new")
        assert [t.id for t in push_targets(system.pk)] == [made.pk]
        SenderPushEndpoint.objects.get(pk=made.pk).delete()
        assert push_targets(system.pk) == []


def test_a_read_inside_a_rolled_back_transaction_is_not_used_afterwards(tx_cast):
    cast = tx_cast
    system = cast.nordby.system
    def read_then_fail() -> None:
        with transaction.atomic():
            assert push_targets(system.pk) == []
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        read_then_fail()
    # bulk_create sends no signal: only the rollback can have made the earlier read stale.
    SenderPushEndpoint.objects.bulk_create([SenderPushEndpoint(sender_system=system, url="https://x.example/r")])
    with transaction.atomic():
        assert len(push_targets(system.pk)) == 1
