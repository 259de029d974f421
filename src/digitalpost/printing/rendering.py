"""Making letters on every core: the CPU work of a PRINT batch (MeMo parse, cover, merge) in render processes.

A letter costs a few milliseconds of pure CPU — reading the documents out of the MeMo, typesetting the cover,
merging the PDFs — and a PRINT worker is one Python process, so one core. `make_letters` hands a batch's letters
to a pool of `DIGITALPOST_PRINT_RENDER_PROCESSES` processes (default: the machine's CPUs, at most 4) while the
worker itself stores the blobs and records the letters. The pool is started on first use and kept for the
worker's life; its processes are fresh interpreters (spawned, never forked from a process holding database
connections and threads) with Django set up for the settings, they never touch the database, and they end when
their worker does (render_process). With a local blob store they also write each letter's blobs into the
worker's store, unsynced; the worker still puts (then finds them in place) and syncs them before it records the
letters. With 1, or a single letter, the work is done in-process. Not for: storing or recording letters
(services).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from digitalpost.blobstore import BlobStore, LocalBlobStore
from digitalpost.messages.models import Document
from digitalpost.messages.services.documents import DocumentFile, files_of
from digitalpost.printing.render_process import start_render_process
from digitalpost.protocols import letters


@dataclass(frozen=True)
class LetterWork:
    """What a render process needs for one letter: the letter, and the MeMo to read its documents out of."""

    letter: letters.Letter  # without documents when `memo` is given
    memo: bytes | None  # None: the documents were stored before and are in `letter`
    parts: list[dict[str, Any]] | None = None  # the message's document_parts: where in `memo` its files are
    store: LocalBlobStore | None = None  # the worker's unsynced local store: write the letter's blobs there


@dataclass(frozen=True)
class LetterMade:
    """What comes back from a render process: the PDF, and the files read out of the MeMo (the letter itself, whose
    documents are those files again, stays with the worker: sent back it would be pickled twice)."""

    files: list[DocumentFile] | None  # the MeMo's files, to store (None: stored before)
    rendered: letters.RenderedLetter


def make_letter(work: LetterWork) -> LetterMade:
    """Read the documents out of the MeMo (when given) and render the letter."""
    letter, files = work.letter, None
    if work.memo is not None:
        files = files_of(work.memo, work.parts)
        letter = dataclasses.replace(letter, documents=[
            letters.LetterDocument(file.filename, file.media_type, file.content)
            for file in files if file.role != Document.Role.TECHNICAL])
    made = LetterMade(files=files, rendered=letters.render_letter(letter))
    if work.store is not None:
        _write_blobs(work.store, work.memo, made)
    return made


def _write_blobs(store: LocalBlobStore, memo: bytes | None, made: LetterMade) -> None:
    """Write the blobs the worker will store for this letter (the MeMo, its files, the PDF) into its local
    store, unsynced, so that the worker's own puts find them in place and write nothing (services._store).

    The worker's one sync per batch (a syncfs of the blob folder's file system) makes them durable with the
    rest, before the commit that refers to them; a render process killed halfway leaves blobs nobody refers to,
    as a worker killed before its commit does.
    """
    if memo is not None:
        store.put(memo)
    for file in made.files or ():
        store.put(file.content)
    store.put(made.rendered.pdf)


def make_letters(works: list[LetterWork], *, store: BlobStore | None = None) -> Iterator[LetterMade]:
    """`make_letter` of each, in order; in the render processes when there are several letters and processes.

    An iterator: the caller stores the first letters while the processes still render the rest. With the
    caller's unsynced `store` on the local disk, the render processes write the letters' blobs into it too
    (what the caller stores after them is then in place): the worker, whose CPU sets the pace, does less.
    """
    processes = render_processes()
    if processes <= 1 or len(works) <= 1:
        return (make_letter(work) for work in works)
    if isinstance(store, LocalBlobStore):
        works = [dataclasses.replace(work, store=store) for work in works]
    return _in_pool(processes, works)


def _in_pool(processes: int, works: list[LetterWork]) -> Iterator[LetterMade]:
    pool = _pool(processes)
    try:
        yield from pool.map(make_letter, works, chunksize=max(1, len(works) // (4 * processes)))
    except BrokenProcessPool:
        # A render process died (killed, out of memory): the batch fails and is run one by one in-process; the
        # next batch starts a new pool.
        with _lock:
            if _pools.get((os.getpid(), processes)) is pool:
                del _pools[(os.getpid(), processes)]
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def start_render_processes(*, wait: bool = False) -> int:
    """Start the render processes now (a worker at its start), not with the first batch: each one sets up Django,
    which takes a second or more. With `wait`, return only once every one answers. How many there are."""
    processes = render_processes()
    if processes > 1:
        pool = _pool(processes)
        answers = [pool.submit(os.getpid) for _ in range(processes)]  # each submit starts a process, up to the max
        if wait:
            for answer in answers:
                answer.result()
    return processes


def render_processes() -> int:
    configured = settings.DIGITALPOST_PRINT_RENDER_PROCESSES
    return configured if configured > 0 else min(os.cpu_count() or 1, 4)


_lock = threading.Lock()
_pools: dict[tuple[int, int], ProcessPoolExecutor] = {}


def _pool(processes: int) -> ProcessPoolExecutor:
    key = (os.getpid(), processes)  # a forked child never uses its parent's pool
    with _lock:
        if key not in _pools:
            _pools[key] = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                              initializer=start_render_process, initargs=(os.getpid(),))
        return _pools[key]
