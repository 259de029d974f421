"""Document storage behind one small interface: content-addressed blobs in a local folder.

Blobs are named by the SHA-256 of their bytes, so storing the same document twice is harmless and a
crash between writing a blob and committing the row that points to it leaves only an orphan, never a
dangling reference. Not for: metadata (the database holds that) or access control (callers check).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobNotFound(LookupError):
    pass


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int


class BlobStore(Protocol):
    def put(self, data: bytes) -> StoredBlob: ...

    def open(self, key: str) -> BinaryIO: ...

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    """Blobs as files under `root/ab/cd/<sha256>`, written atomically and fsynced before use."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise BlobNotFound(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> StoredBlob:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    if self.fsync:
                        out.flush()
                        os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredBlob(key=key, size=len(data))

    def unsynced(self) -> LocalBlobStore:
        """The same store without a flush per file: for a batch of writes followed by one `sync()`."""
        return LocalBlobStore(self.root, fsync=False)

    def sync(self) -> None:
        """Make every blob written so far durable (one call for a whole batch instead of one per file)."""
        if self.fsync:
            os.sync()

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc

    def read(self, key: str) -> bytes:
        with self.open(key) as blob:
            return blob.read()

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except BlobNotFound:
            return False
