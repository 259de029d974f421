"""Group commit: the writes of many concurrent requests in one transaction, so one fsync serves them all.

With SQLite in `synchronous=FULL` every commit waits for the disk, and only one writer commits at a time;
one commit per accepted message caps ingest at the disk's fsync rate. A committer thread per process takes
every write queued by request threads since its last commit, runs each in its own savepoint (a failing one
rolls back alone), and commits the batch once. Each request waits for the commit that makes its message
durable, so nothing is acknowledged before it is on disk (decision 0003).

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
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
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


class GroupCommitter:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def submit(self, work: Callable[[], T]) -> T:
        """Run `work` inside the next batch transaction and return its result once committed."""
        self._ensure_thread()
        future: Future[T] = Future()
        # The committer thread runs `work` in the caller's context (its request id goes with the work it queues).
        context = contextvars.copy_context()
        self._queue.put((lambda: context.run(work), future))
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
                for work, future in batch:
                    try:
                        with transaction.atomic():
                            outcomes.append((future, work(), None))
                    except Exception as exc:
                        outcomes.append((future, None, exc))
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


_committer = GroupCommitter()


def commit_write(work: Callable[[], T]) -> T:
    """Run one use case's writes durably: batched with others when group commit is on."""
    if getattr(settings, "DIGITALPOST_GROUP_COMMIT", False):
        return _committer.submit(work)
    with transaction.atomic(durable=True):
        return work()
