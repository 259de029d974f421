"""The mailbox lanes (DELIVER, and DELIVER_BULK for mass sends): many deliveries claimed, stored and committed
together with the same effects as one by one, and one bad job never holds the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
from digitalpost.messages.models import Event, Message, Receipt
from digitalpost.messages.services.events import verify_timeline
from digitalpost.messages.services.ingest import accept_memo
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.worker import run_batch
from digitalpost.protocols import memo
from helpers.notices_world import wants_notices


class Lane:
    def __init__(self, kind: WorkKind) -> None:
        self.kind = kind

    def items(self, cast, count: int, **options) -> list[Message]:
        return [accept_memo(system=cast.nordby.system,
                            body=memo.build(cast.nordby.memo(cast.anna, label=f"Brev {n}", **options)),
                            deliver_kind=self.kind).message for n in range(count)]

    def batch(self, limit: int = 25) -> bool:
        return run_batch(self.kind, BATCH_HANDLERS[self.kind], HANDLERS, on_give_up=GIVE_UP, limit=limit)

    def job_states(self) -> set[str]:
        return set(Job.objects.filter(kind=self.kind).values_list("state", flat=True))


@pytest.fixture(params=[WorkKind.DELIVER, WorkKind.DELIVER_BULK])
def lane(request) -> Lane:
    return Lane(request.param)


def test_a_batch_delivers_each_item_once_with_its_documents_receipt_and_event(cast, lane):
    items = lane.items(cast, 30)
    assert lane.batch(limit=25)
    assert Message.objects.filter(state="DELIVERED").count() == 25
    assert lane.batch(limit=25)
    assert not lane.batch(limit=25)
    for message in Message.objects.all():
        assert message.state == "DELIVERED"
        assert message.pending_memo is None
        assert message.documents.count() == 1
    assert Receipt.objects.filter(status="COMPLETED").count() == len(items)
    assert Event.objects.filter(kind="MESSAGE_DELIVERED").count() == len(items)
    assert lane.job_states() == {"DONE"}


def test_a_batch_claimed_again_after_its_lease_changes_nothing(cast, lane):
    lane.items(cast, 5)
    assert lane.batch()
    # a worker died after committing, before anyone knew: the jobs come due again
    Job.objects.filter(kind=lane.kind).update(state="PENDING", run_after=timezone.now() - timedelta(seconds=1))
    assert lane.batch()
    assert Receipt.objects.filter(status="COMPLETED").count() == 5
    assert Event.objects.filter(kind="MESSAGE_DELIVERED").count() == 5
    assert lane.job_states() == {"DONE"}


def test_one_bad_item_falls_back_to_one_by_one_and_the_others_are_delivered(cast, lane):
    good = lane.items(cast, 6)
    bad = good.pop(2)
    Message.objects.filter(pk=bad.pk).update(pending_memo=b"<not a memo", memo_blob="0" * 64)
    assert lane.batch()
    assert set(Message.objects.filter(pk__in=[m.pk for m in good]).values_list("state", flat=True)) == {"DELIVERED"}
    bad_job = Job.objects.get(kind=lane.kind, payload__message=str(bad.pk))
    assert (bad_job.state, bad_job.attempts) == ("PENDING", 1)
    assert bad_job.last_error
    assert Message.objects.get(pk=bad.pk).state == "ACCEPTED"


@pytest.mark.parametrize("state", ["RECALLED", "DELIVERED"])
def test_items_no_longer_waiting_are_finished_without_a_second_delivery(cast, lane, state):
    items = lane.items(cast, 3)
    Message.objects.filter(pk=items[0].pk).update(state=state)
    assert lane.batch()
    assert Message.objects.get(pk=items[0].pk).state == state
    assert Receipt.objects.filter(status="COMPLETED").count() == 2
    assert lane.job_states() == {"DONE"}


def test_a_batch_keeps_every_timeline_chained_and_queues_the_notices(cast, lane):
    wants_notices(cast.anna, "anna@example.org")
    items = lane.items(cast, 4, legal_notification=True)
    assert lane.batch()
    for message in items:
        assert verify_timeline(message) is None
        assert list(message.events.order_by("seq").values_list("kind", flat=True)) == [
            "MESSAGE_RECEIVED", "MESSAGE_DELIVERED"]
        keys = set(Job.objects.filter(kind=WorkKind.NOTIFY, payload__message=str(message.pk))
                   .values_list("key", flat=True))
        assert keys == {f"notice:{message.pk}", f"reminder:{message.pk}"}
    reminder = Job.objects.get(key=f"reminder:{items[0].pk}")
    assert reminder.run_after > timezone.now() + timedelta(days=1)
