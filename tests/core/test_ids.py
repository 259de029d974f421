"""Time-ordered ids: UUID version 7 as RFC 9562 lays it out, sorting by the millisecond they were made."""

from __future__ import annotations

import time
import uuid

from digitalpost.core.ids import time_ordered_uuid


def test_a_time_ordered_id_is_a_version_7_uuid_carrying_its_millisecond():
    before = time.time_ns() // 1_000_000
    made = time_ordered_uuid()
    after = time.time_ns() // 1_000_000

    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after


def test_ids_made_in_later_milliseconds_sort_later_and_ids_do_not_repeat():
    first = time_ordered_uuid()
    time.sleep(0.002)
    later = [time_ordered_uuid() for _ in range(1000)]

    assert all(first < other for other in later)
    assert str(first) < min(str(other) for other in later)  # as text too (SQLite stores a UUID as its hex)
    assert len(set(later)) == len(later)
