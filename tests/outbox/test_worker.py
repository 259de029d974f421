"""The delivery worker: delivers once, retries with back-off, dead-letters with the reason kept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.delivery.channels.web_mailbox import deliver_to_mailbox
from digitalpost.delivery.handlers import GIVE_UP
from digitalpost.messages.models import Message, Receipt
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import backoff
from digitalpost.outbox.worker import PermanentFailure, run_once


def test_accepted_message_is_delivered_once_with_a_completed_receipt(cast, drain):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    assert drain() == 1
    message = Message.objects.get()
    assert message.state == Message.State.DELIVERED
    assert message.delivered_at is not None
    assert list(Receipt.objects.values_list("status", flat=True)) == ["RECEIVED", "COMPLETED"]
    assert Job.objects.get().state == Job.State.DONE


def test_delivering_again_after_a_crash_changes_nothing(cast, drain):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    drain()
    message = Message.objects.get()
    assert deliver_to_mailbox(message_id=message.pk) is False
    assert message.events.count() == 2
    assert Receipt.objects.filter(status="COMPLETED").count() == 1


def test_failing_handler_is_retried_later_with_backoff(cast):
    cast.nordby.submit(cast.nordby.memo(cast.anna))

    def broken(job):
        raise ConnectionError("mailbox store down")

    assert run_once(WorkKind.DELIVER, {WorkKind.DELIVER: broken}, on_give_up=GIVE_UP)
    job = Job.objects.get()
    assert job.state == Job.State.PENDING
    assert job.attempts == 1
    assert "mailbox store down" in job.last_error
    assert job.run_after > timezone.now()
    # Not due yet: the next round finds nothing to do.
    assert not run_once(WorkKind.DELIVER, {WorkKind.DELIVER: broken}, on_give_up=GIVE_UP)


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(30) == timedelta(hours=1)


@pytest.mark.parametrize("error", [PermanentFailure("mailbox removed"), RuntimeError("still broken")])
def test_job_that_cannot_succeed_is_dead_lettered_and_the_failure_is_on_the_timeline(cast, error):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    Job.objects.update(max_attempts=1)

    def broken(job):
        raise error

    run_once(WorkKind.DELIVER, {WorkKind.DELIVER: broken}, on_give_up=GIVE_UP)
    job = Job.objects.get()
    assert job.state == Job.State.DEAD
    assert str(error) in job.last_error
    message = Message.objects.get()
    assert message.state == Message.State.FAILED
    failed = message.events.get(kind="DELIVERY_FAILED")
    assert str(error) in failed.data["reason"]


def test_do_not_deliver_until_postpones_delivery(cast, drain):
    future = (timezone.localdate() + timedelta(days=3))
    cast.nordby.submit(cast.nordby.memo(cast.anna, do_not_deliver_until_date=future))
    assert drain() == 0
    message = Message.objects.get()
    assert message.state == Message.State.ACCEPTED
    assert [e.kind for e in message.events.all()] == ["MESSAGE_RECEIVED", "DELIVERY_POSTPONED"]
