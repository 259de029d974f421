"""`make bench`: ingest throughput against a static JSON answer, and accept → mailbox latency.

One run on the embedded default (SQLite + blob folder in a fresh temporary DIGITALPOST_VAR), then the same on
PostgreSQL (a throwaway server started here, fsync on, blobs in the folder; `--databases` chooses):

1. migrate + demo load, then `digitalpost run` exactly as `make run` starts it (granian + delivery workers);
2. wrk against GET /apis/v1/health (the static JSON baseline), then against POST /apis/v1/memos with a
   ~10 KB MeMo carrying a small real PDF, a fresh UUIDv4 per request (bench/wrk.lua, bench/payload.py);
   every response's status is checked (200 / 201) and the unexpected ones are counted and reported;
   two rounds by default (health, ingest, health, ingest), as the machine may be shared;
3. after each ingest load, how long the delivery backlog it left takes to drain;
4. a paced stream below saturation (default 300 messages at 30/s on a fixed schedule, keep-alive clients):
   accepted_at → delivered_at per message, read from the hub's database;
5. a table on stdout and the figures as JSON in var/bench/ingest.json (ingest-postgresql.json);
6. then, with the hub stopped, each in its own process: bench/securemail.py (secure-mail replies in and
   forwards out, against `openssl cms`; var/bench/securemail.json), bench/print_letters.py (letters rendered per
   second; var/bench/print.json), bench/mass_send.py (a mass send of 10 000 and 100 000 items) and
   bench/storage.py (encryption at rest and the S3 backend per 10 KB and 1 MB document; var/bench/storage.json),
   bench/mailbox.py (the mailbox's pages and search with 1,000,000 messages on SQLite and PostgreSQL, PASS/FAIL
   per database; var/bench/mailbox.json) and
   bench/nodes.py (ingest and sustained end-to-end throughput on PostgreSQL + S3 with 1 and 2 nodes;
   var/bench/nodes.json); `--skip ingest,securemail,print,mass,storage,mailbox,nodes` leaves parts out.

The bars (brief §6): ingest ≥ 1/3 of the static rate; accept → mailbox p99 < 1 s below saturation.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

import payload
from databases import DATABASES, bench_database, figures_path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
INGEST_BAR = 1 / 3
SUSTAINED_BAR = 0.9  # issue 17 bar 1: the sustained end-to-end rate over the ingest rate
LATENCY_BAR_MS = 1000.0
# Variables that would point the hub away from the embedded default or into test mode.
SCRUBBED_ENV = ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING",
                "PYTEST_VERSION", "DJANGO_SETTINGS_MODULE", "DIGITALPOST_DEBUG", "HOST", "PORT")


class BenchError(RuntimeError):
    """A failure that ends the run with a message saying what to do."""


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def publish(figures: dict[str, Any], report: Callable[[dict[str, Any]], str], out: Path, *, started: float,
            load_before: float) -> None:
    """The end of every part: the load average and the run's length added to its figures, its table on stdout,
    the figures as JSON in `out`."""
    figures["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    figures["total_s"] = time.monotonic() - started
    print()
    print(report(figures))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {out}  (whole run {figures['total_s']:.0f} s)")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(int(-(-p * len(ordered) // 100)), 1)
    return ordered[min(rank, len(ordered)) - 1]


# ------------------------------------------------------------------------------------------ the hub


@dataclass
class Hub:
    var: Path
    port: int
    web_workers: int
    delivery_workers: int
    env: dict[str, str] = field(default_factory=dict)
    database: str = "sqlite"
    database_url: str | None = None  # PostgreSQL's, when `database` is "postgresql"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.var / "hub.log"

    def open_db(self) -> Db:
        return Db(url=self.database_url) if self.database_url else Db(path=self.var / "digitalpost.sqlite3")

    def cpu_seconds(self) -> dict[str, float]:
        """`hub_cpu_seconds` of the hub's processes, and of its PostgreSQL server (which does part of the hub's
        work in its own processes) when it has one."""
        seconds = hub_cpu_seconds(self.proc.pid if self.proc is not None else os.getpid())
        if self.database_url and (server := postgres_server_pid(self.database_url)) is not None:
            seconds["postgresql server"] = sum(hub_cpu_seconds(server).values())
        return seconds

    def digitalpost(self, *args: str, timeout: float = 180) -> str:
        """Run `digitalpost <args>` like the Makefile does; its output, or BenchError with it."""
        exe = VENV_BIN / "digitalpost"
        try:
            done = subprocess.run([str(exe), *args], env=self.env, cwd=REPO, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"`digitalpost {' '.join(args)}` did not finish within {timeout:.0f} s") from exc
        if done.returncode != 0:
            raise BenchError(f"`digitalpost {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        cmd = [str(VENV_BIN / "digitalpost"), "run", "--host", "127.0.0.1", "--port", str(self.port),
               "--web-workers", str(self.web_workers), "--delivery-workers", str(self.delivery_workers)]
        with self.log_path.open("wb") as out:
            # Own session: Ctrl-C reaches only us, and we stop the hub in order (SIGTERM to `digitalpost run`).
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no hub log)"

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"the hub exited ({self.proc.returncode}) while starting:\n{self.log_tail()}")
            try:
                status, _ = request("GET", "127.0.0.1", self.port, "/apis/v1/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"GET /apis/v1/health did not answer 200 within {timeout:.0f} s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError(f"the hub is no longer running:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to `digitalpost run` (it stops the web server and the workers); SIGKILL its group if it hangs."""
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("the hub did not stop within 20 s; killing its process group")
        self._reap_group(proc.pid)

    @staticmethod
    def _reap_group(pgid: int) -> None:
        """Make sure nothing of the process group we started is left (web server, delivery workers)."""
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            os.killpg(pgid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(pgid, 0)
                except (ProcessLookupError, PermissionError):
                    return
                time.sleep(0.1)


TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _process_role(cmdline: list[str]) -> str:
    """A hub process by what it does (the argv `digitalpost run` started it with)."""
    text = " ".join(cmdline)
    if "granian" in text:
        return "web"
    if " worker" in text:
        if "DELIVER_BULK" in text:
            return "mass-send worker"
        return "notices worker" if "NOTIFY" in text else "delivery worker"
    if " run " in text:
        return "digitalpost run"
    if "mailserver" in text:
        return "demo mail server"  # the demo's relay: the notice mails end here
    words = [w for w in cmdline[1:3] if not w.startswith("-")]
    return " ".join(Path(w).name for w in words) or Path(cmdline[0]).name if cmdline else "?"


def hub_cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of `root` and every process below it, summed per role (/proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in family]
        family.update(children)
        frontier += children
    seconds: dict[str, float] = {}
    for pid in family:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        role = _process_role([part for part in cmdline if part])
        seconds[role] = seconds.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND
    return seconds


def postgres_server_pid(database_url: str) -> int | None:
    """The PostgreSQL server (postmaster) listening on the URL's port: the parent of its backends."""
    port = str(urllib.parse.urlsplit(database_url).port)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if Path(argv[0]).name == "postgres" and "-p" in argv and argv[argv.index("-p") + 1:][:1] == [port]:
                return int(entry.name)
    return None


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU ms per request of each role between two `hub_cpu_seconds`, and their sum as "whole hub"."""
    if not requests:
        return {}
    spent = {role: (after[role] - before.get(role, 0.0)) * 1000 / requests for role in after}
    return {role: ms for role, ms in sorted(spent.items())} | {"whole hub": sum(spent.values())}


def request(method: str, host: str, port: int, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ------------------------------------------------------------------------------------------ the database


class Db:
    """Read-only peeks into the hub's database while it runs: its SQLite file (WAL mode: readers never block the
    hub's writers) or its PostgreSQL database (`url`).

    A *mark* is where the messages stood at a moment: later messages are after it. In SQLite that is the rowid
    (insertion order); PostgreSQL has none, so there it is the latest `accepted_at` (the benchmark takes a mark
    only once the hub is quiet, so no message accepted before it is still being committed).
    """

    def __init__(self, path: Path | None = None, url: str | None = None) -> None:
        self.conn: Any
        if url is not None:
            self.conn = psycopg.connect(url, autocommit=True)
            self.placeholder, self.order = "%s", "accepted_at"
        else:
            self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None)
            self.placeholder, self.order = "?", "rowid"

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        """`sql` written with `?` placeholders, run on either database."""
        return self.conn.execute(sql.replace("?", self.placeholder), params)

    def close(self) -> None:
        self.conn.close()

    def mark(self) -> Any:
        """The mark of the newest message (None when there is none)."""
        return self.execute(f"SELECT max({self.order}) FROM messaging_message").fetchone()[0]  # noqa: S608

    def _after(self, mark: Any) -> tuple[str, tuple[Any, ...]]:
        return ("1 = 1", ()) if mark is None else (f"{self.order} > ?", (mark,))

    def states(self, after: Any = None) -> dict[str, int]:
        """Digital messages after the mark by state (a letter stays ACCEPTED until the print provider hands it
        to the post)."""
        where, params = self._after(after)
        rows = self.execute(
            f"SELECT state, count(*) FROM messaging_message WHERE {where} AND channel = 'DIGITAL' "  # noqa: S608
            "GROUP BY state", params,
        ).fetchall()
        return {state: int(count) for state, count in rows}

    def times(self, first: Any, last: Any) -> list[tuple[datetime, datetime | None]]:
        """(accepted_at, delivered_at) of the messages after mark `first` up to mark `last`."""
        where, params = self._after(first)
        rows = self.execute(
            f"SELECT accepted_at, delivered_at FROM messaging_message WHERE {where} "  # noqa: S608
            f"AND {self.order} <= ?", (*params, last)
        ).fetchall()
        return [(_ts(a), _ts(d) if d else None) for a, d in rows]

    def times_of(self, message_uuids: list[str]) -> list[tuple[datetime, datetime | None]]:
        """(accepted_at, delivered_at) of the given messageUUIDs (Django keeps UUIDs as 32 hex digits in SQLite,
        as `uuid` in PostgreSQL)."""
        result: list[tuple[datetime, datetime | None]] = []
        for i in range(0, len(message_uuids), 500):
            chunk = [uuid.UUID(u).hex if self.order == "rowid" else uuid.UUID(u) for u in message_uuids[i:i + 500]]
            rows = self.execute(
                f"SELECT accepted_at, delivered_at FROM messaging_message WHERE message_uuid IN "  # noqa: S608
                f"({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            result += [(_ts(a), _ts(d) if d else None) for a, d in rows]
        return result

    def now(self) -> Any:
        """Now as the database compares it with a DateTimeField: naive UTC text in SQLite, aware in PostgreSQL."""
        now = datetime.now(UTC)
        return now.replace(tzinfo=None).isoformat(sep=" ") if self.order == "rowid" else now

    def settle(self, quiet: float = 0.5, timeout: float = 15) -> Any:
        """Wait until no new message has arrived for `quiet` seconds (requests still in the hub when the
        client stopped); the mark then."""
        last, since, deadline = self.mark(), time.monotonic(), time.monotonic() + timeout
        while time.monotonic() - since < quiet and time.monotonic() < deadline:
            time.sleep(0.05)
            if (now := self.mark()) != last:
                last, since = now, time.monotonic()
        return last

    def wait_no_work(self, kinds: tuple[str, ...], timeout: float) -> bool:
        """Wait until no job of `kinds` is due (the notices of the deliveries went out); False on timeout."""
        marks = ",".join("?" * len(kinds))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.execute(f"SELECT count(*) FROM outbox_job WHERE state = 'PENDING' "  # noqa: S608
                               f"AND kind IN ({marks}) AND run_after <= ?", (*kinds, self.now())).fetchone()
            if int(row[0]) == 0:
                return True
            time.sleep(0.05)
        return False

    def wait_drained(self, after: Any, timeout: float) -> float | None:
        """Seconds until no message after the mark is still ACCEPTED (None on timeout)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.states(after).get("ACCEPTED", 0) == 0:
                return time.monotonic() - start
            time.sleep(0.05)
        return None


def _ts(value: str | datetime) -> datetime:
    """Django's datetimes: naive text in UTC from SQLite, aware datetimes from PostgreSQL."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value).replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------------ wrk


def run_wrk(args: argparse.Namespace, url: str, *, duration: float, expect: int, work: Path,
            name: str, template: Path | None = None, token: str = "") -> dict[str, Any]:
    out = work / f"wrk-{name}.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_OUT": str(out), "BENCH_EXPECT": str(expect)}
    if template is not None:
        env |= {"BENCH_TEMPLATE": str(template), "BENCH_TOKEN": token}
    cmd = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--timeout", "10s",
           "--latency", "-s", str(WRK_SCRIPT), url]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk ({name}) did not finish within {duration + 60:.0f} s") from exc
    if done.returncode != 0 or not out.exists():
        raise BenchError(f"wrk ({name}) failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(out.read_text())
    seconds = result["duration_us"] / 1e6
    result["seconds"] = seconds
    result["rps"] = result["requests"] / seconds if seconds else 0.0
    result["p50_ms"] = result["latency_us"]["percentiles"]["50"] / 1000
    result["p99_ms"] = result["latency_us"]["percentiles"]["99"] / 1000
    socket_errors = sum(result["socket_errors"].values())
    result["failed"] = result["unexpected_status"] + socket_errors
    result["wrk_output"] = done.stdout
    return result


def describe_failures(name: str, result: dict[str, Any]) -> str | None:
    if not result["failed"]:
        return None
    return (f"{name}: {result['unexpected_status']} responses were not {result['expected_status']} "
            f"(statuses {result['statuses']}), socket errors {result['socket_errors']}; "
            f"first unexpected: {result['sample_error'][:300]!r}")


# ------------------------------------------------------------------------------------------ paced stream


def paced_stream(port: int, token: str, template: bytes, *, count: int, rate: float,
                 senders: int = 4) -> dict[str, Any]:
    # Never fewer clients than the rate needs at up to 250 ms an answer (a hub that both accepts and delivers on
    # the same cores answers that slowly near its limit): the schedule, not the clients, sets the pace.
    senders = max(senders, min(int(rate // 4) + 1, 64))
    """POST `count` messages on a fixed schedule of `rate`/s (open loop: message i is due at i/rate).

    A few keep-alive clients share the schedule, so one slow answer does not push the next message
    back. Client-side latency and failures; the hub's own accept → deliver times are read from its database.
    """
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    latencies: list[float] = []
    failures: dict[str, int] = {}
    samples: list[str] = []
    accepted: list[str] = []
    lag: list[float] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.1

    def sender(first: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for i in range(first, count, senders):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                message_uuid = str(uuid.uuid4())
                t0 = time.perf_counter()
                try:
                    conn.request("POST", f"/apis/v1/memos?memo-message-uuid={message_uuid}",
                                 body=payload.fill(template, message_uuid), headers=headers)
                    response = conn.getresponse()
                    status, body = str(response.status), response.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()  # reconnects on the next request
                    status, body = type(exc).__name__, str(exc).encode()
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
                    lag.append(max(-delay, 0.0) * 1000)
                    if status == "201":
                        accepted.append(message_uuid)
                    else:
                        failures[status] = failures.get(status, 0) + 1
                        samples.append(f"{status} {body[:300]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, args=(k,), daemon=True) for k in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=count / rate + 120)
    elapsed = time.monotonic() - start
    return {"sent": len(latencies), "failed": sum(failures.values()), "failures": failures,
            "sample_error": samples[0] if samples else "", "seconds": elapsed,
            "rate": len(latencies) / elapsed if elapsed else 0.0, "senders": senders, "accepted_uuids": accepted,
            "send_lag_p99_ms": percentile(lag, 99) if lag else None,
            "post_p50_ms": percentile(latencies, 50) if latencies else None,
            "post_p99_ms": percentile(latencies, 99) if latencies else None}


def delivery_latency(times: list[tuple[datetime, datetime | None]]) -> dict[str, Any]:
    waits = [(d - a).total_seconds() * 1000 for a, d in times if d is not None]
    result: dict[str, Any] = {"messages": len(times), "delivered": len(waits)}
    if waits:
        result |= {"p50_ms": percentile(waits, 50), "p90_ms": percentile(waits, 90),
                   "p99_ms": percentile(waits, 99), "max_ms": max(waits)}
    return result


# ------------------------------------------------------------------------------------------ the run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--web-workers", type=int, default=2, help="web server processes (default 2)")
    parser.add_argument("--delivery-workers", type=int, default=1, help="delivery worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk measurement (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured wrk load per endpoint")
    parser.add_argument("--rounds", type=int, default=2, help="health+ingest rounds, side by side (default 2)")
    parser.add_argument("--paced-count", type=int, default=300, help="messages in the paced stream")
    parser.add_argument("--paced-rate", type=float, default=30, help="messages/s in the paced stream")
    parser.add_argument("--curve-seconds", type=float, default=60,
                        help="seconds per step of the sustained end-to-end curve, as bar 1 defines it (0 skips it)")
    parser.add_argument("--curve-steps", default="0.5,0.7,0.8,0.9,1.0",
                        help="the curve's offered rates as fractions of the measured ingest rate")
    parser.add_argument("--size", type=int, default=10_240, help="MeMo size in bytes (default 10240)")
    parser.add_argument("--same-files", action="store_true",
                        help="send identical PDF/attachment bytes every time (the blob store then stores them once)")
    parser.add_argument("--drain-timeout", type=float, default=120, help="max seconds to wait for a backlog")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk", help="the wrk binary")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "ingest.json",
                        help="figures out (SQLite's; PostgreSQL's in ingest-postgresql.json beside it)")
    parser.add_argument("--databases", type=_databases, default="sqlite,postgresql",
                        help="databases the ingest, secure-mail and print parts run on, one after the other "
                             "(default sqlite,postgresql)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var folder (hub.log, sqlite)")
    parser.add_argument("--skip-securemail", action="store_true",
                        help="do not run bench/securemail.py after the ingest benchmark")
    parser.add_argument("--skip", default="", help=f"comma-separated parts to leave out: ingest, {', '.join(AFTER)}")
    return parser.parse_args(argv)


def _databases(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    if not chosen or any(name not in DATABASES for name in chosen):
        raise argparse.ArgumentTypeError(f"choose from {', '.join(DATABASES)}")
    return chosen


def preflight(args: argparse.Namespace) -> None:
    if not (Path(args.wrk).is_file() and os.access(args.wrk, os.X_OK)):
        raise BenchError("wrk is not installed: `make bench` installs it (scripts/setup-bench.sh; Debian package "
                         "wrk), or pass --wrk /path/to/wrk")
    if not (VENV_BIN / "digitalpost").exists():
        raise BenchError(f"{VENV_BIN / 'digitalpost'} is missing: run `make setup` and use .venv/bin/python")


@dataclass
class Session:
    """What every measurement needs: options, the running hub, its database, the MeMo template, the token."""

    args: argparse.Namespace
    hub: Hub
    db: Db
    work: Path
    token: str
    template: bytes
    template_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.hub.port}"

    def wrk(self, name: str, *, duration: float, post: bool) -> dict[str, Any]:
        self.hub.check_alive()
        if post:
            return run_wrk(self.args, f"{self.base}/apis/v1/memos", duration=duration, expect=201, work=self.work,
                           name=name, template=self.template_path, token=self.token)
        return run_wrk(self.args, f"{self.base}/apis/v1/health", duration=duration, expect=200, work=self.work,
                       name=name)

    def probe(self) -> None:
        """One message by hand first: a clear error now beats a benchmark of refusals."""
        message_uuid = str(uuid.uuid4())
        status, body = request("POST", "127.0.0.1", self.hub.port, f"/apis/v1/memos?memo-message-uuid={message_uuid}",
                               body=payload.fill(self.template, message_uuid),
                               headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/xml"})
        if status != 201:
            raise BenchError(f"the benchmark MeMo was not accepted: {status} {body[:500]!r}")

    def warm_up(self) -> None:
        if self.args.warmup <= 0:
            return
        for post in (False, True):
            name = "warmup-memos" if post else "warmup-health"
            if problem := describe_failures(name, self.wrk(name, duration=self.args.warmup, post=post)):
                raise BenchError(problem)
        if self.db.wait_drained(None, self.args.drain_timeout) is None:
            raise BenchError(f"the warm-up backlog did not drain within {self.args.drain_timeout:.0f} s")

    def load_round(self, number: int) -> dict[str, Any]:
        """Static JSON, then ingest, side by side; then the time the delivery backlog takes to drain."""
        a = self.args
        log(f"round {number}: GET /apis/v1/health, wrk -t{a.threads} -c{a.connections} -d{a.duration:g}s")
        cpu_before = self.hub.cpu_seconds()
        static = self.wrk(f"health-{number}", duration=a.duration, post=False)
        static_cpu = cpu_per_request(cpu_before, self.hub.cpu_seconds(), static["requests"])
        log(f"  {static['rps']:.0f} req/s, p50 {static['p50_ms']:.1f} ms, p99 {static['p99_ms']:.1f} ms, "
            f"{static['failed']} failed")
        log(f"round {number}: POST /apis/v1/memos, wrk -t{a.threads} -c{a.connections} -d{a.duration:g}s")
        before = self.db.mark()
        cpu_before = self.hub.cpu_seconds()
        ingest = self.wrk(f"memos-{number}", duration=a.duration, post=True)
        load_end = time.monotonic()
        backlog = self.db.states(before).get("ACCEPTED", 0)
        after = self.db.settle()  # the requests wrk left in flight still land
        log(f"  {ingest['rps']:.0f} req/s, p50 {ingest['p50_ms']:.0f} ms, p99 {ingest['p99_ms']:.0f} ms, "
            f"{ingest['failed']} failed; {backlog} messages still waiting for delivery")
        drained = self.db.wait_drained(before, a.drain_timeout)
        drained_after = time.monotonic() - load_end if drained is not None else None
        self.db.wait_no_work(("NOTIFY",), a.drain_timeout)  # the notices of the deliveries went out
        time.sleep(0.5)  # the demo mail server files the last of them
        # Everything the hub spent from the first POST until its messages were delivered and noticed (idle
        # polling during the drain included), per accepted message: what decides bars 1 and 2 on shared cores.
        cpu_after = self.hub.cpu_seconds()
        times = self.db.times(before, after)
        ingest_cpu = cpu_per_request(cpu_before, cpu_after, len(times))
        log("  CPU ms per request: static " + ", ".join(f"{k} {v:.2f}" for k, v in static_cpu.items()))
        log("  CPU ms per message: POST " + ", ".join(f"{k} {v:.2f}" for k, v in ingest_cpu.items()))
        last_accepted = max((acc for acc, _ in times), default=None)
        last_delivered = max((dlv for _, dlv in times if dlv is not None), default=None)
        drain = {
            "messages": len(times), "backlog_at_end": backlog,
            # Wall clock from the end of the load (includes the 0.5 s wait for requests still in flight).
            "drain_s": drained_after,
            # The hub's own clocks: last delivery minus last acceptance of the load.
            "drain_s_db": (last_delivered - last_accepted).total_seconds()
            if (last_accepted and last_delivered and drained_after is not None) else None,
            "saturated_latency": delivery_latency(times),
            "states": self.db.states(before),
        }
        if drained_after is None:
            log(f"  backlog NOT drained within {a.drain_timeout:.0f} s: {drain['states']}")
        else:
            log(f"  all delivered {drain['drain_s_db'] or 0:.2f} s after the last acceptance")
        return {"static": _public(static), "ingest": _public(ingest), "drain": drain,
                "cpu_ms": {"static": static_cpu, "ingest": ingest_cpu}}

    def curve(self, ingest_rps: float) -> dict[str, Any]:
        """Bar 1: open-loop streams at fractions of the measured ingest rate; is the backlog level at each?

        A step is *level* when the hub took what was offered (≥ 95 % of the rate) and, when the step ended,
        no more than one second's worth of its messages was still waiting for delivery. The sustained rate is
        the highest level step's rate; the bar wants it ≥ 90 % of the ingest rate, and accept → delivered
        p99 < 1 s at 80 %.
        """
        a = self.args
        steps = []
        for fraction in sorted(float(f) for f in a.curve_steps.split(",") if f.strip()):
            rate = max(ingest_rps * fraction, 1.0)
            count = max(int(rate * a.curve_seconds), 10)
            log(f"curve: {fraction:.0%} of ingest = {rate:.0f} msg/s for {a.curve_seconds:g} s ({count} messages)")
            self.hub.check_alive()
            before = self.db.mark()
            stream = paced_stream(self.hub.port, self.token, self.template, count=count, rate=rate)
            backlog = self.db.states(before).get("ACCEPTED", 0)
            drained = self.db.wait_drained(before, a.drain_timeout)
            accepted = stream.pop("accepted_uuids")
            latency = delivery_latency(self.db.times_of(accepted))
            level = stream["rate"] >= 0.95 * rate and backlog <= max(rate, 10) and not stream["failed"]
            step = {"fraction": fraction, "offered_rps": rate, "achieved_rps": stream["rate"],
                    "accepted": len(accepted), "failed": stream["failed"], "backlog_at_end": backlog,
                    "drain_s": drained, "latency": latency, "level": level,
                    "post_p99_ms": stream["post_p99_ms"]}
            log(f"  took {stream['rate']:.0f}/s, backlog at end {backlog}, accept→delivered "
                f"p50 {latency.get('p50_ms', 0):.0f} ms, p99 {latency.get('p99_ms', 0):.0f} ms"
                f"{'' if level else '  (not level)'}")
            steps.append(step)
        sustained = max((s["achieved_rps"] for s in steps if s["level"]), default=0.0)
        at80 = min(steps, key=lambda s: abs(s["fraction"] - 0.8)) if steps else None
        p99_at80 = at80["latency"].get("p99_ms") if at80 else None
        ratio = sustained / ingest_rps if ingest_rps else 0.0
        return {"steps": steps, "seconds_per_step": a.curve_seconds, "ingest_rps": ingest_rps,
                "sustained_rps": sustained, "ratio": ratio, "p99_ms_at_80": p99_at80,
                "pass": ratio >= SUSTAINED_BAR and p99_at80 is not None and p99_at80 < LATENCY_BAR_MS}

    def paced(self) -> dict[str, Any]:
        a = self.args
        log(f"paced stream: {a.paced_count} messages at {a.paced_rate:g}/s")
        self.hub.check_alive()
        before = self.db.mark()
        paced = paced_stream(self.hub.port, self.token, self.template, count=a.paced_count, rate=a.paced_rate)
        drained = self.db.wait_drained(before, max(a.drain_timeout, 30))
        paced["latency"] = delivery_latency(self.db.times_of(paced.pop("accepted_uuids")))
        paced["undelivered"] = paced["sent"] - paced["failed"] - paced["latency"]["delivered"]
        paced["drained"] = drained is not None
        lat = paced["latency"]
        log(f"  accept→delivered p50 {lat.get('p50_ms', 0):.0f} ms, p99 {lat.get('p99_ms', 0):.0f} ms; "
            f"{paced['failed']} failed, {paced['undelivered']} undelivered")
        return paced


def combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several wrk runs as one: total requests over total time; the median p50 and the worst p99."""
    requests = sum(r["requests"] for r in results)
    seconds = sum(r["seconds"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        for status, count in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "rps": requests / seconds if seconds else 0.0, "requests": requests, "seconds": seconds,
        "p50_ms": sorted(r["p50_ms"] for r in results)[len(results) // 2],
        "p99_ms": max(r["p99_ms"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "unexpected_status": sum(r["unexpected_status"] for r in results),
        "expected_status": results[0]["expected_status"],
        "statuses": statuses,
        "socket_errors": {k: sum(r["socket_errors"][k] for r in results) for k in results[0]["socket_errors"]},
        "sample_error": next((r["sample_error"] for r in results if r["sample_error"]), ""),
        "rounds_rps": [r["rps"] for r in results],
    }


def measure(args: argparse.Namespace, hub: Hub, work: Path) -> dict[str, Any]:
    demo = json.loads((hub.var / "demo.json").read_text())
    template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                     cpr=demo["citizens"]["registered"], target_bytes=args.size,
                                     unique_files=not args.same_files)
    template_path = work / "memo-template.xml"
    template_path.write_bytes(template)
    memo_size = len(payload.fill(template, str(uuid.uuid4())))
    db = hub.open_db()
    session = Session(args=args, hub=hub, db=db, work=work, token=demo["sender_token"], template=template,
                      template_path=template_path)
    try:
        session.probe()
        log(f"MeMo of {memo_size} bytes accepted; warming up ({args.warmup:g} s per endpoint)")
        session.warm_up()
        rounds = [session.load_round(number) for number in range(1, args.rounds + 1)]
        paced = session.paced()
        curve = session.curve(combine([r["ingest"] for r in rounds])["rps"]) if args.curve_seconds > 0 else None
        not_delivered = {k: v for k, v in db.states().items() if k not in ("ACCEPTED", "DELIVERED")}
    finally:
        db.close()
    static = combine([r["static"] for r in rounds])
    ingest = combine([r["ingest"] for r in rounds])
    drain = max((r["drain"] for r in rounds), key=lambda d: d["drain_s"] if d["drain_s"] is not None else 1e9)
    ratio = ingest["rps"] / static["rps"] if static["rps"] else 0.0
    lat = paced["latency"]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {"database": hub.database, "web_workers": args.web_workers,
                  "delivery_workers": args.delivery_workers, "wrk_threads": args.threads,
                  "wrk_connections": args.connections, "duration_s": args.duration, "rounds": args.rounds,
                  "memo_bytes": memo_size, "unique_files": not args.same_files, "cpus": os.cpu_count(),
                  "python": platform.python_version(), "machine": platform.machine()},
        "static": static,
        "ingest": ingest,
        "ratio": ratio,
        "ingest_bar": INGEST_BAR,
        "ingest_pass": ratio >= INGEST_BAR and not ingest["failed"],
        "drain": drain,
        "rounds": rounds,
        "paced": paced,
        "latency_bar_ms": LATENCY_BAR_MS,
        "latency_pass": bool(lat.get("p99_ms", 1e9) < LATENCY_BAR_MS and not paced["failed"]
                             and not paced["undelivered"]),
        "not_delivered": not_delivered,
        "curve": curve,
    }


def _public(result: dict[str, Any]) -> dict[str, Any]:
    keep = ("rps", "requests", "seconds", "p50_ms", "p99_ms", "failed", "unexpected_status", "expected_status",
            "statuses", "socket_errors", "sample_error", "latency_us")
    return {k: result[k] for k in keep}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _verdict(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def report(figures: dict[str, Any]) -> str:
    s, i, d, p = figures["static"], figures["ingest"], figures["drain"], figures["paced"]
    lat, sat, setup = p["latency"], d["saturated_latency"], figures["setup"]
    rounds = "" if setup["rounds"] == 1 else f" x{setup['rounds']} rounds"
    rows = [
        f"digitalpost ingest benchmark — {DATABASES[setup['database']]}, {setup['web_workers']} web + "
        f"{setup['delivery_workers']} delivery workers, {setup['cpus']} CPUs, wrk -t{setup['wrk_threads']} "
        f"-c{setup['wrk_connections']} -d{setup['duration_s']:g}s{rounds}, MeMo {setup['memo_bytes']} B with PDF",
        "",
        f"{'':34}{'req/s':>10}{'p50':>10}{'p99':>10}{'failed':>9}   per round",
    ]
    for label, r in (("GET  /apis/v1/health (static)", s), ("POST /apis/v1/memos (10 KB+PDF)", i)):
        per_round = " / ".join(f"{x:.0f}" for x in r["rounds_rps"])
        rows.append(f"{label:34}{r['rps']:>10.0f}{_ms(r['p50_ms']):>10}{_ms(r['p99_ms']):>10}{r['failed']:>9}"
                    f"   {per_round}")
    rows.append(f"{'ingest / static':34}{figures['ratio']:>10.3f}   bar ≥ {INGEST_BAR:.3f}  "
                f"{_verdict(figures['ingest_pass'])}")
    for number, round_ in enumerate(figures.get("rounds", []), start=1):
        cpu = round_.get("cpu_ms") or {}
        static_ms, post_ms = cpu.get("static", {}).get("whole hub"), cpu.get("ingest", {}).get("whole hub")
        if static_ms and post_ms:
            parts = ", ".join(f"{role} {ms:.2f}" for role, ms in cpu["ingest"].items()
                              if role != "whole hub" and ms >= 0.005)
            rows.append(f"hub CPU ms, round {number}: static {static_ms:.2f}, POST {post_ms:.2f} "
                        f"({post_ms / static_ms:.1f}x; {parts})")
    drain = ("NOT drained" if d["drain_s"] is None
             else f"all delivered {d['drain_s_db'] or 0:.2f} s after the last acceptance")
    rows += [
        "",
        f"ingest load: {d['messages']} messages, {d['backlog_at_end']} awaiting delivery when it stopped, {drain}; "
        f"accept→delivered under load p50 {_ms(sat.get('p50_ms'))}, p99 {_ms(sat.get('p99_ms'))}",
        f"paced stream: {p['sent']} messages at {p['rate']:.1f}/s, {p['failed']} failed, {p['undelivered']} "
        f"undelivered; POST p50 {_ms(p['post_p50_ms'])}, p99 {_ms(p['post_p99_ms'])}",
        f"{'accept→delivered (paced)':34}p50 {_ms(lat.get('p50_ms'))}, p90 {_ms(lat.get('p90_ms'))}, "
        f"p99 {_ms(lat.get('p99_ms'))}, max {_ms(lat.get('max_ms'))}   bar p99 < {LATENCY_BAR_MS:.0f} ms  "
        f"{_verdict(figures['latency_pass'])}",
    ]
    if curve := figures.get("curve"):
        rows += ["", f"sustained end-to-end ({curve['seconds_per_step']:g} s per step, open loop)",
                 f"{'offered':>10}{'took':>8}{'backlog':>9}{'p50':>10}{'p99':>10}   level"]
        for step in curve["steps"]:
            lat = step["latency"]
            rows.append(f"{step['offered_rps']:>6.0f}/s{step['achieved_rps']:>6.0f}/s{step['backlog_at_end']:>9}"
                        f"{_ms(lat.get('p50_ms')):>10}{_ms(lat.get('p99_ms')):>10}   "
                        f"{'yes' if step['level'] else 'no'}  ({step['fraction']:.0%})")
        rows.append(f"{'sustained / ingest':34}{curve['ratio']:>10.3f}   bar ≥ {SUSTAINED_BAR:.2f} and p99 at 80 % "
                    f"{_ms(curve['p99_ms_at_80'])} < {LATENCY_BAR_MS:.0f} ms  {_verdict(curve['pass'])}")
    load = figures.get("load_average")
    if load and load["before"] > 0.5:
        rows.append(f"NOTE the machine was busy before the run (load average {load['before']:.2f}; "
                    f"{load['after']:.2f} after): other processes share the CPUs, figures are noisy")
    for name, result in (("GET /health", s), ("POST /memos", i)):
        if problem := describe_failures(name, result):
            rows.append(f"ERRORS {problem}")
    if p["failed"]:
        rows.append(f"ERRORS paced stream: {p['failures']}; first: {p['sample_error']}")
    if figures["not_delivered"]:
        rows.append(f"ERRORS messages not delivered: {figures['not_delivered']}")
    return "\n".join(rows)


# Benchmarks run after the ingest benchmark, each in its own process (they set up Django in-process) once the
# hub has stopped: secure mail against `openssl cms`, print letters, mass sends, slow clients and memory per request,
# and the blob stores (local, S3, encrypted).
AFTER = {"securemail": "securemail.py", "print": "print_letters.py", "mass": "mass_send.py",
         "hardening": "hardening.py", "storage": "storage.py", "mailbox": "mailbox.py", "nodes": "nodes.py"}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = {part.strip() for part in args.skip.split(",") if part.strip()}
    if args.skip_securemail:
        skipped.add("securemail")
    started = time.time()
    code = 0 if "ingest" in skipped else run_ingest(args)
    for name, script in AFTER.items():
        if code == 130:
            break
        if name not in skipped and (BENCH_DIR / script).exists():
            code = run_after(name, script, args) or code
    if code != 130:
        print()
        print(bars_report(load_figures(args, since=started)))
    return code


# ------------------------------------------------------------------------------------------ issue 17's six bars

# The parts that take `--database` and run once per database (bench/databases.py).
PER_DATABASE = {"securemail", "print", "mass"}
FIGURES = {"securemail": "securemail.json", "print": "print.json", "mass": "mass_send.json",
           "mailbox": "mailbox.json"}
INBOUND_BAR = 0.5  # gateway replies/s over in-process decrypt+verify/s of the same mails
FORWARD_BAR = 2.0  # whole forward over in-process CMS sign+encrypt (libcrypto) of the same entity
MASS_RATE_BAR = 1000.0  # items/s accepted from one archive, and delivered
MASS_RSS_BAR_MB = 300.0
PRINT_BAR = 200.0  # PRINT jobs (letters) per second


Figures = dict[tuple[str, str], dict[str, Any] | None]


def load_figures(args: argparse.Namespace, *, since: float) -> Figures:
    """The figures each part wrote in this run, by (part, database) (older files from earlier runs are not this
    run's). A part that runs on one database only (the mailbox part covers both itself) is filed under SQLite."""
    found: Figures = {}
    for database in DATABASES:
        paths = {"ingest": figures_path(args.json, database)}
        paths |= {part: figures_path(REPO / "var" / "bench" / name, database) for part, name in FIGURES.items()
                  if part in PER_DATABASE or database == "sqlite"}
        for part, path in paths.items():
            try:
                found[part, database] = json.loads(path.read_text()) if path.stat().st_mtime >= since else None
            except (OSError, ValueError):
                found[part, database] = None
    return found


def _bar_sustained(ingest: dict[str, Any] | None) -> tuple[str, bool | None]:
    curve = ingest.get("curve") if ingest else None
    if not curve:
        return "not run", None
    return (f"{curve['sustained_rps']:.0f}/s of {curve['ingest_rps']:.0f}/s = {curve['ratio']:.2f}, "
            f"p99 at 80 % {_ms(curve['p99_ms_at_80'])}", curve["pass"])


def _bar_ingest(ingest: dict[str, Any] | None) -> tuple[str, bool | None]:
    if not ingest:
        return "not run", None
    return (f"{ingest['ingest']['rps']:.0f} / {ingest['static']['rps']:.0f} req/s = {ingest['ratio']:.3f}",
            bool(ingest["ingest_pass"]))


def _bar_inbound(secure: dict[str, Any] | None) -> tuple[str, bool | None]:
    inbound = (secure or {}).get("inbound", {}).get("5 KB", {})
    if "smtp_burst" in inbound and "decrypt_verify_burst" in inbound:
        burst = inbound["smtp_burst"]
        ratio = burst["per_s"] / inbound["decrypt_verify_burst"]["per_s"]
        single = inbound["smtp"]["per_s"] / inbound["decrypt_verify"]["per_s"]
        return (f"{burst['per_s']:.0f} / {inbound['decrypt_verify_burst']['per_s']:.0f} msg/s = {ratio:.2f} "
                f"({burst['connections']} conns × {burst['per_connection']} mails; 1 conn/mail {single:.2f})",
                ratio >= INBOUND_BAR)
    if "smtp" in inbound and "decrypt_verify" in inbound:
        ratio = inbound["smtp"]["per_s"] / inbound["decrypt_verify"]["per_s"]
        return (f"{inbound['smtp']['per_s']:.0f} / {inbound['decrypt_verify']['per_s']:.0f} msg/s = {ratio:.2f}",
                ratio >= INBOUND_BAR)
    return "not run", None


def _bar_forward(secure: dict[str, Any] | None) -> tuple[str, bool | None]:
    outbound = (secure or {}).get("outbound", {})
    if not outbound:
        return "not run", None
    worst = max(o["ratio_lib"] for o in outbound.values())
    return ", ".join(f"{label} {o['ratio_lib']:.1f}x" for label, o in outbound.items()), worst <= FORWARD_BAR


def _bar_mass(mass: dict[str, Any] | None) -> tuple[str, bool | None]:
    runs = (mass or {}).get("runs") or []
    if not runs:
        return "not run", None
    big = max(runs, key=lambda r: r["items"])
    delivered = big["items"] / big["deliver_all_s"] if big["deliver_all_s"] else 0.0
    rss = max(big["peak_rss_mb"].values(), default=0.0)
    p99 = big["singles_during"]["p99_ms_worst_round"]
    ok = (big["accept_items_per_s"] >= MASS_RATE_BAR and delivered >= MASS_RATE_BAR and rss < MASS_RSS_BAR_MB
          and p99 is not None and p99 < LATENCY_BAR_MS)
    return (f"{big['items']} items: {big['accept_items_per_s']:.0f}/s accepted, {delivered:.0f}/s delivered, "
            f"{rss:.0f} MB, singles p99 {_ms(p99)}", ok)


def _bar_print(printing: dict[str, Any] | None) -> tuple[str, bool | None]:
    if not printing or "jobs" not in printing:
        return "not run", None
    rate = printing["jobs"]["per_s"]
    return f"{rate:.0f} letters/s", rate >= PRINT_BAR


BARS = (
    ("1 sustained end-to-end ≥ 90 % of ingest, p99 < 1 s at 80 %", "ingest", _bar_sustained),
    ("2 ingest ≥ 1/3 of static JSON", "ingest", _bar_ingest),
    ("3 inbound secure mail ≥ 50 % of decrypt+verify", "securemail", _bar_inbound),
    ("4 forward ≤ 2x in-process CMS sign+encrypt", "securemail", _bar_forward),
    ("5 mass send ≥ 1000 items/s in and out, < 300 MB, singles p99 < 1 s", "mass", _bar_mass),
    ("6 PRINT job ≥ 200 letters/s", "print", _bar_print),
)


def bars(figures: Figures) -> list[tuple[str, str, str, bool | None]]:
    """(bar, database, measured figure, PASS/FAIL or None when its part did not run) for the six bars of issue
    17, each on every database its part runs on."""
    out: list[tuple[str, str, str, bool | None]] = []
    for bar, part, judge in BARS:
        for database, label in DATABASES.items():
            if part == "ingest" or part in PER_DATABASE or database == "sqlite":
                out.append((bar, label.split(" ")[0], *judge(figures.get((part, database)))))
    return out


def bars_report(figures: Figures) -> str:
    rows = ["issue 17's bars (this run; blobs in a folder)"]
    for bar, database, figure, verdict in bars(figures):
        mark = "-" if verdict is None else _verdict(verdict)
        rows.append(f"  {mark:5} {bar:68} {database:11} {figure}")
    rows += ["", mailbox_report(figures.get(("mailbox", "sqlite")))]
    return "\n".join(rows)


MAILBOX_DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def mailbox_report(mailbox: dict[str, Any] | None) -> str:
    """Issue 15's bar, per database: the mailbox's first page and a search, p95 < 100 ms (bench/mailbox.py)."""
    rows = ["issue 15's mailbox bar: p95 < 100 ms for the first page and a search (HTTP request to last byte)"]
    runs = (mailbox or {}).get("runs") or {}
    for database, label in MAILBOX_DATABASES.items():
        run = runs.get(database)
        if run is None:
            rows.append(f"  -     {label:11} not run")
            continue
        pages = run["pages"]
        figure = ", ".join(f"{name} p95 {pages[name]['p95_ms']:.0f} ms (p50 {pages[name]['p50_ms']:.0f})"
                           for name in pages)
        rows.append(f"  {_verdict(all(run['bars_met'].values())):5} {label:11} {run['messages']:,} messages: {figure}")
    if mailbox and mailbox.get("load_average"):
        load = mailbox["load_average"]
        rows.append(f"  (load average {load['before']:.2f} before the mailbox part, {load['after']:.2f} after)")
    return "\n".join(rows)


def run_after(name: str, script: str, args: argparse.Namespace) -> int:
    """One of the AFTER benchmarks in its own process (once per database for those in PER_DATABASE); the worst
    exit code (130 when interrupted)."""
    code = 0
    for database in args.databases if name in PER_DATABASE else [None]:
        print(flush=True)
        on = "" if database is None else f" on {DATABASES[database]}"
        log(f"{name} benchmark{on}: bench/{script} (--skip {name} leaves it out)")
        cmd = [sys.executable, str(BENCH_DIR / script)] + (["--keep"] if args.keep else [])
        cmd += [] if database is None else ["--database", database]
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        try:
            code = max(code, subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode)
        except KeyboardInterrupt:
            print("\nbench interrupted", file=sys.stderr)
            return 130
        if code == 130:
            break
    return code


def run_ingest(args: argparse.Namespace) -> int:
    """The ingest benchmark on each database of `--databases`, one after the other: the worst exit code."""

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)
    code = 0
    for database in args.databases:
        code = max(code, run_ingest_on(args, database))
        if code == 130:
            break
    return code


def run_ingest_on(args: argparse.Namespace, database: str) -> int:
    """The ingest benchmark on one database: 0, 1 when requests failed or messages were not delivered, 2 on a
    setup error, 130 when interrupted."""
    hub: Hub | None = None
    var = Path(tempfile.mkdtemp(prefix="digitalpost-bench-"))
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    out = figures_path(args.json, database)
    try:
        with contextlib.ExitStack() as stack:
            preflight(args)
            env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
            env |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var)}
            # The SMTP gateway and the demo's mail server on free ports too: another hub on this host keeps its own.
            env |= {"DIGITALPOST_GATEWAY_PORT": str(free_port()), "DIGITALPOST_SMTP_RELAY_PORT": str(free_port())}
            if (url := stack.enter_context(bench_database(database, "bench_ingest"))) is not None:
                env["DATABASE_URL"] = url
            port = free_port()
            hub = Hub(var=var, port=port, web_workers=args.web_workers, delivery_workers=args.delivery_workers,
                      env=env, database=database, database_url=url)
            stack.callback(hub.stop)  # before the database server stops
            log(f"{DATABASES[database]}: fresh var folder {var}: migrate + demo load")
            hub.digitalpost("migrate")
            hub.digitalpost("demo", "load", "--base-url", f"http://127.0.0.1:{port}")
            log(f"starting the hub on 127.0.0.1:{port} ({args.web_workers} web, {args.delivery_workers} delivery)")
            hub.start()
            hub.wait_healthy()
            work = var / "bench"
            work.mkdir()
            figures = measure(args, hub, work)
            publish(figures, report, out, started=started, load_before=load_before)
            failed = figures["ingest"]["failed"] or figures["static"]["failed"] or figures["paced"]["failed"]
            return 1 if failed or figures["not_delivered"] else 0
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench interrupted", file=sys.stderr)
        return 130
    finally:
        if hub is not None:
            hub.stop()
        if args.keep:
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
