"""Writes to the work table: enqueue (inside the caller's transaction), claim, finish, retry, bury.

`enqueue` is the one write that deliberately joins the caller's transaction: the intent to do the work
commits together with the state change that needs it, or not at all.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from digitalpost.hub.queries import Param, PreparedIn, PreparedSelect, PreparedUpdate
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
             max_attempts: int = 8, now: datetime | None = None,
             converted: dict[Any, Any] | None = None) -> PreparedRows[Job]:
    """The rows `add_jobs` writes for (kind, key, payload, run_after), worked out ahead of its transaction; `now` and
    `converted` as the rows they are built with (`PreparedRows`), else the current time."""
    now = now or timezone.now()
    request_id = current_request_id()
    return PreparedRows([
        Job(kind=kind, key=key, payload=payload, run_after=run_after or now, created_at=now, request_id=request_id,
            max_attempts=max_attempts)
        for kind, key, payload, run_after in jobs
    ], converted=converted)


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


_RUN_AFTER = Job._meta.get_field("run_after")
_CLAIMED_BY = Job._meta.get_field("claimed_by")
_DONE_AT = Job._meta.get_field("done_at")
_PENDING = Job.State.PENDING


def _due(kind: Param | list[Param]) -> Any:
    """The due jobs of `kind` (or of these kinds) at Param "now", oldest first."""
    by_kind = {"kind__in": kind} if isinstance(kind, list) else {"kind": kind}
    return (Job.objects.filter(**by_kind, state=_PENDING, run_after__lte=Param("now", _RUN_AFTER))
            .order_by("run_after", "id"))


# The statements every claim runs, compiled once (hub.queries, decision 0025): under load a worker claims many
# small batches a second, and compiling these cost more than running them.
_KIND = Job._meta.get_field("kind")
_ANY_DUE = PreparedSelect(_due(Param("kind", _KIND)).values_list("id")[:1])
_DUE_KINDS = PreparedIn(lambda kinds: PreparedSelect(_due(kinds).order_by().values_list("kind").distinct()),
                        kinds=_KIND)
_claimable: dict[int, PreparedSelect[Job]] = {}
_CLAIM = PreparedIn(lambda ids: PreparedUpdate(Job.objects.filter(pk__in=ids), run_after=Param("until", _RUN_AFTER),
                                               attempts=F("attempts") + 1, claimed_by=Param("worker", _CLAIMED_BY)),
                    ids=Job._meta.pk)
_FINISH = PreparedIn(lambda ids: PreparedUpdate(Job.objects.filter(pk__in=ids, state=_PENDING), state=Job.State.DONE,
                                                done_at=Param("at", _DONE_AT)),
                     ids=Job._meta.pk)


@contextlib.contextmanager
def _claiming() -> Iterator[None]:
    """The transaction of a claim, committed without waiting for the disk (decision 0025).

    A claim only leases jobs: lost in a power failure or an OS crash, the jobs are simply due again and run again,
    which every handler allows (it checks whether its effect happened before doing it). The commit that records
    a job's effect stays durable, and it makes the claim durable with it (the database flushes its log up to
    there). So a claim need not hold the writer lock while the disk flushes: SQLite commits it with
    synchronous=NORMAL (WAL: no fsync), PostgreSQL with synchronous_commit off. A kill -9 loses nothing either
    way: the commit is in the database's log in the OS before it returns.
    """
    # (Inside a test's transaction SQLite refuses to change the level, and nothing commits there anyway.)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            level = int(cursor.fetchone()[0])  # FULL (2) as the settings open a connection
            cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            with transaction.atomic(durable=True):
                yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={level:d}")
        return
    with transaction.atomic(durable=True):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _claimable_batch(limit: int) -> PreparedSelect[Job]:
    """Up to `limit` due jobs, locked on PostgreSQL (skipping those other workers hold); one statement per limit."""
    prepared = _claimable.get(limit)
    if prepared is None:
        prepared = _claimable.setdefault(limit, PreparedSelect(
            _due(Param("kind", _KIND)).select_for_update(skip_locked=True, no_key=True)[:limit]))
    return prepared


def claim_next(
    kind: WorkKind, *, lease: timedelta, busy_lanes: Collection[str] = (), worker: uuid.UUID | None = None,
) -> Job | None:
    """Take the oldest due job of `kind` and lease it, so no other worker takes it until the lease ends.

    Jobs in `busy_lanes` are passed over (the caller is already running one of each).

    PostgreSQL skips rows other workers hold; SQLite serialises writers with IMMEDIATE transactions.
    A worker that dies leaves its lease to expire and the job is claimed again: at-least-once. A worker that
    names itself (`worker`, see `register_worker`) gets its claims released as soon as its heartbeat stops.
    """
    if not busy_lanes:  # a batch of one: the prepared look and claim (most looks find nothing, decision 0034)
        jobs = claim_batch(kind, lease=lease, limit=1, worker=worker)
        return jobs[0] if jobs else None
    now = timezone.now()
    due = (Job.objects.filter(kind=kind, state=_PENDING, run_after__lte=now).exclude(lane__in=list(busy_lanes))
           .order_by("run_after", "id"))
    # Look before taking the write lock: an idle worker must not keep other writers waiting.
    if not due.exists():
        return None
    with _claiming():
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
    found = {kind for kind, in _DUE_KINDS.rows(kinds=list(kinds), now=timezone.now())}
    return [kind for kind in kinds if kind in found]


def claim_batch(kind: WorkKind, *, lease: timedelta, limit: int, worker: uuid.UUID | None = None) -> list[Job]:
    """Like `claim_next` for up to `limit` due jobs at once, in one transaction (the bulk lanes)."""
    now = timezone.now()
    if not _ANY_DUE.rows(kind=kind, now=now):
        return []
    with _claiming():
        jobs = _claimable_batch(limit).objects(kind=kind, now=now)
        _CLAIM.run(ids=[job.pk for job in jobs], until=now + lease, worker=worker)
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
    _FINISH.run(ids=[job.pk for job in jobs], at=timezone.now())
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
