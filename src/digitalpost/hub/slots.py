"""A few named slots shared by every process of the hub on this host: at most `limit` holders of one name at once.

Used to cap how many large MeMos one sender system has in the parser at once (the parse costs a multiple of the
MeMo in memory). Each slot is a file in `folder` held with flock(2): the kernel frees it when its holder's process
dies, so a killed worker never leaves a slot taken. Per host only: several nodes each allow `limit`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def slot(folder: Path, name: str, limit: int) -> Iterator[bool]:
    """Hold one of `limit` slots named `name` while inside; yields False (holding nothing) when all are taken."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for number in range(limit):
        fd = os.open(folder / f"{name}.{number}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    yield False
