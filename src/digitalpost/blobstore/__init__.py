"""Document storage behind one small interface: content-addressed blobs in a local folder or an S3 bucket.

Blobs are named by the SHA-256 of their (plaintext) bytes, so storing the same document twice is harmless
and a crash between writing a blob and committing the row that points to it leaves only an orphan, never a
dangling reference (decision 0002). Where they live is an `ObjectBackend` (a folder here, a bucket in
`blobstore.s3`); with master keys configured every blob is sealed with AES-256-GCM on the way in
(`blobstore.sealing`, decision 0008). Not for: metadata (the database holds that) or access control
(callers check).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from digitalpost.blobstore.sealing import MAGIC, MasterKeys, UnreadableBlob, open_sealed, seal

CHUNK_BYTES = 1024 * 1024
# put_stream keeps up to this much of a stream in memory before it spools to a temporary file.
SPOOL_IN_MEMORY_BYTES = 4 * 1024 * 1024
# A write-behind view (`ContentAddressedStore.write_behind`) keeps blobs up to this size until its sync.
WRITE_BEHIND_MAX_BYTES = 1024 * 1024


class BlobNotFound(LookupError):
    pass


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int


class BlobStore(Protocol):
    def put(self, data: bytes) -> StoredBlob: ...

    def put_stream(self, source: BinaryIO) -> StoredBlob: ...

    def open(self, key: str) -> BinaryIO: ...

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def iter_keys(self) -> Iterator[str]: ...

    def unsynced(self) -> BlobStore: ...

    def sync(self) -> None: ...


class ObjectBackend(Protocol):
    # How many writes are worth running at once: 1 for a local disk, more for a bucket (each is a round trip).
    parallel_writes: int
    # Whether writing a small object costs no more than asking if it exists (a bucket: one round trip either
    # way), so a batch writes its small blobs without asking first; a local folder asks (a stat is cheap).
    blind_writes: bool

    """Raw bytes under a name: where a content-addressed store keeps its (possibly sealed) blobs."""

    def write(self, name: str, chunks: Iterable[bytes]) -> None:
        """Store the chunks under `name` atomically: readers see the old object or the whole new one."""

    def open(self, name: str) -> io.BufferedReader:
        """The stored bytes as a buffered stream (it can peek); BlobNotFound when there is no such object."""

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None:
        """Remove the object; nothing happens when there is none."""

    def names(self) -> Iterator[str]: ...

    def unsynced(self) -> ObjectBackend: ...

    def sync(self) -> None: ...


def is_blob_key(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)


def chunks_of(data: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start:start + size])


def read_chunks(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


class IterStream(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (decrypted segments, an HTTP body's chunks)."""

    def __init__(self, chunks: Iterator[bytes], on_close: object = None) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")  # a view, so handing out part of a chunk copies nothing twice
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def readall(self) -> bytes:
        rest = [bytes(self._pending), *self._chunks]
        self._pending = memoryview(b"")
        return b"".join(rest)

    def close(self) -> None:
        if not self.closed and callable(self._on_close):
            self._on_close()
        super().close()


def buffered(chunks: Iterator[bytes], on_close: object = None) -> io.BufferedReader:
    return io.BufferedReader(IterStream(chunks, on_close), buffer_size=CHUNK_BYTES)


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None  # not Linux (or a libc without it)
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast(Callable[[int], int], function)


_syncfs = _load_syncfs()


def sync_file_system(path: Path) -> bool:
    """Make everything written to the file system that holds `path` durable.

    syncfs(2) flushes that one file system; os.sync(), the fallback where there is none, flushes every file
    system of the host, which slows other programs sharing the machine. True when syncfs did it."""
    if _syncfs is not None:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _syncfs(fd) == 0:
                return True
        finally:
            os.close(fd)
    os.sync()
    return False


class LocalFolder:
    """Objects as files under `root/ab/cd/<name>`, written atomically (a temporary file renamed), fsynced first
    unless the view is unsynced."""

    parallel_writes = 1
    blind_writes = False

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self._root_text = os.fspath(self.root)

    # Plain strings, not pathlib: its joins cost as much as reading or writing a small blob, and a delivery batch
    # writes hundreds of blobs, every forward reads one.
    def _folder(self, name: str) -> str:
        return f"{self._root_text}/{name[:2]}/{name[2:4]}"

    def _path(self, name: str) -> str:
        return f"{self._folder(name)}/{name}"

    def write(self, name: str, chunks: Iterable[bytes]) -> None:
        folder = self._folder(name)
        # Plain os calls and strings: a delivery batch writes hundreds of blobs, and pathlib, mkstemp's random names
        # and a mkdir per blob cost more than the writes (decisions 0019, 0021). A temporary name no live process
        # shares (pid, then a counter); one left by a dead process with the same pid makes O_EXCL fail, and mkstemp
        # picks another name then.
        tmp = f"{folder}/.tmp-{_PID}-{next(_TEMPORARY_NUMBERS)}"
        try:
            fd = _create(tmp)
        except FileNotFoundError:  # the first blob of its folder: the folder is made only then
            fd, tmp = _create_in_new_folder(folder, tmp)
        except FileExistsError:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            try:
                self._write_all(fd, chunks)
            finally:
                os.close(fd)
            os.replace(tmp, f"{folder}/{name}")
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _write_all(self, fd: int, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        if self.fsync:
            os.fsync(fd)

    def open(self, name: str) -> io.BufferedReader:
        try:
            return open(self._path(name), "rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(name) from exc

    def exists(self, name: str) -> bool:
        return os.path.exists(self._path(name))

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(name))

    def names(self) -> Iterator[str]:
        for path in sorted(self.root.glob("??/??/*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.name

    def unsynced(self) -> LocalFolder:
        return LocalFolder(self.root, fsync=False)

    def sync(self) -> None:
        if self.fsync:
            self.root.mkdir(parents=True, exist_ok=True)
            sync_file_system(self.root)


_PID = os.getpid()
_TEMPORARY_NUMBERS = itertools.count()


def _create(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)


def _create_in_new_folder(folder: str, tmp: str) -> tuple[int, str]:
    """Make `folder` (its parent too, if missing), then create `tmp` in it: the same name, not mkstemp's random one.

    A fresh store makes a folder for most of its first 65,536 blobs (a mass send's delivery into a new hub: three
    in four blobs), and `os.makedirs` + `mkstemp` cost more CPU than the blob's own write (decision 0030)."""
    try:
        os.mkdir(folder)
    except FileExistsError:  # another process made it meanwhile
        pass
    except FileNotFoundError:  # the parent `ab/` is missing too (or the store's root)
        os.makedirs(folder, exist_ok=True)
    try:
        return _create(tmp), tmp
    except FileExistsError:  # left by a dead process with our pid (the folder was made by another process)
        return tempfile.mkstemp(dir=folder, prefix=".tmp-")


def _forked() -> None:
    global _PID
    _PID = os.getpid()


os.register_at_fork(after_in_child=_forked)


def _digest(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class ContentAddressedStore:
    """Blobs named by the SHA-256 of their plaintext, kept in `objects`, sealed when `keys` are given.

    Without keys a blob is stored as it is; a blob that turns out to be sealed is then refused
    (UnreadableBlob), never served as ciphertext. With keys, blobs stored before encryption was turned on
    are still read as they are (`digitalpost keys rotate` seals them).
    """

    def __init__(self, objects: ObjectBackend, keys: MasterKeys | None = None) -> None:
        self.objects = objects
        self.master_keys = keys

    def _encode(self, key: str, chunks: Iterable[bytes]) -> Iterable[bytes]:
        return seal(chunks, address=bytes.fromhex(key), keys=self.master_keys) if self.master_keys else chunks

    def put(self, data: bytes) -> StoredBlob:
        return self.put_named(hashlib.sha256(data).hexdigest(), data)

    def put_named(self, key: str, data: bytes, *, ask_first: bool = True) -> StoredBlob:
        """`put` of bytes whose SHA-256 (`key`) the caller computed already; without `ask_first` the object is
        written even if it exists (the same plaintext under the same name: harmless, and one round trip less)."""
        if not ask_first or not self.objects.exists(key):
            self.objects.write(key, self._encode(key, chunks_of(data)))
        return StoredBlob(key=key, size=len(data))

    def put_stream(self, source: BinaryIO) -> StoredBlob:
        """Store a stream of any size, a chunk at a time: hashed first, then written under its hash.

        A seekable source (a file) is read twice, from where it stands; anything else is spooled while it is
        hashed (in memory up to SPOOL_IN_MEMORY_BYTES, then in a temporary file).
        """
        if source.seekable():
            start = source.tell()
            key, size = _digest(read_chunks(source))
            if not self.objects.exists(key):
                source.seek(start)
                self.objects.write(key, self._encode(key, read_chunks(source)))
            return StoredBlob(key=key, size=size)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
            def spooled() -> Iterator[bytes]:
                for chunk in read_chunks(source):
                    spool.write(chunk)
                    yield chunk

            key, size = _digest(spooled())
            if not self.objects.exists(key):
                spool.seek(0)
                self.objects.write(key, self._encode(key, read_chunks(spool)))  # type: ignore[arg-type]
        return StoredBlob(key=key, size=size)

    def open(self, key: str) -> BinaryIO:
        if not is_blob_key(key):
            raise BlobNotFound(key)
        peekable = self.objects.open(key)
        if peekable.peek(len(MAGIC))[:len(MAGIC)] != MAGIC:
            return peekable
        if self.master_keys is None:
            peekable.close()
            raise UnreadableBlob(f"blob {key[:12]}… is encrypted, but no DIGITALPOST_BLOB_KEYS are configured")
        return buffered(open_sealed(peekable, address=bytes.fromhex(key), keys=self.master_keys),
                        on_close=peekable.close)

    def read(self, key: str) -> bytes:
        with self.open(key) as blob:
            return blob.read()

    def exists(self, key: str) -> bool:
        return is_blob_key(key) and self.objects.exists(key)

    def delete(self, key: str) -> None:
        """Remove a blob for good. Blobs are shared by content: the caller makes sure nothing else holds it."""
        if is_blob_key(key):
            self.objects.delete(key)

    def iter_keys(self) -> Iterator[str]:
        return (name for name in self.objects.names() if is_blob_key(name))

    def unsynced(self) -> ContentAddressedStore:
        """The same store without a flush per file: for a batch of writes followed by one `sync()`."""
        return ContentAddressedStore(self.objects.unsynced(), self.master_keys)

    def sync(self) -> None:
        """Make every blob written so far durable (one call for a whole batch instead of one per file)."""
        self.objects.sync()

    def write_behind(self) -> WriteBehind:
        """A view for a batch: small blobs are written at its `sync()`, all at once, then made durable."""
        return WriteBehind(self)


class WriteBehind:
    """A batch's view of a store: blobs up to WRITE_BEHIND_MAX_BYTES are kept in memory until `sync()`, which
    writes them all — several at a time where the backend takes parallel writes (a bucket: one round trip per
    blob, which the delivery worker paid one after the other) — and then makes them durable, as `sync()` of
    an unsynced view does. Reads see the kept blobs; larger blobs are written at once, unsynced.

    The guarantee is the unsynced view's: nothing written through it is durable before `sync()` returns, so a
    caller records nothing that refers to these blobs before then.
    """

    def __init__(self, store: ContentAddressedStore) -> None:
        self.store = store
        self._unsynced = store.unsynced()
        self._kept: dict[str, bytes] = {}

    def put(self, data: bytes) -> StoredBlob:
        if len(data) > WRITE_BEHIND_MAX_BYTES:
            return self._unsynced.put(data)
        key = hashlib.sha256(data).hexdigest()
        self._kept.setdefault(key, data)
        return StoredBlob(key=key, size=len(data))

    def put_stream(self, source: BinaryIO) -> StoredBlob:
        return self._unsynced.put_stream(source)

    def open(self, key: str) -> BinaryIO:
        kept = self._kept.get(key)
        return io.BytesIO(kept) if kept is not None else self.store.open(key)

    def read(self, key: str) -> bytes:
        kept = self._kept.get(key)
        return kept if kept is not None else self.store.read(key)

    def exists(self, key: str) -> bool:
        return key in self._kept or self.store.exists(key)

    def delete(self, key: str) -> None:
        self._kept.pop(key, None)
        self.store.delete(key)

    def iter_keys(self) -> Iterator[str]:
        return self.store.iter_keys()

    def unsynced(self) -> WriteBehind:
        return self

    def sync(self) -> None:
        kept = list(self._kept.items())
        objects = self.store.objects
        ask_first = not objects.blind_writes

        def write(item: tuple[str, bytes]) -> None:
            self._unsynced.put_named(*item, ask_first=ask_first)

        workers = min(objects.parallel_writes, len(kept))
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="blob-write") as pool:
                for _ in pool.map(write, kept):
                    pass
        else:
            for item in kept:
                write(item)
        self._kept.clear()
        self.store.sync()


class LocalBlobStore(ContentAddressedStore):
    """Blobs as files under `root/ab/cd/<sha256>`, written atomically and fsynced before use."""

    def __init__(self, root: Path, *, fsync: bool = True, keys: MasterKeys | None = None) -> None:
        super().__init__(LocalFolder(root, fsync=fsync), keys)
        self.root = Path(root)

    def unsynced(self) -> LocalBlobStore:
        return LocalBlobStore(self.root, fsync=False, keys=self.master_keys)


__all__ = [
    "BlobNotFound", "BlobStore", "ContentAddressedStore", "LocalBlobStore", "LocalFolder", "MasterKeys",
    "ObjectBackend", "StoredBlob", "UnreadableBlob", "WriteBehind", "sync_file_system",
]
