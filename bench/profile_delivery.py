"""Where does a delivery's time go? The DELIVER worker path in-process, no server.

    .venv/bin/python bench/profile_delivery.py [-n 200] [--batch 25] [--top 25] [--postgres] [--s3]

Runs in a fresh temporary DIGITALPOST_VAR (SQLite + blobs, like `make bench`; with `--postgres` on a throwaway
PostgreSQL server and with `--s3` on a SeaweedFS bucket, both started as the tests start them): accepts `n`
benchmark MeMos (~10 KB with a PDF, through POST /apis/v1/memos with Django's test Client, not timed), then
delivers them the way the DELIVER worker does — one job at a time (`run_once`) and, for a second set, in batches
(`run_batch` with the DELIVER batch handler) — and prints per delivery: wall ms, SQL statements, os.fsync
calls, the time in the named phases (wall and CPU), and the top functions of a cProfile run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import payload
from profile_ingest import Counters, Phases, demo_sender, print_profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=200, help="deliveries per way (one by one, batched)")
    parser.add_argument("--batch", type=int, default=25, help="jobs per batch claim")
    parser.add_argument("--top", type=int, default=25, help="functions to list (0: no cProfile run)")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL server, not SQLite")
    parser.add_argument("--s3", action="store_true", help="blobs in a SeaweedFS S3 bucket, not a local folder")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="digitalpost-profile-"))
    for name in ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING"):
        os.environ.pop(name, None)
    os.environ |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var),
                   "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings", "DIGITALPOST_LOG_LEVEL": "WARNING"}
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tests' server launchers
    try:
        with contextlib.ExitStack() as servers:
            if args.postgres:
                import psycopg

                from helpers.pgserver import throwaway_postgres

                url = servers.enter_context(throwaway_postgres())
                base, _, name = url.rpartition("/")
                with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                os.environ["DATABASE_URL"] = url
            if args.s3:
                from helpers.seaweedfs import running_s3_server

                s3 = servers.enter_context(running_s3_server(var / "s3"))
                os.environ |= s3.environment(s3.new_prefix())
            return run(args)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def install_phases(phases: Phases) -> None:
    from django.db import connections

    from digitalpost.blobstore import LocalFolder, WriteBehind
    from digitalpost.blobstore.s3 import S3Objects
    from digitalpost.delivery.channels import web_mailbox
    from digitalpost.messages.services import documents, events, lifecycle
    from digitalpost.outbox import services as outbox

    phases.wrap(outbox, "claim_next", "claim_next (incl. commit)")
    phases.wrap(outbox, "claim_batch", "claim_batch (incl. commit)")
    phases.wrap(web_mailbox, "prepare_documents", "prepare_documents (parse + blob writes)")
    phases.wrap(documents.memo, "parse", "  memo.parse")
    phases.wrap(LocalFolder, "write", "  blob write (temp file + rename)")
    phases.wrap(LocalFolder, "sync", "blob sync (one per batch)")
    phases.wrap(S3Objects, "write", "  blob write (S3 PUT)")
    phases.wrap(S3Objects, "exists", "  blob exists (S3 HEAD)")
    phases.wrap(WriteBehind, "sync", "blob writes and sync of a batch (WriteBehind.sync)")
    phases.wrap(web_mailbox, "_deliver", "delivery transaction (one by one, incl. commit)")
    if hasattr(web_mailbox, "_record_deliveries"):
        phases.wrap(web_mailbox, "_record_deliveries", "delivery transaction (batch, incl. commit)")
    phases.wrap(lifecycle, "record_delivered", "  record_delivered")
    phases.wrap(lifecycle, "append_event", "    append_event")
    phases.wrap(events, "queue_event_pushes", "      queue_event_pushes")
    phases.wrap(lifecycle, "queue_notices", "    queue_notices")
    phases.wrap(type(connections["default"]), "_commit", f"  {connections['default'].vendor} COMMIT")


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
    from digitalpost.outbox.models import WorkKind
    from digitalpost.outbox.worker import run_batch, run_once

    call_command("migrate", interactive=False, verbosity=0)
    accept, template = demo_sender()

    def one_by_one() -> bool:
        return run_once(WorkKind.DELIVER, HANDLERS, on_give_up=GIVE_UP)

    batch_handler = BATCH_HANDLERS.get(WorkKind.DELIVER)

    def batched() -> bool:
        assert batch_handler is not None
        return run_batch(WorkKind.DELIVER, batch_handler, HANDLERS, on_give_up=GIVE_UP, limit=args.batch)

    counters = Counters()
    os.fsync = counters.fsync
    phases = Phases()
    install_phases(phases)
    accept(5)
    while one_by_one():  # warm up imports and caches
        pass
    ways: list[tuple[str, Callable[[], bool]]] = [("one by one (run_once)", one_by_one)]
    if batch_handler is not None:
        ways.append((f"batched (run_batch, up to {args.batch})", batched))
    print(f"{args.n} deliveries per way, MeMo {len(payload.fill(template, str(uuid.uuid4())))} bytes\n")
    with connection.execute_wrapper(counters.execute):
        for name, step in ways:
            accept(args.n)
            if not measure_way(name, step, args.n, counters, phases):
                return 1
        if args.top:
            name, step = ways[-1]
            accept(args.n)
            profiler = cProfile.Profile()
            profiler.enable()
            while step():
                pass
            profiler.disable()
            print(f"cProfile: DELIVER {name}")
            print_profile(profiler, args.n, args.top)
    return 0


def measure_way(name: str, step: Callable[[], bool], n: int, counters: Counters, phases: Phases) -> bool:
    """Deliver every due DELIVER job with `step`; print ms, SQL, fsyncs and phases per delivery."""
    from digitalpost.outbox.models import Job, WorkKind

    counters.reset()
    phases.reset()
    start, cpu_start = time.perf_counter(), time.process_time()
    while step():
        pass
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # this process only: on PostgreSQL the server's own work is not in it
    left = Job.objects.filter(kind=WorkKind.DELIVER).exclude(state=Job.State.DONE)
    if left.exists():
        errors = set(left.values_list("last_error", flat=True))
        print(f"{name}: {left.count()} messages not delivered: {errors}", file=sys.stderr)
        return False
    sql = ", ".join(f"{k} {v / n:.1f}" for k, v in counters.sql.most_common())
    print(f"DELIVER {name}: {elapsed / n * 1000:.2f} ms/delivery (CPU {cpu / n * 1000:.2f} ms), {n / elapsed:.0f}/s; "
          f"SQL per delivery "
          f"{sum(counters.sql.values()) / n:.1f} ({sql}); os.fsync per delivery {counters.fsyncs / n:.2f} "
          f"({counters.fsync_s / n * 1000:.2f} ms)")
    for phase, seconds in phases.seconds.items():
        if phases.calls[phase]:
            print(f"  {phase:52} {seconds / n * 1000:7.2f} ms  CPU {phases.cpu_seconds[phase] / n * 1000:6.2f} ms"
                  f"  ({phases.calls[phase] / n:.2f}x)")
    print()
    return True


if __name__ == "__main__":
    sys.exit(main())
