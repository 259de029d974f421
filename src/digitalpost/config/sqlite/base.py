"""The database backend behind ENGINE "digitalpost.config.sqlite": Django's SQLite plus a writer queue."""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base

# The database holds CPR numbers and message metadata: only the hub's own user may read it, like the blobs and
# keys. SQLite gives its -wal and -shm files the mode of the database file, so creating that one private is enough;
# an older install's files are tightened on the next connection.
PRIVATE_FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_private(name: str) -> None:
    """Create the database file 0600 if it is missing; take group/other access off it and its companions.

    Never opens an existing database file: closing any descriptor of it drops every POSIX lock this process holds
    on it, including those of its other open SQLite connections, and another process may then reset the WAL under
    them ("disk I/O error" on the next connection). chmod works on the path and touches no lock.
    """
    if not os.path.exists(name):
        with contextlib.suppress(FileExistsError):
            os.close(os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    for suffix in SQLITE_COMPANIONS:
        try:
            mode = os.stat(name + suffix).st_mode
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(name + suffix, PRIVATE_FILE_MODE)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock_fd: int | None = None
        self._holds_writer_lock = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if not self.is_in_memory_db() and not str(conn_params["database"]).startswith("file:"):
            make_private(str(conn_params["database"]))
        return super().get_new_connection(conn_params)

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() else f"{name}.writer-lock"

    def _acquire_writer_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._holds_writer_lock:
            return
        if self._writer_lock_fd is None:
            # One open file per connection: flock excludes other connections of this process too.
            self._writer_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_lock_fd, fcntl.LOCK_EX)
        self._holds_writer_lock = True

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock and self._writer_lock_fd is not None:
            fcntl.flock(self._writer_lock_fd, fcntl.LOCK_UN)
        self._holds_writer_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
            if self._writer_lock_fd is not None:
                os.close(self._writer_lock_fd)
                self._writer_lock_fd = None
