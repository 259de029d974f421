"""The archive reader streams: it never reads far ahead of the item it hands out, nor keeps what it handed out."""

from __future__ import annotations

import io
import lzma
import os
import tarfile
import tracemalloc

import pytest

from digitalpost.protocols.archive import ArchiveDamaged, iter_members
from helpers.bulk_archives import tar_lzma

ITEM = 4096
CHUNK = 16 * 1024


class CountingStream:
    """A fake request body that counts what the reader took from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.taken = 0
        self.largest_read = 0

    def read(self, size: int) -> bytes:
        chunk = self._data.read(size)
        self.taken += len(chunk)
        self.largest_read = max(self.largest_read, size)
        return chunk


def _incompressible_archive(count: int) -> bytes:
    """Random items: compressed offsets then track tar offsets, so read-ahead shows in the byte count."""
    return tar_lzma(((f"m{i}.xml", os.urandom(ITEM)) for i in range(count)), fmt=lzma.FORMAT_XZ, preset=0)


def test_each_item_is_handed_out_before_much_more_of_the_stream_is_read():
    stream = CountingStream(_incompressible_archive(2000))
    tar_end = 0
    for member in iter_members(stream.read, max_item_bytes=ITEM, chunk=CHUNK):
        tar_end += tarfile.BLOCKSIZE + ITEM  # a PAX-free header block + the data (ITEM is a multiple of 512)
        assert member.data is not None
        assert len(member.data) == ITEM
        # The item's random data was read (only the zero-filled headers compress); beyond it at most one
        # read chunk, one tar record and the xz container's overhead.
        assert member.position * ITEM <= stream.taken <= tar_end + CHUNK + tarfile.RECORDSIZE + 4096 + tar_end // 100
    assert member.position == 2000
    assert stream.largest_read == CHUNK


def test_memory_stays_at_about_one_item_however_many_items_stream_through():
    body = tar_lzma(((f"m{i}.xml", bytes([i % 251]) * ITEM) for i in range(5000)), preset=0)
    stream = CountingStream(body)
    tracemalloc.start()
    try:
        handled = sum(len(m.data or b"") for m in iter_members(stream.read, max_item_bytes=ITEM, chunk=CHUNK))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert handled == 5000 * ITEM  # 20 MB went through …
    assert peak < 2 * 1024 * 1024  # … holding well under a tenth of it at any time


def test_an_oversized_item_is_skipped_unread_and_the_next_one_follows():
    body = tar_lzma([("a.xml", b"a" * 100), ("big.xml", b"b" * 5000), ("c.xml", b"c" * 100)])
    members = list(iter_members(io.BytesIO(body).read, max_item_bytes=1000))
    assert [(m.name, m.size, m.data is None) for m in members] == [
        ("a.xml", 100, False), ("big.xml", 5000, True), ("c.xml", 100, False)]


@pytest.mark.parametrize("fmt", [lzma.FORMAT_ALONE, lzma.FORMAT_XZ])
def test_a_truncated_archive_raises_after_the_items_read_completely(fmt):
    body = _incompressible_archive(50) if fmt == lzma.FORMAT_XZ else tar_lzma(
        (f"m{i}.xml", os.urandom(ITEM)) for i in range(50))
    seen: list[int] = []
    members = iter_members(io.BytesIO(body[: len(body) // 2]).read, max_item_bytes=ITEM, chunk=CHUNK)
    with pytest.raises(ArchiveDamaged) as raised:
        seen.extend(member.position for member in members)
    assert raised.value.after == len(seen) > 10
    assert seen == list(range(1, len(seen) + 1))


def test_corrupt_data_raises_archive_damaged():
    body = bytearray(tar_lzma((f"m{i}.xml", b"hello %d" % i) for i in range(20)))
    body[len(body) // 2] ^= 0xFF
    with pytest.raises(ArchiveDamaged, match=r"corrupt|damaged|truncated"):
        list(iter_members(io.BytesIO(bytes(body)).read, max_item_bytes=ITEM))
