import pytest

from digitalpost.blobstore import BlobNotFound, LocalBlobStore


def test_blob_is_stored_under_its_sha256_and_read_back(tmp_path):
    store = LocalBlobStore(tmp_path)
    stored = store.put(b"hello")
    assert stored.key == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert store.read(stored.key) == b"hello"
    assert stored.size == 5


def test_storing_the_same_bytes_twice_keeps_one_file(tmp_path):
    store = LocalBlobStore(tmp_path)
    assert store.put(b"x").key == store.put(b"x").key
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize("key", ["../../etc/passwd", "0" * 63, "Z" * 64])
def test_keys_that_are_not_hashes_are_never_opened(tmp_path, key):
    with pytest.raises(BlobNotFound):
        LocalBlobStore(tmp_path).read(key)
