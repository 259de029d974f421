"""Blobs sealed at rest: AES-256-GCM in fixed-size segments under a per-blob data key (decision 0008).

A sealed blob is a header followed by segments:

    header   = "DPEB" | version (1 byte, = 1) | segment size (4 bytes, big-endian) | address (32 bytes, the
               SHA-256 of the plaintext) | key-id length (1 byte) | key id (ASCII) | wrapped-key length
               (1 byte) | wrapped data key (AES key wrap, RFC 3394, of the 32-byte data key under the
               master key named by the key id)
    segment  = AES-256-GCM(data key, nonce, plaintext piece, associated data) = ciphertext | 16-byte tag

Every segment but the last holds exactly `segment size` plaintext bytes; the last holds the rest (possibly
none) and is marked final. Segment i uses nonce = i (11 bytes, big-endian) | final flag (1 byte) — unique,
as each data key seals one blob only — and associated data = the fixed part of the header (magic, version,
segment size, address) | i (8 bytes) | final flag. So a segment moved, dropped, or cut off at the end, or a
blob put under another address, fails to open. The key id and wrapped key are outside the associated data so
that `digitalpost keys rotate` can re-wrap the data key without re-encrypting anything; the wrap itself is
authenticated (a wrong or altered master key fails to unwrap).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

MAGIC = b"DPEB"
VERSION = 1
SEGMENT_BYTES = 64 * 1024
TAG_BYTES = 16
_FIXED = struct.Struct(">4sBI32s")  # magic, version, segment size, address


class UnreadableBlob(Exception):
    """A stored blob that cannot be opened with the configured keys, or whose ciphertext was altered."""


class KeyConfigurationError(ValueError):
    """DIGITALPOST_BLOB_KEYS cannot be used as it is written."""


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    material: bytes


@dataclass(frozen=True)
class MasterKeys:
    """The master keys: the current one wraps new data keys, every one of them unwraps."""

    current: MasterKey
    by_id: dict[str, MasterKey]

    @classmethod
    def parse(cls, text: str) -> MasterKeys | None:
        """`kid:base64key,kid2:base64key` (first is current) → keys; empty text → None (no encryption)."""
        entries = [entry.strip() for entry in text.split(",") if entry.strip()]
        if not entries:
            return None
        keys: list[MasterKey] = []
        for entry in entries:
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep or not key_id:
                raise KeyConfigurationError("DIGITALPOST_BLOB_KEYS: every entry is key-id:base64-key")
            if len(key_id.encode()) > 64 or not key_id.isascii():
                raise KeyConfigurationError(f"DIGITALPOST_BLOB_KEYS: key id {key_id!r} is not short ASCII")
            try:
                material = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise KeyConfigurationError(f"DIGITALPOST_BLOB_KEYS: key {key_id!r} is not base64") from exc
            if len(material) != 32:
                raise KeyConfigurationError(
                    f"DIGITALPOST_BLOB_KEYS: key {key_id!r} has {len(material)} bytes, AES-256 needs 32")
            if any(key.key_id == key_id for key in keys):
                raise KeyConfigurationError(f"DIGITALPOST_BLOB_KEYS: key id {key_id!r} appears twice")
            keys.append(MasterKey(key_id, material))
        return cls(current=keys[0], by_id={key.key_id: key for key in keys})

    @staticmethod
    def generate_material() -> str:
        return base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Header:
    segment_bytes: int
    address: bytes
    key_id: str
    wrapped_key: bytes

    @property
    def fixed(self) -> bytes:
        return _FIXED.pack(MAGIC, VERSION, self.segment_bytes, self.address)

    def encode(self) -> bytes:
        key_id = self.key_id.encode()
        return self.fixed + bytes([len(key_id)]) + key_id + bytes([len(self.wrapped_key)]) + self.wrapped_key

    def data_key(self, keys: MasterKeys) -> bytes:
        master = keys.by_id.get(self.key_id)
        if master is None:
            raise UnreadableBlob(f"blob sealed under master key {self.key_id!r}, which DIGITALPOST_BLOB_KEYS "
                                 "does not hold")
        try:
            return aes_key_unwrap(master.material, self.wrapped_key)
        except InvalidUnwrap as exc:
            raise UnreadableBlob(f"master key {self.key_id!r} does not unwrap this blob's data key: "
                                 "the configured key material is wrong") from exc

    def rewrapped(self, keys: MasterKeys) -> Header:
        data_key = self.data_key(keys)
        return Header(self.segment_bytes, self.address, keys.current.key_id,
                      aes_key_wrap(keys.current.material, data_key))


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise UnreadableBlob("sealed blob is cut short in its header")
    return data


def read_header(stream: BinaryIO) -> Header:
    magic, version, segment_bytes, address = _FIXED.unpack(_read_exactly(stream, _FIXED.size))
    if magic != MAGIC:
        raise UnreadableBlob("not a sealed blob")
    if version != VERSION:
        raise UnreadableBlob(f"sealed blob of format version {version}, this hub reads version {VERSION}")
    key_id = _read_exactly(stream, _read_exactly(stream, 1)[0]).decode("ascii", errors="replace")
    wrapped_key = _read_exactly(stream, _read_exactly(stream, 1)[0])
    return Header(segment_bytes, address, key_id, wrapped_key)


def _nonce_and_aad(header_fixed: bytes, index: int, final: bool) -> tuple[bytes, bytes]:
    flag = b"\x01" if final else b"\x00"
    return index.to_bytes(11, "big") + flag, header_fixed + index.to_bytes(8, "big") + flag


def _segments(chunks: Iterable[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Re-cut chunks into `size`-byte pieces, the last one (possibly empty) flagged final."""
    buffer = bytearray()
    held: bytes | None = None
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            if held is not None:
                yield held, False
            held = bytes(buffer[:size])
            del buffer[:size]
    if held is not None:
        if buffer:
            yield held, False
            yield bytes(buffer), True
        else:
            yield held, True
    else:
        yield bytes(buffer), True


def seal(chunks: Iterable[bytes], *, address: bytes, keys: MasterKeys,
         segment_bytes: int = SEGMENT_BYTES) -> Iterator[bytes]:
    """The sealed form of a plaintext given as chunks: the header, then one ciphertext per segment."""
    data_key = AESGCM.generate_key(bit_length=256)
    header = Header(segment_bytes, address, keys.current.key_id, aes_key_wrap(keys.current.material, data_key))
    yield header.encode()
    aead = AESGCM(data_key)
    for index, (piece, final) in enumerate(_segments(chunks, segment_bytes)):
        nonce, aad = _nonce_and_aad(header.fixed, index, final)
        yield aead.encrypt(nonce, piece, aad)


def open_sealed(stream: BinaryIO, *, address: bytes, keys: MasterKeys) -> Iterator[bytes]:
    """The plaintext of a sealed blob, one verified segment at a time (nothing unverified is yielded).

    The header, the data key and the first segment are checked before this returns, so a wrong key or an
    altered small blob fails here, before a caller has sent anything on.
    """
    header = read_header(stream)
    if header.address != address:
        raise UnreadableBlob("sealed blob was stored under another address")
    plaintext = _opened_segments(stream, header, AESGCM(header.data_key(keys)))
    first = next(plaintext)
    return itertools.chain([first], plaintext)


def _opened_segments(stream: BinaryIO, header: Header, aead: AESGCM) -> Iterator[bytes]:
    stored_segment = header.segment_bytes + TAG_BYTES
    current = stream.read(stored_segment)
    index = 0
    while True:
        following = stream.read(stored_segment)
        final = not following
        nonce, aad = _nonce_and_aad(header.fixed, index, final)
        try:
            yield aead.decrypt(nonce, current, aad)
        except InvalidTag as exc:
            raise UnreadableBlob(f"sealed blob fails authentication at segment {index} (altered, reordered "
                                 "or cut short)") from exc
        if final:
            return
        current, index = following, index + 1


def rewrap(stream: BinaryIO, keys: MasterKeys) -> Iterator[bytes] | None:
    """The same sealed blob with its data key wrapped by the current master key, or None if it already is.

    Only the header changes: the segments are passed through as they are stored.
    """
    header = read_header(stream)
    if header.key_id == keys.current.key_id:
        header.data_key(keys)  # still proves the key material is right
        return None
    new_header = header.rewrapped(keys)

    def chunks() -> Iterator[bytes]:
        yield new_header.encode()
        while chunk := stream.read(1024 * 1024):
            yield chunk

    return chunks()
