"""Where does a mass-send item's time go? Accepting an archive (`bulk.services.send_mass`) and delivering its
items (the DELIVER_BULK batch handler) in-process, no server.

    .venv/bin/python bench/profile_mass_send.py [-n 2000] [--top 30]

A fresh temporary DIGITALPOST_VAR (SQLite + blobs, demo mode): an archive of `n` small MeMos (as
bench/mass_send.py builds them) accepted from a file, then its DELIVER_BULK jobs run as the bulk worker runs
them; per item: wall ms, SQL statements, os.fsync calls and the time in named phases, then cProfile's top
functions of each part. Items are accepted in groups of DIGITALPOST_BULK_GROUP_ITEMS, one commit each (decision
0017); group commit is off here (one process, one thread), so the group's commit is its own.
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

import payload
from databases import bench_database, database_option
from mass_send import build_archive
from print_letters import setup_django
from profile_ingest import Counters, Phases, print_profile


def install_phases(phases: Phases) -> None:
    from django.db import connections

    from digitalpost.bulk import services as bulk
    from digitalpost.messages.services import group_ingest

    phases.wrap(bulk.archive, "iter_members", "archive.iter_members (setup)")
    phases.wrap(bulk, "accept_memos", "accept_memos (one group)")
    phases.wrap(group_ingest, "_parse_all", "  _parse_all (memo.parse, SHA-256)")
    phases.wrap(group_ingest, "find_accepted_digests", "  find_accepted_digests (idempotency SELECT)")
    phases.wrap(group_ingest, "GroupParties", "  GroupParties (recipient SELECTs)")
    phases.wrap(group_ingest, "check_submission", "  check_submission (rules, per item)")
    phases.wrap(group_ingest, "document_parts", "  document_parts (file spans, per item)")
    phases.wrap(group_ingest, "_plan", "  _plan (rows built and converted)")
    phases.wrap(group_ingest, "message_row", "    message_row (per item)")
    phases.wrap(group_ingest, "opening_events", "    opening_events (per item)")
    phases.wrap(group_ingest, "job_rows", "    job_rows")
    phases.wrap(group_ingest, "_write", "  _write (multi-row INSERTs)")
    phases.wrap(group_ingest, "commit_write", "  commit_write (incl. receipts, progress, commit)")
    phases.wrap(bulk, "insert_many", "  insert_many (item receipts)")
    phases.wrap(bulk.archive.reader, "_next_member", "archive member read (tar, LZMA; per item)")
    phases.wrap(bulk, "accept_memo", "accept_memo (one by one: a group's fallback)")
    phases.wrap(type(connections["default"]), "_commit", "sqlite COMMIT (WAL fsync)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=2000, help="items in the archive")
    parser.add_argument("--memo-bytes", type=int, default=2048)
    parser.add_argument("--top", type=int, default=30, help="functions to list (0: no cProfile run)")
    database_option(parser)
    args = parser.parse_args(argv)
    with bench_database(args.database, "profile_mass") as database_url:
        return _profile(args, database_url)


def _profile(args: argparse.Namespace, database_url: str | None) -> int:  # noqa: C901 - one linear script
    var = Path(tempfile.mkdtemp(prefix="digitalpost-profile-mass-"))
    try:
        setup_django(var, database_url)
        from django.conf import settings
        from django.db import connection

        from digitalpost.cli.demo import load_demo
        from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
        from digitalpost.outbox.models import WorkKind
        from digitalpost.outbox.worker import run_batch
        from digitalpost.systems.selectors import get_sender_system_by_token

        demo = load_demo(base_url="http://127.0.0.1:8000")
        system = get_sender_system_by_token(demo["sender_token"])
        assert system is not None
        template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                         cpr=demo["citizens"]["registered"], target_bytes=args.memo_bytes,
                                         unique_files=True)
        counters = Counters()
        os.fsync = counters.fsync
        phases = Phases()
        install_phases(phases)

        def accept(profiler: cProfile.Profile | None) -> tuple[float, float]:
            from digitalpost.bulk.services import send_mass

            path = var / "archive.tar.lzma"
            build_archive(path, template, args.n)
            with path.open("rb") as raw:
                start, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                mass = send_mass(system=system, read=raw.read)
                if profiler:
                    profiler.disable()
                elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert mass.accepted == args.n, (mass.accepted, mass.refused)
            return elapsed, cpu

        def deliver(profiler: cProfile.Profile | None) -> tuple[float, float]:
            start, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            while run_batch(WorkKind.DELIVER_BULK, BATCH_HANDLERS[WorkKind.DELIVER_BULK], HANDLERS, on_give_up=GIVE_UP,
                            limit=settings.DIGITALPOST_BULK_DELIVER_BATCH):
                pass
            if profiler:
                profiler.disable()
            return time.perf_counter() - start, time.process_time() - cpu

        n = args.n
        print(f"{n} items of {len(template)} bytes on {args.database}, load average {os.getloadavg()[0]:.2f}\n")
        for name, step in (("accept (send_mass)", accept), ("deliver (DELIVER_BULK batches)", deliver)):
            counters.reset()
            phases.reset()
            with connection.execute_wrapper(counters.execute):
                elapsed, cpu = step(None)
            sql = ", ".join(f"{k} {v / n:.1f}" for k, v in counters.sql.most_common())
            print(f"{name}: {elapsed / n * 1000:.2f} ms/item ({n / elapsed:.0f}/s), CPU {cpu / n * 1000:.2f} ms/item; "
                  "SQL per item "
                  f"{sum(counters.sql.values()) / n:.1f} ({sql}); os.fsync per item {counters.fsyncs / n:.2f}")
            for phase, seconds in phases.seconds.items():
                if phases.calls[phase]:
                    cpu_ms = phases.cpu_seconds[phase] / n * 1000
                    print(f"  {phase:52} {seconds / n * 1000:7.2f} ms wall {cpu_ms:7.3f} ms CPU"
                          f"  ({phases.calls[phase] / n:.2f}x)")
            print()
        if args.top:
            for name, step in (("accept", accept), ("deliver", deliver)):
                profiler = cProfile.Profile()
                step(profiler)
                print(f"cProfile: {name}")
                print_profile(profiler, n, args.top)
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
