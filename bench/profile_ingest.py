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
        for name, fn, expect in (("GET  /apis/v1/health", health, 200), ("POST /apis/v1/memos", post, 201)):
            counters.reset()
            start = time.perf_counter()
            for _ in range(args.n):
                status = fn()
                if status != expect:
                    print(f"{name}: unexpected {status}", file=sys.stderr)
                    return 1
            per = (time.perf_counter() - start) / args.n * 1000
            sql = ", ".join(f"{k} {v / args.n:.1f}" for k, v in counters.sql.most_common())
            print(f"{name}: {per:.2f} ms/request; SQL per request {sum(counters.sql.values()) / args.n:.1f} "
                  f"({sql or 'none'}); os.fsync per request {counters.fsyncs / args.n:.1f} "
                  f"({counters.fsync_s / args.n * 1000:.2f} ms)")

        profiler = cProfile.Profile()
        counters.reset()
        profiler.enable()
        for _ in range(args.n):
            post()
        profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\ncProfile of {args.n} POSTs: {total / args.n * 1000:.2f} ms/request (profiled)")
    commits = [(v[3], k) for k, v in stats.stats.items()  # type: ignore[attr-defined]
               if k[2] in ("<method 'commit' of 'sqlite3.Connection' objects>",)]
    for cumtime, _ in commits:
        print(f"  sqlite3 commit (WAL fsync, synchronous=FULL): {cumtime / args.n * 1000:.2f} ms/request")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        print(f"\n--- top {args.top} by {order} ---")
        print(text[text.find("   ncalls"):].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
