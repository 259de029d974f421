"""A throwaway PostgreSQL server for the test run: initdb + pg_ctl on 127.0.0.1 and a free port.

initdb refuses to run as root, so as root the server runs as the `postgres` user. The cluster lives
in a temporary folder that is removed when the server stops.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"{name} not found: install the Debian package 'postgresql'")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def throwaway_postgres(keep: Path | None = None, *, durable: bool = False) -> Iterator[str]:
    """Start a server and yield its DATABASE_URL; stop it and remove its files afterwards.

    The tests' server skips fsync (a test never survives a power cut); `durable` keeps PostgreSQL's defaults,
    for benchmarks that compare it with SQLite, which syncs its commits.

    With `keep` (a folder, made when missing) the cluster lives there and stays after the server stops, and a
    cluster already in it is started again as it is: the benchmarks seed a large database once and measure it
    several times.
    """
    root = keep if keep is not None else Path(tempfile.mkdtemp(prefix="digitalpost-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    try:
        if not (data / "PG_VERSION").exists():
            subprocess.run(
                _as_owner([_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                           "--no-sync"]),
                check=True, stdout=subprocess.DEVNULL,
            )
        options = f"-h 127.0.0.1 -p {port} -k {sockets} -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_owner([_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"),
                       "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        try:
            yield f"postgres://postgres@127.0.0.1:{port}/digitalpost"
        finally:
            subprocess.run(
                _as_owner([_binary("pg_ctl"), "-D", str(data), "-m", "fast" if keep else "immediate", "-w", "stop"]),
                check=False, stdout=subprocess.DEVNULL,
            )
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
