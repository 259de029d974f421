"""The blob-store contract, run against every backend: a local folder and a real S3 server (SeaweedFS), each
unencrypted and sealed with master keys."""

import hashlib
import io
import os
import sys

import pytest

from digitalpost.blobstore import (
    WRITE_BEHIND_MAX_BYTES,
    BlobNotFound,
    ContentAddressedStore,
    LocalBlobStore,
    UnreadableBlob,
    sync_file_system,
)
from digitalpost.blobstore.s3 import S3Objects, S3Settings
from digitalpost.blobstore.sealing import MAGIC, MasterKeys

KEYS = MasterKeys.parse(f"k1:{MasterKeys.generate_material()}")
HELLO_KEY = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


def s3_objects(server) -> S3Objects:
    return S3Objects(S3Settings(bucket=server.bucket, prefix=server.new_prefix(), endpoint=server.endpoint,
                                access_key_id=server.access_key, secret_access_key=server.secret_key,
                                region="us-east-1", path_style=True))


@pytest.fixture(params=["local", "local-sealed", "s3", "s3-sealed"])
def store(request, tmp_path) -> ContentAddressedStore:
    keys = KEYS if request.param.endswith("sealed") else None
    if request.param.startswith("local"):
        return LocalBlobStore(tmp_path / "blobs", keys=keys)
    return ContentAddressedStore(s3_objects(request.getfixturevalue("s3_server")), keys)


def test_blob_is_stored_under_its_sha256_and_read_back(store):
    stored = store.put(b"hello")
    assert stored.key == HELLO_KEY
    assert store.read(stored.key) == b"hello"
    assert stored.size == 5
    assert store.exists(HELLO_KEY)


def test_storing_the_same_bytes_twice_keeps_one_object(store):
    assert store.put(b"x").key == store.put(b"x").key
    assert list(store.iter_keys()) == [hashlib.sha256(b"x").hexdigest()]


def test_an_empty_blob_is_stored_and_read_back(store):
    assert store.read(store.put(b"").key) == b""


@pytest.mark.parametrize("size", [64 * 1024, 64 * 1024 + 1, 9 * 1024 * 1024 + 7])
def test_a_large_stream_is_stored_and_streamed_back_whole(store, size):
    """Sizes on a segment boundary, just past it, and past the S3 multipart threshold (8 MiB)."""
    data = os.urandom(size)
    stored = store.put_stream(io.BytesIO(data))
    assert stored == store.put(data)
    assert stored.key == hashlib.sha256(data).hexdigest()
    assert stored.size == size
    with store.open(stored.key) as blob:
        pieces = iter(lambda: blob.read(100_000), b"")
        assert b"".join(pieces) == data


def test_files_and_unseekable_streams_are_stored_from_where_they_stand(store, tmp_path):
    data = os.urandom(5 * 1024 * 1024 + 3)  # past the in-memory spool
    path = tmp_path / "upload"
    path.write_bytes(b"skip me" + data)
    with path.open("rb") as file:
        file.read(7)
        assert store.put_stream(file).key == hashlib.sha256(data).hexdigest()
    with path.open("rb", buffering=0) as raw:
        raw.read(7)
        pipe = io.BufferedReader(_Unseekable(raw))
        assert store.put_stream(pipe).size == len(data)
    assert store.read(hashlib.sha256(data).hexdigest()) == data


class _Unseekable(io.RawIOBase):
    """A socket-like stream: readable, never seekable."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self.inner.readinto(buffer)


def test_a_write_behind_view_writes_its_blobs_at_sync_and_serves_them_before(store):
    batch = store.write_behind()
    small = [os.urandom(2000) for _ in range(12)]
    keys = [batch.put(data).key for data in small]
    large = os.urandom(WRITE_BEHIND_MAX_BYTES + 1)
    large_key = batch.put(large).key
    assert keys == [hashlib.sha256(data).hexdigest() for data in small]
    assert not any(store.exists(key) for key in keys)  # kept until the batch's sync
    assert store.exists(large_key)  # too large to keep: written at once (unsynced)
    assert batch.read(keys[0]) == small[0]
    assert batch.open(keys[1]).read() == small[1]
    assert batch.exists(keys[2])
    batch.sync()
    assert [store.read(key) for key in keys] == small  # written, several at a time on S3
    assert store.read(large_key) == large
    batch.sync()  # nothing kept any more: a second sync writes nothing again


def test_a_missing_blob_is_not_found(store):
    assert not store.exists("0" * 64)
    with pytest.raises(BlobNotFound):
        store.read("0" * 64)


@pytest.mark.parametrize("key", ["../../etc/passwd", "0" * 63, "Z" * 64])
def test_keys_that_are_not_hashes_are_never_opened(store, key):
    with pytest.raises(BlobNotFound):
        store.read(key)
    assert not store.exists(key)


def test_sealed_blobs_hold_no_plaintext_and_unsealed_stores_refuse_them(tmp_path):
    sealed = LocalBlobStore(tmp_path, keys=KEYS)
    key = sealed.put(b"CPR 010101-1234 secret letter").key
    raw = sealed.objects.open(key).read()
    assert raw.startswith(MAGIC)
    assert b"secret" not in raw
    with pytest.raises(UnreadableBlob, match="no DIGITALPOST_BLOB_KEYS"):
        LocalBlobStore(tmp_path).read(key)


def test_a_wrong_or_missing_master_key_is_a_clear_error_never_garbage(tmp_path):
    key = LocalBlobStore(tmp_path, keys=KEYS).put(b"letter").key
    wrong_material = MasterKeys.parse(f"k1:{MasterKeys.generate_material()}")
    with pytest.raises(UnreadableBlob, match="key material is wrong"):
        LocalBlobStore(tmp_path, keys=wrong_material).read(key)
    other_id = MasterKeys.parse(f"k2:{MasterKeys.generate_material()}")
    with pytest.raises(UnreadableBlob, match="'k1'"):
        LocalBlobStore(tmp_path, keys=other_id).read(key)


def _tamper(store: LocalBlobStore, key: str, change) -> None:
    path = next(store.root.rglob(key))
    path.write_bytes(change(path.read_bytes()))


@pytest.mark.parametrize("change", [
    pytest.param(lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]), id="flipped-bit"),
    pytest.param(lambda raw: raw[:-(64 * 1024 + 16)], id="last-segment-cut-off"),
    pytest.param(lambda raw: raw[:-10], id="truncated"),
])
def test_altered_ciphertext_fails_to_open(tmp_path, change):
    store = LocalBlobStore(tmp_path, keys=KEYS)
    key = store.put(os.urandom(3 * 64 * 1024 + 5)).key
    _tamper(store, key, change)
    with pytest.raises(UnreadableBlob):
        store.read(key)


def test_segments_swapped_fail_to_open(tmp_path):
    store = LocalBlobStore(tmp_path, keys=KEYS)
    key = store.put(os.urandom(3 * 64 * 1024)).key
    seg = 64 * 1024 + 16

    def swap_first_two(raw: bytes) -> bytes:
        body_start = len(raw) - 3 * seg
        head, first, second, rest = (raw[:body_start], raw[body_start:body_start + seg],
                                     raw[body_start + seg:body_start + 2 * seg], raw[body_start + 2 * seg:])
        return head + second + first + rest

    _tamper(store, key, swap_first_two)
    with pytest.raises(UnreadableBlob, match="segment 0"):
        store.read(key)


def test_a_sealed_blob_moved_to_another_address_fails_to_open(tmp_path):
    store = LocalBlobStore(tmp_path, keys=KEYS)
    a, b = store.put(b"a").key, store.put(b"b").key
    store.objects.write(b, [store.objects.open(a).read()])
    with pytest.raises(UnreadableBlob, match="another address"):
        store.read(b)


def test_an_old_master_key_still_opens_what_it_wrapped(tmp_path):
    old = MasterKeys.parse("old:" + MasterKeys.generate_material())
    key = LocalBlobStore(tmp_path, keys=old).put(b"letter").key
    both = MasterKeys.parse(f"new:{MasterKeys.generate_material()},old:{_b64(old.current.material)}")
    assert LocalBlobStore(tmp_path, keys=both).read(key) == b"letter"


def _b64(material: bytes) -> str:
    import base64

    return base64.b64encode(material).decode()


@pytest.mark.parametrize(("text", "message"), [
    ("k1", "key-id:base64-key"),
    ("k1:notbase64!", "not base64"),
    ("k1:" + _b64(b"short"), "needs 32"),
    ("k1:{m},k1:{m}", "appears twice"),
])
def test_unusable_key_settings_are_refused_with_a_reason(text, message):
    from digitalpost.blobstore.sealing import KeyConfigurationError

    with pytest.raises(KeyConfigurationError, match=message):
        MasterKeys.parse(text.format(m=MasterKeys.generate_material()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux's")
def test_a_batch_is_made_durable_by_flushing_its_own_file_system_only(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    stored = store.unsynced().put(b"letter of a batch")
    assert sync_file_system(tmp_path / "blobs") is True  # syncfs(2), not os.sync() of the whole host
    store.sync()
    assert store.read(stored.key) == b"letter of a batch"


def test_a_local_write_leaves_only_the_blob_even_when_its_folder_went_away(tmp_path):
    import shutil

    store = LocalBlobStore(tmp_path / "blobs")
    first = store.put(b"hello")
    shutil.rmtree(tmp_path / "blobs")  # the folders the first write made are gone
    again = store.put(b"hello")
    assert again == first
    assert store.read(first.key) == b"hello"
    names = [path.name for path in (tmp_path / "blobs").rglob("*") if path.is_file()]
    assert names == [HELLO_KEY]  # no temporary file left behind


def test_a_blob_in_a_new_folder_is_written_without_a_random_temporary_name(tmp_path, monkeypatch):
    # A fresh store makes a folder for most blobs; mkstemp's random names there cost more than the write.
    import tempfile

    def no_random_names(**_: object) -> None:
        raise AssertionError("mkstemp called for a folder just made")

    monkeypatch.setattr(tempfile, "mkstemp", no_random_names)
    store = LocalBlobStore(tmp_path / "blobs")
    first = store.put(b"hello")  # neither blobs/2c/ nor blobs/2c/f2/ exists yet
    sibling = bytes(range(256))  # any other content: its own folders, made the same way
    second = store.put(sibling)
    assert store.read(first.key) == b"hello"
    assert store.read(second.key) == sibling
    assert sorted(path.name for path in (tmp_path / "blobs").rglob("*") if path.is_file()) == sorted(
        [first.key, second.key])  # no temporary file left behind


def test_a_blob_whose_parent_folder_exists_gets_only_its_own_folder_made(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "blobs" / HELLO_KEY[:2]).mkdir(parents=True)
    assert store.put(b"hello").key == HELLO_KEY
    assert store.read(HELLO_KEY) == b"hello"


def test_a_temporary_file_left_by_a_dead_process_does_not_stop_a_write(tmp_path):
    import itertools

    import digitalpost.blobstore as blobstore

    store = LocalBlobStore(tmp_path / "blobs")
    store.put(b"hello")
    folder = tmp_path / "blobs" / HELLO_KEY[:2] / HELLO_KEY[2:4]
    upcoming = int(repr(blobstore._TEMPORARY_NUMBERS)[len("count("):-1])
    for number in range(upcoming, upcoming + 50):  # the names this process would pick next, all taken
        (folder / f".tmp-{os.getpid()}-{number}").write_bytes(b"torn")
    store.delete(HELLO_KEY)
    assert store.put(b"hello").key == HELLO_KEY
    assert store.read(HELLO_KEY) == b"hello"
    assert list(itertools.islice(store.iter_keys(), 2)) == [HELLO_KEY]


def test_writing_an_object_that_exists_replaces_it_whole(tmp_path):
    from digitalpost.blobstore import LocalFolder

    folder = LocalFolder(tmp_path / "objects")
    name = "ab" * 32
    folder.write(name, [b"old ", b"bytes"])
    folder.write(name, [b"new"])  # as key rotation rewrites a sealed blob under its own name
    with folder.open(name) as stored:
        assert stored.read() == b"new"
    assert [path.name for path in (tmp_path / "objects").rglob("*") if path.is_file()] == [name]
