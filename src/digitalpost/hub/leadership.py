"""One leader per job across every process and node: the doctor's scheduler, the print pass.

On PostgreSQL the leader holds a session advisory lock on a connection of its own, so a leader that dies (kill -9,
a host gone) loses it the moment its connection drops and a standby takes over. On SQLite, which is one host by
nature, the leader holds an `flock` on a file beside the database; the kernel frees it when the process ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from the job's name."""
    return int.from_bytes(hashlib.sha256(f"digitalpost:{name}".encode()).digest()[:8], "big", signed=True)


class Leadership:
    """Leadership of the job `name`: `try_acquire` takes it if free (and says whether it is held), `release` ends it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._connection: Any = None  # PostgreSQL: the connection that holds the session lock
        self._fd: int | None = None  # SQLite: the open lock file that holds the flock

    @property
    def _postgres(self) -> bool:
        return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

    def try_acquire(self) -> bool:
        """True while we lead; re-checks a held PostgreSQL lock, so a dropped connection is noticed."""
        return self._try_postgres() if self._postgres else self._try_file()

    def release(self) -> None:
        if self._connection is not None:
            try:
                with self._connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(self.name)])
            except Exception:
                log.warning("leadership of %s: unlock failed; closing the connection frees it", self.name)
            finally:
                self._connection.close()
                self._connection = None
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases the flock
            self._fd = None

    def _try_postgres(self) -> bool:
        if self._connection is not None:
            try:
                with self._connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return True
            except Exception:
                log.warning("leadership of %s: lost the database connection; the lock is gone", self.name)
                self.release()
        connection = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(self.name)])
                (held,) = cursor.fetchone()
        except Exception:
            connection.close()
            raise
        if held:
            self._connection = connection
            return True
        connection.close()
        return False

    def _lock_file(self) -> Path:
        database = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
        if database and database != ":memory:" and "mode=memory" not in database:
            return Path(f"{database}.{self.name}.leader-lock")
        return Path(settings.VAR_DIR) / f"{self.name}.leader-lock"

    def _try_file(self) -> bool:
        if self._fd is not None:
            return True
        path = self._lock_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True


@contextmanager
def exclusive(name: str, *, stop: threading.Event | None = None, poll: float = 0.5) -> Iterator[bool]:
    """Wait until we lead `name`, run the block, then step down. Yields False only when `stop` was set first."""
    leadership = Leadership(name)
    stop = stop or threading.Event()
    try:
        while not leadership.try_acquire():
            if stop.wait(poll):
                yield False
                return
        yield True
    finally:
        leadership.release()
