"""Claims of a worker that is gone go back to the queue at once, not when their lease runs out."""

import os
import socket
import subprocess
import uuid
from datetime import timedelta

from django.utils import timezone

from digitalpost.outbox.models import Job, WorkerPresence, WorkKind
from digitalpost.outbox.services import (
    beat,
    claim_batch,
    claim_next,
    leave,
    register_worker,
    release_orphans,
)

LEASE = timedelta(minutes=5)
STALE = timedelta(seconds=10)


def a_dead_pid() -> int:
    finished = subprocess.Popen(["true"])  # a process that has surely ended, so its pid is free
    finished.wait()
    return finished.pid


def submit(cast, count: int = 1) -> None:
    for _ in range(count):
        assert cast.nordby.submit(cast.nordby.memo(cast.anna)).status_code == 201


def test_a_claim_names_the_worker_and_a_live_worker_keeps_it(cast):
    submit(cast)
    worker = register_worker([WorkKind.DELIVER])
    job = claim_next(WorkKind.DELIVER, lease=LEASE, worker=worker)
    assert job is not None
    assert Job.objects.get(pk=job.pk).claimed_by == worker

    assert release_orphans(stale_after=STALE) == 0
    assert Job.objects.get(pk=job.pk).claimed_by == worker
    assert claim_next(WorkKind.DELIVER, lease=LEASE) is None  # still leased to the live worker


def test_a_worker_silent_past_the_stale_time_loses_its_claims_to_the_next_worker(cast):
    submit(cast, 3)
    silent = register_worker([WorkKind.DELIVER])
    claimed = claim_batch(WorkKind.DELIVER, lease=LEASE, limit=10, worker=silent)
    assert len(claimed) == 3
    WorkerPresence.objects.filter(pk=silent).update(
        host="another-node", seen_at=timezone.now() - STALE - timedelta(seconds=1))

    assert release_orphans(stale_after=STALE) == 3
    assert not WorkerPresence.objects.filter(pk=silent).exists()
    assert beat(silent) is False  # a worker taken for dead learns so at its next heartbeat
    successor = register_worker([WorkKind.DELIVER])
    again = claim_batch(WorkKind.DELIVER, lease=LEASE, limit=10, worker=successor)
    assert sorted(job.pk for job in again) == sorted(job.pk for job in claimed)
    assert all(job.attempts == 2 for job in again)


def test_a_worker_on_another_node_within_the_stale_time_is_left_alone(cast):
    submit(cast)
    remote = register_worker([WorkKind.DELIVER])
    claim_next(WorkKind.DELIVER, lease=LEASE, worker=remote)
    WorkerPresence.objects.filter(pk=remote).update(host="another-node", pid=a_dead_pid())
    assert release_orphans(stale_after=STALE) == 0  # its pid means nothing here: only its heartbeat counts


def test_a_dead_process_on_this_host_loses_its_claims_without_waiting(cast):
    submit(cast, 2)
    killed = register_worker([WorkKind.DELIVER])
    claim_batch(WorkKind.DELIVER, lease=LEASE, limit=10, worker=killed)
    WorkerPresence.objects.filter(pk=killed).update(host=socket.gethostname(), pid=a_dead_pid())

    assert release_orphans(stale_after=STALE) == 2
    assert Job.objects.filter(claimed_by__isnull=True, run_after__lte=timezone.now()).count() == 2


def test_this_process_is_never_taken_for_dead(cast):
    submit(cast)
    me = register_worker([WorkKind.DELIVER])
    assert WorkerPresence.objects.get(pk=me).pid == os.getpid()
    claim_next(WorkKind.DELIVER, lease=LEASE, worker=me)
    assert release_orphans(stale_after=STALE) == 0


def test_a_worker_that_stops_in_good_order_hands_back_what_it_holds(cast):
    submit(cast)
    worker = register_worker([WorkKind.DELIVER])
    job = claim_next(WorkKind.DELIVER, lease=LEASE, worker=worker)
    assert job is not None
    leave(worker)
    assert not WorkerPresence.objects.filter(pk=worker).exists()
    assert claim_next(WorkKind.DELIVER, lease=LEASE, worker=uuid.uuid4()) is not None


def test_done_jobs_are_never_handed_back(cast, drain):
    submit(cast)
    worker = register_worker([WorkKind.DELIVER])
    job = claim_next(WorkKind.DELIVER, lease=LEASE, worker=worker)
    assert job is not None
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE)
    WorkerPresence.objects.filter(pk=worker).update(seen_at=timezone.now() - timedelta(hours=1))
    assert release_orphans(stale_after=STALE) == 0
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE


def test_two_nodes_on_one_host_tell_their_workers_apart_by_node_name(cast, settings):
    """DIGITALPOST_NODE_NAME names the node: a dead pid of another node (here: the same host) waits for its
    heartbeat to go stale, as on another host; the node's own dead processes are taken back at once."""
    submit(cast, 2)
    settings.DIGITALPOST_NODE_NAME = "node-a"
    other = register_worker([WorkKind.DELIVER])
    claim_next(WorkKind.DELIVER, lease=LEASE, worker=other)
    WorkerPresence.objects.filter(pk=other).update(pid=a_dead_pid())
    assert WorkerPresence.objects.get(pk=other).host == "node-a"

    settings.DIGITALPOST_NODE_NAME = "node-b"
    assert release_orphans(stale_after=STALE) == 0
    settings.DIGITALPOST_NODE_NAME = "node-a"
    assert release_orphans(stale_after=STALE) == 1
