"""Blobs in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph …) through boto3.

Uploads stream: boto3's managed transfer sends an object above `MULTIPART_BYTES` as a multipart upload,
reading the source one part at a time, so at most `MULTIPART_BYTES × CONCURRENCY` of a document is held in
memory. Downloads stream the response body. An object appears whole or not at all (S3 PUT and
CompleteMultipartUpload are atomic), which is what a content-addressed store needs.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from digitalpost.blobstore import CHUNK_BYTES, BlobNotFound, IterStream, buffered

MULTIPART_BYTES = 8 * 1024 * 1024
CONCURRENCY = 2
_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    path_style: bool = False
    prefix: str = "blobs/"


def s3_client(settings: S3Settings) -> Any:
    """A client for the settings; credentials left empty come from boto3's usual chain (AWS_* variables,
    ~/.aws, an instance role)."""
    config = Config(s3={"addressing_style": "path" if settings.path_style else "auto"},
                    retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=60)
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.endpoint or None, region_name=settings.region or None,
        aws_access_key_id=settings.access_key_id or None,
        aws_secret_access_key=settings.secret_access_key or None, config=config)


class S3Objects:
    """Objects as `<prefix><name>` in one bucket."""

    def __init__(self, settings: S3Settings, client: Any = None) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.client = client or s3_client(settings)
        self.transfer = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES,
                                       max_concurrency=CONCURRENCY, use_threads=CONCURRENCY > 1)

    def _key(self, name: str) -> str:
        return self.prefix + name

    def write(self, name: str, chunks: Iterable[bytes]) -> None:
        source = io.BufferedReader(IterStream(iter(chunks)), buffer_size=CHUNK_BYTES)
        self.client.upload_fileobj(source, self.bucket, self._key(name), Config=self.transfer)

    def open(self, name: str) -> io.BufferedReader:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise BlobNotFound(name) from exc
            raise
        body = response["Body"]
        return buffered(body.iter_chunks(CHUNK_BYTES), on_close=body.close)

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    def names(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for entry in page.get("Contents", []):
                yield entry["Key"][len(self.prefix):]

    def unsynced(self) -> S3Objects:
        return self  # an acknowledged PUT is durable already

    def sync(self) -> None:
        pass
