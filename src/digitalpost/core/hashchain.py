"""Hash chains for append-only logs: each entry's hash covers its content and the hash before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64


def canonical(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link_hash(prev: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev.encode() + b"\n" + canonical(body)).hexdigest()


def first_break(entries: Iterable[tuple[int, Mapping[str, Any], str, str]]) -> int | None:
    """The seq of the first entry (seq, body, prev_hash, hash) that is missing, out of order or altered."""
    prev = GENESIS
    expected = 1
    for seq, body, prev_hash, entry_hash in entries:
        if seq != expected or prev_hash != prev or entry_hash != link_hash(prev, body):
            return expected if seq != expected else seq
        prev = entry_hash
        expected += 1
    return None
