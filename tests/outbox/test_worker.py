"""The delivery worker: delivers once, retries with back-off, dead-letters with the reason kept."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from digitalpost.delivery.channels.web_mailbox import deliver_to_mailbox
from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
from digitalpost.messages.models import Message, Receipt
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import backoff, due_kinds
from digitalpost.outbox.worker import Lanes, PermanentFailure, run_forever, run_once


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


def test_due_kinds_names_only_the_kinds_with_work_due_now(cast):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    kinds = [WorkKind.NOTIFY, WorkKind.DELIVER, WorkKind.PRINT]
    assert due_kinds(kinds) == [WorkKind.DELIVER]
    Job.objects.update(run_after=timezone.now() + timedelta(minutes=5))
    assert due_kinds(kinds) == []


def test_idle_lane_threads_ask_the_database_once_per_quiet_interval(cast):
    lanes = Lanes(quiet=3600)
    assert lanes.claim(WorkKind.DELIVER, timedelta(minutes=5)) is None  # nothing due: the lanes go quiet
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    with CaptureQueriesContext(connection) as queries:
        assert lanes.claim(WorkKind.DELIVER, timedelta(minutes=5)) is None
    assert len(queries) == 0
    # A finished job may leave its lane's next one due: the quiet ends and the job is taken.
    job = Job.objects.get()
    lanes.release(job)
    claimed = lanes.claim(WorkKind.DELIVER, timedelta(minutes=5))
    assert claimed is not None
    assert claimed.pk == job.pk


class ScriptedStop(threading.Event):
    """A worker's stop event that records each idle wait instead of sleeping, and runs `cue` after it."""

    def __init__(self, cue) -> None:
        super().__init__()
        self.waits: list[float | None] = []
        self.cue = cue

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        self.cue(len(self.waits))
        return self.is_set()


def _submitting_then_stopping(tx_cast, *, submit_at: int, stop_at: int) -> ScriptedStop:
    """A stop that has Nordby submit a message to Anna at wait `submit_at` and is set at wait `stop_at`."""
    def cue(waits: int) -> None:
        if waits == submit_at:
            tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna))
        if waits == stop_at:
            stop.set()

    stop = ScriptedStop(cue)
    return stop


def test_an_idle_worker_asks_less_often_each_empty_round_and_at_once_again_after_work(tx_cast):
    stop = _submitting_then_stopping(tx_cast, submit_at=5, stop_at=8)
    run_forever([WorkKind.DELIVER_BULK, WorkKind.DELIVER], HANDLERS, stop=stop, on_give_up=GIVE_UP,
                batch_handlers=BATCH_HANDLERS, idle_sleep=0.05, idle_sleep_max=0.5)
    assert stop.waits == [0.05, 0.1, 0.2, 0.4, 0.5, 0.05, 0.1, 0.2]  # the message was found right after wait 5
    assert Message.objects.get().state == Message.State.DELIVERED


def test_without_a_longer_maximum_an_idle_worker_keeps_its_interval(tx_cast):
    stop = ScriptedStop(lambda waits: stop.set() if waits == 4 else None)
    run_forever([WorkKind.DELIVER_BULK, WorkKind.DELIVER], HANDLERS, stop=stop, batch_handlers=BATCH_HANDLERS,
                idle_sleep=0.05)
    assert stop.waits == [0.05] * 4


@pytest.mark.parametrize(("limit", "expected"), [(25, [0.05, 0.25, 0.05]), (1, [0.05, 0.05, 0.1])])
def test_a_gathering_worker_waits_after_a_partial_batch_and_goes_straight_on_after_a_full_one(tx_cast, limit,
                                                                                             expected):
    stop = _submitting_then_stopping(tx_cast, submit_at=1, stop_at=3)
    run_forever([WorkKind.DELIVER], HANDLERS, stop=stop, on_give_up=GIVE_UP, batch_handlers=BATCH_HANDLERS,
                idle_sleep=0.05, idle_sleep_max=0.5, gather=0.25, batch_limits={WorkKind.DELIVER: limit})
    assert stop.waits == expected  # a batch of one under a limit of 25 waits 0.25 s; one that filled its limit not
    assert Message.objects.get().state == Message.State.DELIVERED
