"""Where does an ingest request's time go? An in-process loop with Django's test Client, no server.

    .venv/bin/python bench/profile_ingest.py [-n 200] [--same-files] [--no-fsync] [--top 25]

Runs in a fresh temporary DIGITALPOST_VAR (SQLite + blobs, like `make bench`), then for GET /apis/v1/health
and POST /apis/v1/memos (the benchmark's ~10 KB MeMo with a PDF) prints the wall time per request, SQL
statements per request, os.fsync calls and the time spent in them, the time in SQLite commits, and the
top functions of a cProfile run of the POST loop.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--same-files", action="store_true", help="identical PDF/attachment bytes every time")
    parser.add_argument("--no-fsync", action="store_true", help="DIGITALPOST_BLOB_FSYNC=0 (blobs only)")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="digitalpost-profile-"))
    for name in ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING"):
        os.environ.pop(name, None)
    os.environ |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var),
                   "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings", "DIGITALPOST_LOG_LEVEL": "WARNING"}
    if args.no_fsync:
        os.environ["DIGITALPOST_BLOB_FSYNC"] = "0"
    try:
        return run(args)
    finally:
        shutil.rmtree(var, ignore_errors=True)


class Counters:
    """os.fsync calls and SQL statements (by first word) while `active`."""

    def __init__(self) -> None:
        self.fsyncs = 0
        self.fsync_s = 0.0
        self.sql: Counter[str] = Counter()
        self._fsync = os.fsync

    def fsync(self, fd: int) -> None:
        start = time.perf_counter()
        try:
            self._fsync(fd)
        finally:
            self.fsyncs += 1
            self.fsync_s += time.perf_counter() - start

    def execute(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sql[sql.split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    def reset(self) -> None:
        self.fsyncs, self.fsync_s, self.sql = 0, 0.0, Counter()


class Phases:
    """Wall time spent inside named functions of the ingest path (wrapped in place; nesting is not subtracted)."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.cpu_seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu_start = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.cpu_seconds[name] += time.thread_time() - cpu_start
                self.calls[name] += 1

        setattr(owner, attribute, timed)

    def reset(self) -> None:
        self.seconds, self.cpu_seconds, self.calls = Counter(), Counter(), Counter()


def install_phases(phases: Phases) -> None:
    from django.db import connections

    from digitalpost.api.sender import auth
    from digitalpost.api.sender import memos as memos_router
    from digitalpost.blobstore import LocalBlobStore
    from digitalpost.messages.services import ingest

    phases.wrap(auth, "get_sender_system_by_token", "auth: token lookup (SELECT)")
    phases.wrap(memos_router, "submit_rest_memo", "submit_rest_memo (all of the service)")
    phases.wrap(ingest, "_replay", "  _replay: idempotency SELECT")
    phases.wrap(ingest, "_parse", "  _parse: memo.parse (lxml + model)")
    phases.wrap(ingest.memo, "validate", "  memo.validate (service rules)")
    phases.wrap(ingest, "_check_parties", "  _check_parties (contact SELECT)")
    phases.wrap(LocalBlobStore, "put", "  blob put (write+fsync+rename)")
    phases.wrap(ingest, "_record", "  _record: transaction incl. commit")
    phases.wrap(type(connections["default"]), "_commit", "    sqlite COMMIT (WAL fsync)")
    phases.wrap(ingest, "append_event", "    append_event (INSERT)")
    phases.wrap(ingest, "add_job", "    add_job (INSERT)")
    phases.wrap(ingest, "commit_write", "  commit_write (transaction incl. commit)")
    phases.wrap(memos_router.ReceiptOut, "of", "ReceiptOut.of (receipt JSON)")


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from digitalpost.cli.demo import load_demo

    call_command("migrate", interactive=False, verbosity=0)
    demo = load_demo(base_url="http://testserver")
    template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                     cpr=demo["citizens"]["registered"], unique_files=not args.same_files)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {demo['sender_token']}"}
    counters = Counters()
    os.fsync = counters.fsync
    phases = Phases()

    def health() -> int:
        return client.get("/apis/v1/health").status_code

    def post() -> int:
        message_uuid = str(uuid.uuid4())
        return client.post(f"/apis/v1/memos?memo-message-uuid={message_uuid}",
                           data=payload.fill(template, message_uuid), content_type="application/xml",
                           **auth).status_code

    for fn, expect in ((health, 200), (post, 201)):  # warm up imports and caches
        for _ in range(5):
            assert fn() == expect
    print(f"{args.n} requests each, MeMo {len(payload.fill(template, str(uuid.uuid4())))} bytes, "
          f"unique files: {not args.same_files}, blob fsync: {not args.no_fsync}\n")
    with connection.execute_wrapper(counters.execute):
        if not time_loop("GET  /apis/v1/health", health, 200, args.n, counters):
            return 1
        install_phases(phases)
        if not time_loop("POST /apis/v1/memos", post, 201, args.n, counters):
            return 1
        print("\nPOST broken down (ms per request, wall and CPU of this thread; nested phases are part of their "
              "parent):")
        for phase, seconds in phases.seconds.items():
            cpu = phases.cpu_seconds[phase] / args.n * 1000
            calls = phases.calls[phase] / args.n
            print(f"  {phase:42} {seconds / args.n * 1000:7.2f} ms  CPU {cpu:6.2f} ms  ({calls:.0f}x)")
        if args.top:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                post()
            profiler.disable()
            print_profile(profiler, args.n, args.top)
    return 0


def time_loop(name: str, fn: Callable[[], int], expect: int, n: int, counters: Counters) -> bool:
    counters.reset()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(n):
        status = fn()
        if status != expect:
            print(f"{name}: unexpected {status}", file=sys.stderr)
            return False
    per = (time.perf_counter() - start) / n * 1000
    cpu = (time.process_time() - cpu_start) / n * 1000
    sql = ", ".join(f"{k} {v / n:.1f}" for k, v in counters.sql.most_common())
    # CPU time is the figure to compare on a shared machine: wall time includes waiting for the other processes.
    print(f"{name}: {per:.2f} ms/request (CPU {cpu:.2f} ms); SQL per request {sum(counters.sql.values()) / n:.1f} "
          f"({sql or 'none'}); os.fsync per request {counters.fsyncs / n:.1f} ({counters.fsync_s / n * 1000:.2f} ms)")
    return True


def print_phases(phases: Phases, n: int, *, width: int, digits: int) -> None:
    """Each phase that ran: wall and CPU ms per item, calls per item."""
    for phase, seconds in phases.seconds.items():
        if phases.calls[phase]:
            print(f"  {phase:{width}} {seconds / n * 1000:7.{digits}f} ms  "
                  f"CPU {phases.cpu_seconds[phase] / n * 1000:6.{digits}f} ms  ({phases.calls[phase] / n:.2f}x)")


def demo_sender() -> tuple[Callable[[int], None], bytes]:
    """In a migrated hub in this process: the demo loaded, and a function that accepts n benchmark MeMos (each
    with a fresh messageUUID and unique files) through POST /apis/v1/memos with the demo's sender token; with the
    MeMo template."""
    from django.test import Client

    from digitalpost.cli.demo import load_demo

    demo = load_demo(base_url="http://testserver")
    template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                     cpr=demo["citizens"]["registered"], unique_files=True)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {demo['sender_token']}"}

    def accept(n: int) -> None:
        for _ in range(n):
            message_uuid = str(uuid.uuid4())
            status = client.post(f"/apis/v1/memos?memo-message-uuid={message_uuid}",
                                 data=payload.fill(template, message_uuid), content_type="application/xml",
                                 **auth).status_code
            assert status == 201, status

    return accept, template


def print_profile(profiler: cProfile.Profile, n: int, top: int) -> None:
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\ncProfile of {n} POSTs: {total / n * 1000:.2f} ms/request (profiled; the profiler roughly doubles it)")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        text = out.getvalue()
        print(f"\n--- top {top} by {order} ---")
        print(text[text.find("   ncalls"):].rstrip())

if __name__ == "__main__":
    sys.exit(main())
