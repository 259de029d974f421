"""The worker loop: claim a job, run its handler outside any transaction, then finish it.

Handlers are given by the caller (the delivery app), so the outbox knows nothing about channels.
A handler must be repeatable: it checks whether its effect already happened before doing it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from types import TracebackType

from django.db import close_old_connections

from digitalpost.hub.metrics import JOB_SECONDS, JOBS
from digitalpost.hub.requestid import request_id_set
from digitalpost.outbox import services
from digitalpost.outbox.models import Job, WorkKind

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The work can never succeed; retrying is pointless."""


class RetryLater(Exception):
    """The work cannot be done yet (a receiver is down or not set up): retry with back-off, never give up.

    For effects whose loss is not an option; the doctor, not the attempt counter, decides when to alert.
    """


Handler = Callable[[Job], None]
GiveUp = Callable[[Job, str], None]
# Does the work of many claimed jobs of one kind at once and finishes them (all in one transaction, or raises).
BatchHandler = Callable[[list[Job]], None]
BATCH_SIZE = 25  # small enough that one batch's transaction never keeps other writers waiting long


class Heartbeat:
    """A worker's presence in the database, refreshed by a thread of its own while the worker runs.

    While the heartbeat lives the worker's claims are its own; when it stops (the process was killed, the host
    died) any other worker releases them within `stale_after`, or at once on the same host. The thread also does
    that release for others, so a restarted hub picks up what the killed one held within seconds, not a lease.
    """

    def __init__(self, kinds: list[WorkKind], *, interval: float = 2.0, stale_after: float = 10.0) -> None:
        self.kinds = kinds
        self.interval = interval
        self.stale_after = timedelta(seconds=stale_after)
        self.id: uuid.UUID | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.id = services.register_worker(self.kinds)
        self._release()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval * 5)
        if self.id is not None:
            try:
                services.leave(self.id)
            except Exception:
                log.exception("worker could not hand back its claims; they are released when its heartbeat is stale")

    def _release(self) -> None:
        released = services.release_orphans(stale_after=self.stale_after)
        if released:
            log.warning("took back %d job(s) claimed by workers that are gone", released)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                assert self.id is not None
                if not services.beat(self.id):
                    # Taken for dead (a long stall): what we held is back in the queue; carry on under a new name.
                    log.warning("worker %s was taken for dead; registering again", self.id)
                    self.id = services.register_worker(self.kinds)
                self._release()
            except Exception:
                log.exception("worker heartbeat failed; trying again")
            finally:
                close_old_connections()


def run_once(
    kind: WorkKind, handlers: Mapping[WorkKind, Handler], *, on_give_up: Mapping[WorkKind, GiveUp] | None = None,
    lease: timedelta = timedelta(minutes=5), worker: uuid.UUID | None = None,
) -> bool:
    """Process one due job of `kind`; False when there was none."""
    job = services.claim_next(kind, lease=lease, worker=worker)
    if job is None:
        return False
    _run_claimed(job, handlers[kind], on_give_up)
    return True


def run_batch(
    kind: WorkKind, batch_handler: BatchHandler, handlers: Mapping[WorkKind, Handler], *,
    on_give_up: Mapping[WorkKind, GiveUp] | None = None, lease: timedelta = timedelta(minutes=5),
    limit: int = BATCH_SIZE, worker: uuid.UUID | None = None,
) -> int:
    """Process up to `limit` due jobs of `kind` together; how many there were (0: none).

    If the batch fails as a whole, each job is run on its own, so one bad job never holds the others back.
    """
    jobs = services.claim_batch(kind, lease=lease, limit=limit, worker=worker)
    if not jobs:
        return 0
    started = time.perf_counter()
    try:
        batch_handler(jobs)
        JOBS.labels(kind=kind, outcome="done").inc(len(jobs))
        JOB_SECONDS.labels(kind=kind).observe((time.perf_counter() - started) / len(jobs))
        if log.isEnabledFor(logging.DEBUG):
            # Each job under its own request id, as when run alone: a request can be followed into the batch.
            for job in jobs:
                with request_id_set(job.request_id or f"job-{job.pk}"):
                    log.debug("job %s done (in a batch of %d)", job.key, len(jobs))
    except Exception as exc:
        log.warning("batch of %d %s jobs failed (%s); running them one by one", len(jobs), kind, exc)
        for job in jobs:
            job.state = Job.State.PENDING  # the batch's transaction rolled back: none of them is done
            _run_claimed(job, handlers[kind], on_give_up)
    return len(jobs)


def _run_claimed(job: Job, handler: Handler, on_give_up: Mapping[WorkKind, GiveUp] | None) -> None:
    with request_id_set(job.request_id or f"job-{job.pk}"):
        _run_job(job, handler, on_give_up)


def _run_job(job: Job, handler: Handler, on_give_up: Mapping[WorkKind, GiveUp] | None) -> None:
    started = time.perf_counter()
    outcome = "done"
    try:
        handler(job)
    except PermanentFailure as exc:
        outcome = "failed"
        _give_up(job, f"permanent: {exc}", on_give_up)
    except RetryLater as exc:
        outcome = "postponed"
        log.info("job %s postponed (attempt %s): %s", job.key, job.attempts, exc)
        services.reschedule(job, f"postponed: {exc}")
    except Exception as exc:
        log.warning("job %s failed (attempt %s): %s", job.key, job.attempts, exc)
        if job.attempts >= job.max_attempts:
            outcome = "failed"
            _give_up(job, f"gave up after {job.attempts} attempts: {exc}", on_give_up)
        else:
            outcome = "retry"
            services.reschedule(job, repr(exc))
    else:
        services.complete(job)
        log.debug("job %s done", job.key)
    finally:
        JOBS.labels(kind=job.kind, outcome=outcome).inc()
        JOB_SECONDS.labels(kind=job.kind).observe(time.perf_counter() - started)


def _give_up(job: Job, reason: str, on_give_up: Mapping[WorkKind, GiveUp] | None) -> None:
    give_up = (on_give_up or {}).get(WorkKind(job.kind))
    if give_up is not None:
        give_up(job, reason)
    else:
        services.bury(job, reason)


class Lanes:
    """The lanes this process is working on now: one job per lane at a time, shared by a kind's threads.

    When one thread finds nothing to take, the others do not ask the database again for `quiet` seconds (their
    idle sleep): idle lane threads cost one query per interval between them, not one each. Under load those
    queries took a quarter of the delivery worker's CPU and woke it away from its deliveries.
    """

    def __init__(self, quiet: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._quiet = quiet
        self._quiet_until = 0.0

    def claim(self, kind: WorkKind, lease: timedelta, worker: uuid.UUID | None = None) -> Job | None:
        with self._lock:  # claiming is quick; holding the lock keeps two threads off one lane
            if time.monotonic() < self._quiet_until:
                return None
            job = services.claim_next(kind, lease=lease, busy_lanes=frozenset(self._busy), worker=worker)
            if job is None:
                self._quiet_until = time.monotonic() + self._quiet
            elif job.lane:
                self._busy.add(job.lane)
            return job

    def release(self, job: Job) -> None:
        with self._lock:
            self._busy.discard(job.lane)
            self._quiet_until = 0.0  # the lane's next job may be due now


def run_lane_thread(
    kind: WorkKind, handlers: Mapping[WorkKind, Handler], lanes: Lanes, *, stop: threading.Event,
    on_give_up: Mapping[WorkKind, GiveUp] | None = None, idle_sleep: float = 0.05,
    lease: timedelta = timedelta(minutes=5), heartbeat: Heartbeat | None = None,
) -> None:
    """One of several threads taking `kind`: a job whose lane another thread is running waits for it, so one
    slow lane (a hanging endpoint) ties up at most one thread and the others keep the other lanes moving."""
    try:
        while not stop.is_set():
            try:
                job = lanes.claim(kind, lease, heartbeat.id if heartbeat is not None else None)
                if job is None:
                    close_old_connections()
                    stop.wait(idle_sleep)
                    continue
                try:
                    _run_claimed(job, handlers[kind], on_give_up)
                finally:
                    lanes.release(job)
            except Exception:
                log.exception("worker lane thread error on %s", kind)
                close_old_connections()
                stop.wait(1.0)
    finally:
        from django.db import connections

        connections.close_all()


def run_forever(
    kinds: list[WorkKind], handlers: Mapping[WorkKind, Handler], *, stop: threading.Event,
    on_give_up: Mapping[WorkKind, GiveUp] | None = None, idle_sleep: float = 0.05,
    lease: timedelta = timedelta(minutes=5), batch_handlers: Mapping[WorkKind, BatchHandler] | None = None,
    lane_threads: Mapping[WorkKind, int] | None = None, heartbeat: Heartbeat | None = None,
    idle_sleep_max: float | None = None, batch_limits: Mapping[WorkKind, int] | None = None,
    gather: float = 0.0,
) -> None:
    """Work through every kind in turn until `stop` is set; sleep briefly when all queues are empty.

    With `idle_sleep_max` above `idle_sleep`, each round in a row that finds nothing doubles the sleep up to it
    (back to `idle_sleep` at the first job): a worker whose queues stay empty asks less often, for work that
    may wait that long (mass sends, notices) while its process's CPU goes to the deliveries.

    Kinds with a batch handler are taken many jobs at a time (run_batch), the others one by one. Kinds in
    `lane_threads` get that many threads of their own (run_lane_thread), so their slow jobs never hold up the
    other kinds, and one lane never more than one of their threads. With a `heartbeat`, claims carry the
    worker's name, so they return to the queue within seconds if it dies. `batch_limits`: jobs per batch by kind
    (BATCH_SIZE for the others).

    With `gather` (seconds), a round whose only work was batches smaller than their limit is followed by that wait
    before the next claim: work that may wait (notices) then comes in fuller batches, each paying its claim, reads
    and commit once for more jobs (decision 0025). A full batch, or a job run on its own, goes straight on.
    """
    batch_handlers = batch_handlers or {}
    laned = {kind: count for kind, count in (lane_threads or {}).items() if kind in kinds and count > 0}
    lanes = {kind: Lanes(quiet=idle_sleep) for kind in laned}
    threads = [
        threading.Thread(target=run_lane_thread, args=(kind, handlers, lanes[kind]), name=f"{kind.lower()}-{n}",
                         kwargs={"stop": stop, "on_give_up": on_give_up, "idle_sleep": idle_sleep, "lease": lease,
                                 "heartbeat": heartbeat},
                         daemon=True)
        for kind, count in laned.items() for n in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        _run_kinds([kind for kind in kinds if kind not in laned], handlers, stop=stop, on_give_up=on_give_up,
                   idle_sleep=idle_sleep, lease=lease, batch_handlers=batch_handlers, heartbeat=heartbeat,
                   idle_sleep_max=max(idle_sleep, idle_sleep_max or idle_sleep), batch_limits=batch_limits or {},
                   gather=gather)
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _run_kinds(
    kinds: list[WorkKind], handlers: Mapping[WorkKind, Handler], *, stop: threading.Event,
    on_give_up: Mapping[WorkKind, GiveUp] | None, idle_sleep: float, lease: timedelta,
    batch_handlers: Mapping[WorkKind, BatchHandler], heartbeat: Heartbeat | None, idle_sleep_max: float,
    batch_limits: Mapping[WorkKind, int], gather: float,
) -> None:
    idle = False
    sleep = idle_sleep
    while not stop.is_set():
        wanted = kinds
        if idle and len(kinds) > 1:
            # Nothing happened last round: one query says which kinds have work, instead of one look per kind.
            try:
                wanted = services.due_kinds(kinds)
            except Exception:
                log.exception("worker loop error looking for due work")
                wanted = kinds
            if not wanted:
                close_old_connections()
                stop.wait(sleep)
                sleep = min(sleep * 2, idle_sleep_max)
                continue
        did_work = False
        partial = True  # only batches smaller than their limit so far: worth gathering more before the next
        for kind in wanted:
            try:
                worker = heartbeat.id if heartbeat is not None else None
                if kind in batch_handlers:
                    limit = batch_limits.get(kind, BATCH_SIZE)
                    taken = run_batch(kind, batch_handlers[kind], handlers, on_give_up=on_give_up, lease=lease,
                                      worker=worker, limit=limit)
                    did_work |= taken > 0
                    partial &= taken < limit
                elif run_once(kind, handlers, on_give_up=on_give_up, lease=lease, worker=worker):
                    did_work = True
                    partial = False
            except Exception:
                log.exception("worker loop error on %s", kind)
                close_old_connections()
                stop.wait(1.0)
        idle = not did_work
        if did_work:
            sleep = idle_sleep
            if gather > 0 and partial:
                close_old_connections()
                stop.wait(gather)
        else:
            close_old_connections()
            stop.wait(sleep)
            sleep = min(sleep * 2, idle_sleep_max)
