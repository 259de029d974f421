"""Group commit: the writes of many concurrent requests in one transaction, so one fsync serves them all.

With SQLite in `synchronous=FULL` every commit waits for the disk, and only one writer commits at a time;
one commit per accepted message caps ingest at the disk's fsync rate. A committer thread per process takes
every write queued by request threads since its last commit, runs each in its own savepoint (a failing one
rolls back alone), and commits the batch once. Each request waits for the commit that makes its message
durable, so nothing is acknowledged before it is on disk (decision 0003).

Writes of one kind can also be written *together* (`commit_merged`): requests queue a payload (rows prepared
in their own thread) and a function that writes many payloads at once; the committer hands it the consecutive
payloads of a batch in one call — one multi-row INSERT per table instead of a savepoint and its statements per
request (decision 0024). If that call fails (a race on a unique key), its savepoint rolls back and each payload is
written alone in a savepoint of its own, so only the failing request fails, as with `commit_write`.

Off (each write is its own durable transaction, in the caller's thread) unless
`DIGITALPOST_GROUP_COMMIT` is on: the test database of a single test is invisible to other threads.
"""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
P = TypeVar("P")
MAX_BATCH = 128
IDLE_CLOSE_SECONDS = 1.0

_Item = tuple[Callable[[], Any], "Future[Any]"]
_batch = threading.local()


def batch_reads() -> dict[Any, Any] | None:
    """Reads shared by the writes of the group-commit batch running in this thread; None outside one.

    For set-up that a batch's writes read again and again but never change (a sender system's push endpoints):
    the first write reads it, the others of the same transaction reuse it. Gone when the batch ends, committed or
    not, so nothing read in one transaction serves another.
    """
    return getattr(_batch, "reads", None)


class _Merged(Generic[P, T]):
    """A write the committer may run together with the batch's other writes of the same `write_many`."""

    __slots__ = ("context", "payload", "write_many")

    def __init__(self, write_many: Callable[[list[P]], list[T]], payload: P, context: contextvars.Context) -> None:
        self.write_many = write_many
        self.payload = payload
        self.context = context  # the request's (its request id goes with the work it queues)

    def __call__(self) -> T:
        return self.context.run(self.write_many, [self.payload])[0]


class GroupCommitter:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def submit(self, work: Callable[[], T]) -> T:
        """Run `work` inside the next batch transaction and return its result once committed."""
        # The committer thread runs `work` in the caller's context (its request id goes with the work it queues).
        context = contextvars.copy_context()
        return self._put(lambda: context.run(work))

    def submit_merged(self, write_many: Callable[[list[P]], list[T]], payload: P) -> T:
        """Write `payload` in the next batch transaction — together with the batch's other payloads of the same
        `write_many`, in one call — and return its result (`write_many`'s for it) once committed."""
        return self._put(_Merged(write_many, payload, contextvars.copy_context()))

    def _put(self, work: Callable[[], T]) -> T:
        self._ensure_thread()
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future.result()

    def _ensure_thread(self) -> None:
        # Web servers fork their workers after import: each process needs its own committer thread.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._loop, name="group-commit", daemon=True).start()
                self._pid = os.getpid()

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_CLOSE_SECONDS)
            except queue.Empty:
                # Idle: give the connection back (PostgreSQL cannot drop or restart a database in use).
                connection.close()
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Item]) -> None:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        _batch.reads = {}
        try:
            with transaction.atomic(durable=True):
                start = 0
                while start < len(batch):
                    end = _run_end(batch, start)
                    if end - start < 2 or not _write_together(batch[start:end], outcomes):
                        for work, future in batch[start:end]:
                            try:
                                with transaction.atomic():
                                    outcomes.append((future, work(), None))
                            except Exception as exc:
                                outcomes.append((future, None, exc))
                    start = end
        except Exception as exc:
            log.exception("group commit of %d writes failed", len(batch))
            for _, future in batch:
                future.set_exception(exc)
            close_old_connections()
            connection.close()
            return
        finally:
            _batch.reads = None
        for future, value, error in outcomes:
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)


def _run_end(batch: list[_Item], start: int) -> int:
    """The end of the run of writes from `start` that can be written together (one, unless they are merged
    writes of the same `write_many`)."""
    first = batch[start][0]
    end = start + 1
    if isinstance(first, _Merged):
        while end < len(batch):
            work = batch[end][0]
            if not isinstance(work, _Merged) or work.write_many is not first.write_many:
                break
            end += 1
    return end


def _write_together(run: list[_Item], outcomes: list[tuple[Future[Any], Any, BaseException | None]]) -> bool:
    """Write a run of merged writes in one call, in a savepoint; False (nothing written) if that fails."""
    first = run[0][0]
    assert isinstance(first, _Merged)
    payloads = [work.payload for work, _ in run]  # type: ignore[attr-defined]  # a run holds _Merged only
    try:
        with transaction.atomic():
            # In the first request's context: a request id written by the shared statements is that request's.
            values = first.context.run(first.write_many, payloads)
    except Exception:
        # One of them fails (a concurrent submission won a race on a unique key): written one by one instead,
        # so the failing one fails alone with its own error.
        log.debug("a run of %d merged writes failed together; writing them one by one", len(run))
        return False
    outcomes.extend((future, value, None) for (_, future), value in zip(run, values, strict=True))
    return True


_committer = GroupCommitter()


def commit_write(work: Callable[[], T]) -> T:
    """Run one use case's writes durably: batched with others when group commit is on."""
    if getattr(settings, "DIGITALPOST_GROUP_COMMIT", False):
        return _committer.submit(work)
    with transaction.atomic(durable=True):
        return work()


def commit_merged(write_many: Callable[[list[P]], list[T]], payload: P) -> T:
    """`commit_write` of `write_many([payload])`, which the committer may run for the payloads of several requests
    at once (`write_many` returns one result per payload, in order)."""
    if getattr(settings, "DIGITALPOST_GROUP_COMMIT", False):
        return _committer.submit_merged(write_many, payload)
    with transaction.atomic(durable=True):
        return write_many([payload])[0]
