"""The bulk lane: many deliveries claimed, stored and committed together, and one bad job never holds the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
from digitalpost.messages.models import Event, Message, Receipt
from digitalpost.messages.services.ingest import accept_memo
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.worker import run_batch
from digitalpost.protocols import memo

BULK = WorkKind.DELIVER_BULK


def _bulk_items(cast, count: int) -> list[Message]:
    return [accept_memo(system=cast.nordby.system, body=memo.build(cast.nordby.memo(cast.anna, label=f"Brev {n}")),
                        deliver_kind=BULK).message for n in range(count)]


def _batch(limit: int = 25) -> bool:
    return run_batch(BULK, BATCH_HANDLERS[BULK], HANDLERS, on_give_up=GIVE_UP, limit=limit)


def test_a_batch_delivers_each_item_once_with_its_documents_receipt_and_event(cast):
    items = _bulk_items(cast, 30)
    assert _batch(limit=25)
    assert Message.objects.filter(state="DELIVERED").count() == 25
    assert _batch(limit=25)
    assert not _batch(limit=25)
    for message in Message.objects.all():
        assert message.state == "DELIVERED"
        assert message.pending_memo is None
        assert message.documents.count() == 1
    assert Receipt.objects.filter(status="COMPLETED").count() == len(items)
    assert Event.objects.filter(kind="MESSAGE_DELIVERED").count() == len(items)
    assert set(Job.objects.filter(kind=BULK).values_list("state", flat=True)) == {"DONE"}


def test_a_batch_claimed_again_after_its_lease_changes_nothing(cast):
    _bulk_items(cast, 5)
    assert _batch()
    # a worker died after committing, before anyone knew: the jobs come due again
    Job.objects.filter(kind=BULK).update(state="PENDING", run_after=timezone.now() - timedelta(seconds=1))
    assert _batch()
    assert Receipt.objects.filter(status="COMPLETED").count() == 5
    assert Event.objects.filter(kind="MESSAGE_DELIVERED").count() == 5
    assert set(Job.objects.filter(kind=BULK).values_list("state", flat=True)) == {"DONE"}


def test_one_bad_item_falls_back_to_one_by_one_and_the_others_are_delivered(cast):
    good = _bulk_items(cast, 6)
    bad = good.pop(2)
    Message.objects.filter(pk=bad.pk).update(pending_memo=b"<not a memo", memo_blob="0" * 64)
    assert _batch()
    assert set(Message.objects.filter(pk__in=[m.pk for m in good]).values_list("state", flat=True)) == {"DELIVERED"}
    bad_job = Job.objects.get(kind=BULK, payload__message=str(bad.pk))
    assert (bad_job.state, bad_job.attempts) == ("PENDING", 1)
    assert bad_job.last_error
    assert Message.objects.get(pk=bad.pk).state == "ACCEPTED"


@pytest.mark.parametrize("state", ["RECALLED", "DELIVERED"])
def test_items_no_longer_waiting_are_finished_without_a_second_delivery(cast, state):
    items = _bulk_items(cast, 3)
    Message.objects.filter(pk=items[0].pk).update(state=state)
    assert _batch()
    assert Message.objects.get(pk=items[0].pk).state == state
    assert Receipt.objects.filter(status="COMPLETED").count() == 2
    assert set(Job.objects.filter(kind=BULK).values_list("state", flat=True)) == {"DONE"}
