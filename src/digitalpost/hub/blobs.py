"""The configured blob store for documents and received MeMo bytes, its start-up check and key rotation."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from digitalpost.blobstore import ContentAddressedStore, LocalBlobStore, ObjectBackend, UnreadableBlob
from digitalpost.blobstore.sealing import MAGIC, KeyConfigurationError, MasterKeys, read_header, rewrap, seal

BACKENDS = ("local", "s3")
# How many stored blobs the start-up check opens to prove the configured master keys are the right ones.
KEY_CHECK_SAMPLE = 20


class BlobStoreConfigurationError(RuntimeError):
    """The blob-store settings cannot work (unknown backend, missing bucket, bad or wrong master keys)."""


def master_keys() -> MasterKeys | None:
    try:
        return MasterKeys.parse(settings.DIGITALPOST_BLOB_KEYS)
    except KeyConfigurationError as exc:
        raise BlobStoreConfigurationError(str(exc)) from exc


def object_backend() -> ObjectBackend:
    backend = settings.DIGITALPOST_BLOB_BACKEND
    if backend == "local":
        return LocalBlobStore(settings.DIGITALPOST_BLOB_DIR, fsync=settings.DIGITALPOST_BLOB_FSYNC).objects
    if backend == "s3":
        from digitalpost.blobstore.s3 import S3Objects, S3Settings

        if not settings.DIGITALPOST_S3_BUCKET:
            raise BlobStoreConfigurationError("DIGITALPOST_BLOB_BACKEND=s3 needs DIGITALPOST_S3_BUCKET")
        return S3Objects(S3Settings(
            bucket=settings.DIGITALPOST_S3_BUCKET, endpoint=settings.DIGITALPOST_S3_ENDPOINT,
            region=settings.DIGITALPOST_S3_REGION, access_key_id=settings.DIGITALPOST_S3_ACCESS_KEY_ID,
            secret_access_key=settings.DIGITALPOST_S3_SECRET_ACCESS_KEY,
            path_style=settings.DIGITALPOST_S3_PATH_STYLE, prefix=settings.DIGITALPOST_S3_PREFIX))
    raise BlobStoreConfigurationError(
        f"DIGITALPOST_BLOB_BACKEND={backend!r}: choose one of {', '.join(BACKENDS)}")


@cache
def blob_store() -> ContentAddressedStore:
    if settings.DIGITALPOST_BLOB_BACKEND == "local":
        return LocalBlobStore(settings.DIGITALPOST_BLOB_DIR, fsync=settings.DIGITALPOST_BLOB_FSYNC,
                              keys=master_keys())
    return ContentAddressedStore(object_backend(), master_keys())


def check_blob_store(sample: int = KEY_CHECK_SAMPLE) -> list[str]:
    """What keeps the blob store from serving documents; empty when it is usable.

    Opens the header of up to `sample` stored blobs: a sealed blob whose master key is missing, or whose data
    key the configured key material does not unwrap, means the keys are wrong — better refused at start-up
    than found by the first reader.
    """
    try:
        keys = master_keys()
        objects = blob_store().objects
        names = list(itertools.islice(objects.names(), sample))
    except Exception as exc:
        return [f"blob store unusable: {exc}"]
    problems: list[str] = []
    for name in names:
        try:
            with objects.open(name) as raw:
                if not _is_sealed(raw):
                    continue
                if keys is None:
                    return ["stored blobs are encrypted, but DIGITALPOST_BLOB_KEYS is empty"]
                read_header(raw).data_key(keys)
        except UnreadableBlob as exc:
            return [f"blob {name[:12]}…: {exc}"]
        except Exception as exc:
            return [f"blob store unusable: {exc}"]
    return problems


def _is_sealed(raw: io.BufferedReader) -> bool:
    """Whether a stream opened by an ObjectBackend holds a sealed blob."""
    return raw.peek(len(MAGIC))[: len(MAGIC)] == MAGIC


@contextmanager
def _naming(name: str) -> Iterator[None]:
    try:
        yield
    except UnreadableBlob as exc:
        raise UnreadableBlob(f"blob {name[:12]}…: {exc}") from exc


@dataclass
class RotationReport:
    rewrapped: int = 0
    sealed: int = 0
    current: int = 0


def rotate_keys(progress: Callable[[str, int], None] | None = None) -> RotationReport:
    """Wrap every blob's data key under the current master key; seal blobs stored before encryption.

    Resumable: a blob already under the current key is only checked, so running it again after an
    interruption carries on where it stopped. Segments are copied as they are, never re-encrypted.
    """
    keys = master_keys()
    if keys is None:
        raise BlobStoreConfigurationError("DIGITALPOST_BLOB_KEYS is empty: there is no master key to rotate to")
    objects = blob_store().objects
    report = RotationReport()
    for index, name in enumerate(objects.names(), start=1):
        if len(name) != 64:
            continue
        with objects.open(name) as raw, _naming(name):
            if _is_sealed(raw):
                rewrapped = rewrap(raw, keys)
                if rewrapped is None:
                    report.current += 1
                else:
                    objects.write(name, rewrapped)
                    report.rewrapped += 1
            else:
                objects.write(name, seal(iter(lambda: raw.read(1024 * 1024), b""),
                                         address=bytes.fromhex(name), keys=keys))
                report.sealed += 1
        if progress:
            progress(name, index)
    objects.sync()
    return report
