"""Queueing receipt pushes costs one endpoint query per sender system and batch, not one per event: a batch of
deliveries (many messages in one transaction) and a group-commit batch of acceptances read the endpoints once, and
still queue every event's push in the order of the events. Outside a batch every read is fresh, and nothing read
in one batch serves the next. Real transactions (transactional_db)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from digitalpost.delivery.channels.web_mailbox import deliver_batch
from digitalpost.hub.group_commit import GroupCommitter, batch_reads
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


def read_in_a_batch(committer: GroupCommitter, system_id, writes: int, *, fail: bool = False) -> list[Future]:
    """One group-commit batch of `writes` writes that each read the system's endpoints (the last one fails)."""
    def read() -> list:
        return push_targets(system_id)

    def read_then_fail() -> list:
        push_targets(system_id)
        raise RuntimeError("this write fails alone")

    batch = [(read, Future()) for _ in range(writes)]
    if fail:
        batch.append((read_then_fail, Future()))
    committer._commit(batch)
    return [future for _, future in batch]


def test_a_group_commit_batch_reads_each_systems_endpoints_once_and_the_next_batch_afresh(tx_cast):
    cast = tx_cast
    system = cast.nordby.system
    first = endpoint(system, "https://esdh.nordby.example/all")
    committer = GroupCommitter()
    with CaptureQueriesContext(connection) as one_batch:
        futures = read_in_a_batch(committer, system.pk, 5, fail=True)
    assert len(endpoint_reads(one_batch)) == 1
    assert [[t.id for t in f.result()] for f in futures[:5]] == [[first.pk]] * 5
    with pytest.raises(RuntimeError):
        futures[5].result()
    assert batch_reads() is None  # nothing read in a batch outlives it

    second = endpoint(system, "https://esdh.nordby.example/second")
    with CaptureQueriesContext(connection) as next_batch:
        (again,) = read_in_a_batch(committer, system.pk, 1)
    assert len(endpoint_reads(next_batch)) == 1
    assert [t.id for t in again.result()] == [first.pk, second.pk]
