"""The databases a benchmark part runs on: the embedded default (SQLite) and PostgreSQL, the scale backend.

Issue 17's bars are reported for both. A part measured on PostgreSQL gets a fresh database on a throwaway server
started here as the tests start theirs (`tests/helpers/pgserver.py`), but durable (fsync on, as SQLite's commits
are), and writes its figures beside SQLite's with the database in the name (`print.json`,
`print-postgresql.json`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the PostgreSQL launcher the tests use (tests/helpers/)

import psycopg  # noqa: E402

from helpers.pgserver import throwaway_postgres  # noqa: E402

DATABASES = {"sqlite": "SQLite + blob folder", "postgresql": "PostgreSQL + blob folder"}


def database_option(parser: argparse.ArgumentParser) -> None:
    """`--database sqlite|postgresql` for a part that runs on one database per process."""
    parser.add_argument("--database", choices=list(DATABASES), default="sqlite",
                        help="sqlite (the embedded default) or postgresql (a throwaway durable server)")


def figures_path(path: Path, database: str) -> Path:
    """Where a part writes one database's figures: `path` for SQLite, `<stem>-<database>.json` beside it."""
    return path if database == "sqlite" else path.with_name(f"{path.stem}-{database}.json")


def create_database(server_url: str, name: str) -> str:
    """A new database on the server of `server_url`; its URL."""
    base = server_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@contextlib.contextmanager
def bench_database(database: str, name: str = "bench") -> Iterator[str | None]:
    """The DATABASE_URL to run on: None for SQLite (the hub's own file in its var folder); for PostgreSQL a
    fresh database on a durable throwaway server, stopped and removed afterwards."""
    if database == "sqlite":
        yield None
        return
    with throwaway_postgres(durable=True) as server:
        yield create_database(server, name)
