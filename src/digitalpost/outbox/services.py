"""Writes to the work table: enqueue (inside the caller's transaction), claim, finish, retry, bury.

`enqueue` is the one write that deliberately joins the caller's transaction: the intent to do the work
commits together with the state change that needs it, or not at all.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from digitalpost.hub.requestid import current_request_id
from digitalpost.hub.rows import PreparedRows, insert, insert_many
from digitalpost.outbox.models import Job, WorkerPresence, WorkKind

BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(hours=1)


def enqueue(
    kind: WorkKind, *, key: str, payload: dict[str, Any] | None = None, run_after: datetime | None = None,
    max_attempts: int = 8, lane: str = "",
) -> Job:
    """Record work to do after the surrounding transaction commits; the same key is one job."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue() must run inside the transaction of the change that needs the work")
    now = timezone.now()
    job, _ = Job.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "payload": payload or {},
            "run_after": run_after or now,
            "created_at": now,
            "max_attempts": max_attempts,
            "request_id": current_request_id(),
            "lane": lane,
        },
    )
    return job


def add_job(
    kind: WorkKind, *, key: str, payload: dict[str, Any] | None = None, run_after: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Like `enqueue` for a key that cannot exist yet (it names a row created in this transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("add_job() must run inside the transaction of the change that needs the work")
    now = timezone.now()
    return insert(Job(
        kind=kind, key=key, payload=payload or {}, run_after=run_after or now, created_at=now,
        max_attempts=max_attempts, request_id=current_request_id(),
    ))


def job_rows(jobs: list[tuple[WorkKind, str, dict[str, Any], datetime | None]], *,
             max_attempts: int = 8) -> PreparedRows[Job]:
    """The rows `add_jobs` writes for (kind, key, payload, run_after), worked out ahead of its transaction."""
    now = timezone.now()
    request_id = current_request_id()
    return PreparedRows([
        Job(kind=kind, key=key, payload=payload, run_after=run_after or now, created_at=now, request_id=request_id,
            max_attempts=max_attempts)
        for kind, key, payload, run_after in jobs
    ])


def add_jobs(jobs: list[tuple[WorkKind, str, dict[str, Any], datetime | None]] | PreparedRows[Job], *,
             max_attempts: int = 8) -> None:
    """`add_job` for many new keys at once (kind, key, payload, run_after, or `job_rows` of them): one multi-row
    INSERT."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("add_jobs() must run inside the transaction of the change that needs the work")
    if not jobs:
        return
    insert_many(jobs if isinstance(jobs, PreparedRows) else job_rows(jobs, max_attempts=max_attempts))


def backoff(attempts: int) -> timedelta:
    """Exponential back-off: 2 s, 4 s, 8 s … capped at one hour."""
    delay: timedelta = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_CAP)


def claim_next(
    kind: WorkKind, *, lease: timedelta, busy_lanes: Collection[str] = (), worker: uuid.UUID | None = None,
) -> Job | None:
    """Take the oldest due job of `kind` and lease it, so no other worker takes it until the lease ends.

    Jobs in `busy_lanes` are passed over (the caller is already running one of each).

    PostgreSQL skips rows other workers hold; SQLite serialises writers with IMMEDIATE transactions.
    A worker that dies leaves its lease to expire and the job is claimed again: at-least-once. A worker that
    names itself (`worker`, see `register_worker`) gets its claims released as soon as its heartbeat stops.
    """
    now = timezone.now()
    due = Job.objects.filter(kind=kind, state=Job.State.PENDING, run_after__lte=now).order_by("run_after", "id")
    if busy_lanes:
        due = due.exclude(lane__in=list(busy_lanes))
    # Look before taking the write lock: an idle worker must not keep other writers waiting.
    if not due.exists():
        return None
    with transaction.atomic(durable=True):
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, no_key=True)
        job = due.first()
        if job is None:
            return None
        job.run_after = now + lease
        job.attempts += 1
        job.claimed_by = worker
        job.save(update_fields=["run_after", "attempts", "claimed_by"])
        return job


def due_kinds(kinds: Collection[WorkKind]) -> list[WorkKind]:
    """Those of `kinds` that have a job due now: one query where asking each kind would take one each."""
    due = (Job.objects.filter(kind__in=list(kinds), state=Job.State.PENDING, run_after__lte=timezone.now())
           .values_list("kind", flat=True).distinct())
    found = set(due)
    return [kind for kind in kinds if kind in found]


def claim_batch(kind: WorkKind, *, lease: timedelta, limit: int, worker: uuid.UUID | None = None) -> list[Job]:
    """Like `claim_next` for up to `limit` due jobs at once, in one transaction (the bulk lanes)."""
    now = timezone.now()
    due = Job.objects.filter(kind=kind, state=Job.State.PENDING, run_after__lte=now).order_by("run_after", "id")
    if not due.exists():
        return []
    with transaction.atomic(durable=True):
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, no_key=True)
        jobs = list(due[:limit])
        Job.objects.filter(pk__in=[job.pk for job in jobs]).update(
            run_after=now + lease, attempts=F("attempts") + 1, claimed_by=worker)
    for job in jobs:
        job.run_after = now + lease
        job.attempts += 1
        job.claimed_by = worker
    return jobs


def finish_job(job: Job) -> None:
    """Mark the job done inside the caller's transaction (the one that made its effect)."""
    Job.objects.filter(pk=job.pk, state=Job.State.PENDING).update(state=Job.State.DONE, done_at=timezone.now())
    job.state = Job.State.DONE


def finish_jobs(jobs: list[Job]) -> None:
    """`finish_job` for many jobs at once, inside the caller's transaction: one UPDATE."""
    if not jobs:
        return
    Job.objects.filter(pk__in=[job.pk for job in jobs], state=Job.State.PENDING).update(
        state=Job.State.DONE, done_at=timezone.now())
    for job in jobs:
        job.state = Job.State.DONE


def complete(job: Job) -> None:
    """Mark the job done after its effect, unless the handler already did so in its own transaction."""
    if job.state != Job.State.DONE:
        with transaction.atomic(durable=True):
            finish_job(job)


@transaction.atomic(durable=True)
def reschedule(job: Job, error: str) -> None:
    Job.objects.filter(pk=job.pk, state=Job.State.PENDING).update(
        run_after=timezone.now() + backoff(job.attempts), last_error=error[:2000], claimed_by=None
    )


def bury(job: Job, error: str) -> None:
    """Dead-letter a job, keeping the reason. Callers record their own domain event first."""
    Job.objects.filter(pk=job.pk).update(state=Job.State.DEAD, last_error=error[:2000], done_at=timezone.now())


def register_worker(kinds: list[WorkKind]) -> uuid.UUID:
    """Record a starting worker process; its heartbeat (`beat`) keeps its claims its own."""
    now = timezone.now()
    presence = WorkerPresence.objects.create(
        id=uuid.uuid4(), host=settings.DIGITALPOST_NODE_NAME, pid=os.getpid(), kinds=",".join(kinds)[:200],
        started_at=now, seen_at=now,
    )
    return presence.id


def beat(worker: uuid.UUID) -> bool:
    """Refresh the worker's heartbeat; False when its presence is gone (it was taken for dead)."""
    return WorkerPresence.objects.filter(pk=worker).update(seen_at=timezone.now()) == 1


def leave(worker: uuid.UUID) -> None:
    """A worker that stops in good order hands back whatever it still holds."""
    with transaction.atomic():
        Job.objects.filter(claimed_by=worker, state=Job.State.PENDING).update(run_after=timezone.now(), claimed_by=None)
        WorkerPresence.objects.filter(pk=worker).delete()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_orphans(*, stale_after: timedelta) -> int:
    """Hand the claims of workers that are gone back to the queue; the number of jobs released.

    Gone means: no heartbeat for `stale_after` (any host), or — on this node — a process id that no longer exists,
    so a hub restarted after kill -9 takes its own old claims back at once instead of waiting for their leases.
    """
    now = timezone.now()
    here = settings.DIGITALPOST_NODE_NAME
    gone = [
        presence.id for presence in WorkerPresence.objects.all()
        if presence.seen_at < now - stale_after or (presence.host == here and not _pid_alive(presence.pid))
    ]
    if not gone:
        return 0
    with transaction.atomic():
        released = Job.objects.filter(claimed_by__in=gone, state=Job.State.PENDING).update(
            run_after=now, claimed_by=None)
        WorkerPresence.objects.filter(pk__in=gone).delete()
    return released
