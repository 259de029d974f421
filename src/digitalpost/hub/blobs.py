"""The configured blob store for documents and received MeMo bytes."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from digitalpost.blobstore import LocalBlobStore


@cache
def blob_store() -> LocalBlobStore:
    return LocalBlobStore(settings.DIGITALPOST_BLOB_DIR, fsync=settings.DIGITALPOST_BLOB_FSYNC)
