"""Where does a PRINT job's time go? The PRINT worker path in-process, no server.

    .venv/bin/python bench/profile_print.py [-n 200] [--top 25]

Runs in a fresh temporary DIGITALPOST_VAR (SQLite + blobs, like `bench/print_letters.py`): accepts `n` messages
to exempt citizens through `accept_memo` (not timed), runs the PRINT jobs as the worker takes them (in batches
with the PRINT batch handler) and prints per letter: wall ms, SQL statements, os.fsync calls and the time in
the named phases (MeMo parse, blob reads and writes, render, recording transaction, ...); then a second set
under cProfile with its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from print_letters import decision_pdf, queue_print_messages, setup_django
from profile_ingest import Counters, Phases, print_phases, print_profile


def install_phases(phases: Phases, *, in_process: bool) -> None:
    from django.db import connections

    from digitalpost.blobstore import ContentAddressedStore, LocalFolder
    from digitalpost.delivery.channels import print_handoff
    from digitalpost.outbox import services as outbox
    from digitalpost.printing import rendering
    from digitalpost.printing import services as printing
    from digitalpost.protocols import letters

    def wrap(owner: object, attribute: str, name: str) -> None:  # the phases this version of the code has
        if hasattr(owner, attribute):
            phases.wrap(owner, attribute, name)

    wrap(outbox, "claim_batch", "claim_batch (incl. commit)")
    wrap(printing, "prepare_print_letters", "prepare_print_letters (all but the recording)")
    wrap(printing, "_messages_to_print", "  load messages (SELECT)")
    wrap(printing, "_work_for", "  what to render (MeMo from the row)")
    if in_process:  # a render process needs make_letter itself (pickled by name), not a wrapper
        wrap(rendering, "make_letter", "  make_letter (parse + render)")
        wrap(rendering, "files_of", "    files_of (at the recorded spans)")
        wrap(letters.render, "_cover_page", "    cover page (pikepdf)")
        wrap(letters.render, "_cover", "    cover page (reportlab)")
        wrap(letters.render, "_merge", "    cover + merge + write (qpdf)")
    wrap(printing, "_store", "  store documents + PDF (unsynced)")
    wrap(ContentAddressedStore, "put", "    blob put")
    wrap(LocalFolder, "sync", "blob sync (one per batch)")
    wrap(printing, "record_print_letters", "recording transaction (incl. commit)")
    wrap(printing, "append_events", "  append_events")
    wrap(type(connections["default"]), "_commit", "sqlite COMMIT (WAL fsync)")
    wrap(print_handoff, "print_batch", "print_batch (whole handler)")


def run_jobs() -> int:
    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
    from digitalpost.outbox.models import WorkKind
    from digitalpost.outbox.worker import run_batch

    batches = 0
    while run_batch(WorkKind.PRINT, BATCH_HANDLERS[WorkKind.PRINT], HANDLERS, on_give_up=GIVE_UP):
        batches += 1
    return batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=200, help="letters per run (a timed run, then a profiled one)")
    parser.add_argument("--top", type=int, default=25, help="functions to list (0: no cProfile run)")
    parser.add_argument("--processes", type=int, default=1,
                        help="DIGITALPOST_PRINT_RENDER_PROCESSES (default 1: in-process, so every phase shows; "
                             "0: the worker's default, one per CPU)")
    args = parser.parse_args(argv)
    os.environ["DIGITALPOST_PRINT_RENDER_PROCESSES"] = str(args.processes)

    var = Path(tempfile.mkdtemp(prefix="digitalpost-profile-print-"))
    try:
        setup_django(var)
        from django.db import connection

        from digitalpost.printing.models import PrintLetter

        pdf = decision_pdf()
        counters = Counters()
        os.fsync = counters.fsync
        phases = Phases()
        install_phases(phases, in_process=args.processes == 1)
        queue_print_messages(5, pdf)
        run_jobs()  # warm-up: imports, fonts, the demo's own letter
        print(f"{args.n} letters, render processes {args.processes or 'one per CPU'}, "
              f"load average {os.getloadavg()[0]:.2f}\n")
        queue_print_messages(args.n, pdf, first=5)
        before = PrintLetter.objects.count()
        counters.reset()
        phases.reset()
        with connection.execute_wrapper(counters.execute):
            start, cpu_start = time.perf_counter(), time.process_time()
            batches = run_jobs()
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        made = PrintLetter.objects.count() - before
        if made != args.n:
            print(f"{made} letters made for {args.n} messages", file=sys.stderr)
            return 1
        n = args.n
        sql = ", ".join(f"{k} {v / n:.1f}" for k, v in counters.sql.most_common())
        print(f"PRINT in {batches} batches: {elapsed / n * 1000:.2f} ms/letter ({n / elapsed:.0f}/s), CPU of this "
              f"process {cpu / n * 1000:.2f} ms/letter; SQL per letter "
              f"{sum(counters.sql.values()) / n:.1f} ({sql}); os.fsync per letter {counters.fsyncs / n:.2f} "
              f"({counters.fsync_s / n * 1000:.2f} ms)")
        print_phases(phases, n, width=52, digits=2)
        if args.top:
            queue_print_messages(n, pdf, first=5 + n)
            profiler = cProfile.Profile()
            profiler.enable()
            run_jobs()
            profiler.disable()
            print_profile(profiler, n, args.top)
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
