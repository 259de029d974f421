"""Identifiers that sort by the time they were made: UUID version 7 (RFC 9562).

A random (version 4) primary key lands on a random page of every index that holds it, so once a table is larger
than a transaction's rows, each row of a many-row transaction dirties a page of its own in each such index, and the
database writes (and syncs) a whole page per row and index. Ids made in time order land on the last pages instead
(decision 0026). Python has `uuid.uuid7` from 3.14 on; this is the same layout.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION = 7 << 76  # bits 76–79
_VARIANT = 0b10 << 62  # bits 62–63: the RFC 4122/9562 variant
_CLEAR = ~((0xF << 76) | (0b11 << 62))


def time_ordered_uuid() -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix time in milliseconds, then 74 random bits (version and variant set)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=value & _CLEAR | _VERSION | _VARIANT)
