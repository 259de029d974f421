"""Where does a mailbox page's time go? In-process, Django's test Client against a database `bench/mailbox.py` seeded.

    .venv/bin/python bench/mailbox.py --keep ...            # prints the kept folder
    .venv/bin/python bench/profile_mailbox.py FOLDER/sqlite [-n 30] [--plans] [--top 40]
    .venv/bin/python bench/profile_mailbox.py FOLDER/postgresql ...   # starts the kept PostgreSQL cluster

For each page the bench measures (first page, folder page, page 50, search) prints the wall ms per request and,
inside it, the time in SQL (per statement, with its count), in template rendering and in the session's save, and
what is left (middleware, view code). `--plans` prints each statement's plan (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN ANALYZE on PostgreSQL); `--top N` a cProfile of the slowest page's loop.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/helpers/pgserver.py
from helpers.pgserver import throwaway_postgres


class Timers:
    """SQL time per statement shape, template rendering and session saves, while a request runs."""

    def __init__(self) -> None:
        self.sql: dict[str, list[float]] = defaultdict(list)
        self.params: dict[str, Any] = {}
        self.template = 0.0
        self.session = 0.0

    def execute(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = re.sub(r"\s+", " ", sql)
            self.sql[shape].append(time.perf_counter() - start)
            self.params.setdefault(shape, params)


def wrap(owner: Any, name: str, add: Callable[[float], None]) -> None:
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            add(time.perf_counter() - start)

    setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("folder", type=Path, help="one database's folder of those bench/mailbox.py --keep left")
    parser.add_argument("-n", type=int, default=30, help="requests per page")
    parser.add_argument("--plans", action="store_true", help="print each statement's plan")
    parser.add_argument("--top", type=int, default=0, help="cProfile: functions to list for --profile's page")
    parser.add_argument("--profile", default="first page", help="the page cProfile runs (default: first page)")
    parser.add_argument("--only", default="", help="measure only this page")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime, ...")
    args = parser.parse_args(argv)
    var = args.folder / "var"
    state = json.loads((var / "bench-state.json").read_text())
    for name in ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING"):
        os.environ.pop(name, None)
    os.environ |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var),
                   "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings", "DIGITALPOST_LOG_LEVEL": "WARNING"}
    with contextlib.ExitStack() as stack:
        if (args.folder / "postgres").exists():
            os.environ["DATABASE_URL"] = stack.enter_context(throwaway_postgres(keep=args.folder / "postgres"))
        return profile(args, state)


def profile(args: argparse.Namespace, state: dict[str, Any]) -> int:
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.template.backends.django import Template
    from django.test import Client

    timers = Timers()
    wrap(Template, "render", lambda s: setattr(timers, "template", timers.template + s))
    wrap(SessionStore, "save", lambda s: setattr(timers, "session", timers.session + s))
    client = Client()
    client.cookies[state["cookie"]] = state["session"]
    pages = {"first page": "/post/", "folder page": f"/post/folders/{state['folder']}/",
             "page 50": "/post/?page=50", "search": f"/post/search/?q={state['search']}"}
    print(f"{connection.vendor}, {args.n} requests per page, load average {os.getloadavg()[0]:.2f}")
    for name, path in pages.items():
        if args.only and name != args.only:
            continue
        for _ in range(3):
            assert client.get(path).status_code == 200, path
        timers.__init__()  # type: ignore[misc]
        started = time.perf_counter()
        with connection.execute_wrapper(timers.execute):
            for _ in range(args.n):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
        wall = (time.perf_counter() - started) * 1000 / args.n
        sql_ms = sum(sum(t) for t in timers.sql.values()) * 1000 / args.n
        statements = sum(len(t) for t in timers.sql.values()) / args.n
        template_ms, session_ms = timers.template * 1000 / args.n, timers.session * 1000 / args.n
        print(f"\n== {name} ({path}): {wall:.1f} ms per request; SQL {sql_ms:.1f} ms in {statements:.0f} statements "
              f"(session save included), templates {template_ms:.1f} ms (SQL inside them included), "
              f"session save {session_ms:.1f} ms, the rest {wall - sql_ms - template_ms:.1f} ms")
        for shape, times in sorted(timers.sql.items(), key=lambda kv: -sum(kv[1])):
            per = sum(times) * 1000 / args.n
            print(f"  {per:7.2f} ms  x{len(times) / args.n:<4.0f} {shape[:220]}")
            if args.plans and shape.startswith("SELECT"):
                explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
                with connection.cursor() as cursor:
                    cursor.execute(explain + shape, timers.params[shape])
                    for row in cursor.fetchall():
                        print("             " + " | ".join(str(v) for v in row))
    if args.top:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            client.get(pages[args.profile])
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(f"\ncProfile of {pages[args.profile]}:\n{out.getvalue()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
