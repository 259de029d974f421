"""`make bench`: ingest throughput against a static JSON answer, and accept → mailbox latency.

One run, on the embedded default (SQLite + blob folder in a fresh temporary DIGITALPOST_VAR):

1. migrate + demo load, then `digitalpost run` exactly as `make run` starts it (gunicorn + delivery workers);
2. wrk against GET /apis/v1/health (the static JSON baseline), then against POST /apis/v1/memos with a
   ~10 KB MeMo carrying a small real PDF, a fresh UUIDv4 per request (bench/wrk.lua, bench/payload.py);
   every response's status is checked (200 / 201) and the unexpected ones are counted and reported;
3. how long the delivery backlog left by the saturated load takes to drain;
4. a paced stream below saturation (default 300 messages at 30/s, keep-alive client): accepted_at →
   delivered_at per message, read from the hub's SQLite file;
5. a table on stdout and the figures as JSON in var/bench/ingest.json.

The bars (brief §6): ingest ≥ 1/3 of the static rate; accept → mailbox p99 < 1 s below saturation.
"""

from __future__ import annotations

import argparse
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
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import payload

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
INGEST_BAR = 1 / 3
LATENCY_BAR_MS = 1000.0
# Variables that would point the hub away from the embedded default or into test mode.
SCRUBBED_ENV = ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING",
                "PYTEST_VERSION", "DJANGO_SETTINGS_MODULE", "DIGITALPOST_DEBUG", "HOST", "PORT")


class BenchError(RuntimeError):
    """A failure that ends the run with a message saying what to do."""


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


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
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.var / "hub.log"

    @property
    def db_path(self) -> Path:
        return self.var / "digitalpost.sqlite3"

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
        """SIGTERM to `digitalpost run` (it stops gunicorn and the workers); SIGKILL its group if it hangs."""
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
        """Make sure nothing of the process group we started is left (gunicorn workers, delivery workers)."""
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
    """Read-only peeks into the hub's SQLite file (WAL mode: readers never block the hub's writers)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None)

    def close(self) -> None:
        self.conn.close()

    def last_rowid(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM messaging_message").fetchone()
        return int(row[0])

    def states(self, after_rowid: int = 0) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT state, count(*) FROM messaging_message WHERE rowid > ? GROUP BY state", (after_rowid,)
        ).fetchall()
        return {state: int(count) for state, count in rows}

    def times(self, first: int, last: int) -> list[tuple[datetime, datetime | None]]:
        """(accepted_at, delivered_at) of the messages with first < rowid <= last."""
        rows = self.conn.execute(
            "SELECT accepted_at, delivered_at FROM messaging_message WHERE rowid > ? AND rowid <= ?", (first, last)
        ).fetchall()
        return [(_ts(a), _ts(d) if d else None) for a, d in rows]

    def wait_drained(self, after_rowid: int, timeout: float) -> float | None:
        """Seconds until no message after `after_rowid` is still ACCEPTED (None on timeout)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.states(after_rowid).get("ACCEPTED", 0) == 0:
                return time.monotonic() - start
            time.sleep(0.05)
        return None


def _ts(text: str) -> datetime:
    """Django's SQLite datetimes: naive text in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


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


def paced_stream(port: int, token: str, template: bytes, *, count: int, rate: float) -> dict[str, Any]:
    """POST `count` messages at `rate`/s on one keep-alive client; client-side latency and failures."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    latencies: list[float] = []
    failures: dict[str, int] = {}
    sample = ""
    start = time.monotonic()
    try:
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            message_uuid = str(uuid.uuid4())
            t0 = time.perf_counter()
            try:
                conn.request("POST", f"/apis/v1/memos?memo-message-uuid={message_uuid}",
                             body=payload.fill(template, message_uuid), headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()  # reconnects on the next request
                status, body = type(exc).__name__, str(exc).encode()
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != "201":
                failures[status] = failures.get(status, 0) + 1
                sample = sample or f"{status} {body[:300]!r}"
    finally:
        conn.close()
    elapsed = time.monotonic() - start
    return {"sent": count, "failed": sum(failures.values()), "failures": failures, "sample_error": sample,
            "seconds": elapsed, "rate": count / elapsed if elapsed else 0.0,
            "post_p50_ms": percentile(latencies, 50), "post_p99_ms": percentile(latencies, 99)}


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
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (default 2)")
    parser.add_argument("--delivery-workers", type=int, default=1, help="delivery worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk measurement (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured wrk load per endpoint")
    parser.add_argument("--paced-count", type=int, default=300, help="messages in the paced stream")
    parser.add_argument("--paced-rate", type=float, default=30, help="messages/s in the paced stream")
    parser.add_argument("--size", type=int, default=10_240, help="MeMo size in bytes (default 10240)")
    parser.add_argument("--same-files", action="store_true",
                        help="send identical PDF/attachment bytes every time (the blob store then stores them once)")
    parser.add_argument("--drain-timeout", type=float, default=120, help="max seconds to wait for a backlog")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk", help="the wrk binary")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "ingest.json", help="figures out")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var folder (hub.log, sqlite)")
    return parser.parse_args(argv)


def preflight(args: argparse.Namespace) -> None:
    if not (Path(args.wrk).is_file() and os.access(args.wrk, os.X_OK)):
        raise BenchError("wrk is not installed: `sudo apt-get install wrk` (or `make setup-system`), "
                         "or pass --wrk /path/to/wrk")
    if not (VENV_BIN / "digitalpost").exists():
        raise BenchError(f"{VENV_BIN / 'digitalpost'} is missing: run `make setup` and use .venv/bin/python")


def measure(args: argparse.Namespace, hub: Hub, work: Path) -> dict[str, Any]:
    demo = json.loads((hub.var / "demo.json").read_text())
    token, cvr, cpr = demo["sender_token"], demo["authority_cvr"], demo["citizens"]["registered"]
    template = payload.memo_template(cvr=cvr, sender_label="Nordby Kommune", cpr=cpr, target_bytes=args.size,
                                     unique_files=not args.same_files)
    template_path = work / "memo-template.xml"
    template_path.write_bytes(template)
    memo_size = len(payload.fill(template, str(uuid.uuid4())))
    base = f"http://127.0.0.1:{hub.port}"
    db = Db(hub.db_path)
    try:
        # One message by hand first: a clear error now beats a benchmark of refusals.
        probe = str(uuid.uuid4())
        status, body = request("POST", "127.0.0.1", hub.port, f"/apis/v1/memos?memo-message-uuid={probe}",
                               body=payload.fill(template, probe), headers={
                                   "Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        if status != 201:
            raise BenchError(f"the benchmark MeMo was not accepted: {status} {body[:500]!r}")
        log(f"MeMo of {memo_size} bytes accepted; warming up ({args.warmup:g} s per endpoint)")
        if args.warmup > 0:
            for name, url, expect, tpl in (("warmup-health", f"{base}/apis/v1/health", 200, None),
                                           ("warmup-memos", f"{base}/apis/v1/memos", 201, template_path)):
                warm = run_wrk(args, url, duration=args.warmup, expect=expect, work=work, name=name,
                               template=tpl, token=token)
                if problem := describe_failures(name, warm):
                    raise BenchError(problem)
        if db.wait_drained(0, args.drain_timeout) is None:
            raise BenchError(f"the warm-up backlog did not drain within {args.drain_timeout:.0f} s")

        log(f"GET /apis/v1/health: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s")
        hub.check_alive()
        static = run_wrk(args, f"{base}/apis/v1/health", duration=args.duration, expect=200, work=work,
                         name="health")
        log(f"  {static['rps']:.0f} req/s, {static['failed']} failed")

        log(f"POST /apis/v1/memos: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s")
        hub.check_alive()
        before_load = db.last_rowid()
        ingest = run_wrk(args, f"{base}/apis/v1/memos", duration=args.duration, expect=201, work=work,
                         name="memos", template=template_path, token=token)
        load_end = time.monotonic()
        after_load = db.last_rowid()
        backlog = db.states(before_load).get("ACCEPTED", 0)
        log(f"  {ingest['rps']:.0f} req/s, {ingest['failed']} failed; {backlog} messages waiting for delivery")
        drain_wall = db.wait_drained(before_load, args.drain_timeout)
        drained_after = time.monotonic() - load_end if drain_wall is not None else None
        load_times = db.times(before_load, after_load)
        stored = len(load_times)
        accepted_end = max((a for a, _ in load_times), default=None)
        delivered_end = max((d for _, d in load_times if d is not None), default=None)
        drain = {
            "messages": stored, "backlog_at_end": backlog,
            "drain_s": drained_after,
            # From the hub's own clocks: last delivery minus last acceptance of the load.
            "drain_s_db": (delivered_end - accepted_end).total_seconds()
            if (accepted_end and delivered_end and drained_after is not None) else None,
            "saturated_latency": delivery_latency(load_times),
            "states": db.states(before_load),
        }
        if drained_after is None:
            log(f"  backlog NOT drained within {args.drain_timeout:.0f} s: {drain['states']}")
        else:
            log(f"  backlog drained {drained_after:.1f} s after the load ended")

        log(f"paced stream: {args.paced_count} messages at {args.paced_rate:g}/s")
        hub.check_alive()
        before_paced = db.last_rowid()
        paced = paced_stream(hub.port, token, template, count=args.paced_count, rate=args.paced_rate)
        paced_drain = db.wait_drained(before_paced, max(args.drain_timeout, 30))
        paced["latency"] = delivery_latency(db.times(before_paced, db.last_rowid()))
        paced["undelivered"] = paced["latency"]["messages"] - paced["latency"]["delivered"]
        paced["drained"] = paced_drain is not None
        failed_states = {k: v for k, v in db.states().items() if k not in ("ACCEPTED", "DELIVERED")}
    finally:
        db.close()
    ratio = ingest["rps"] / static["rps"] if static["rps"] else 0.0
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {"database": "sqlite (embedded default)", "web_workers": args.web_workers,
                  "delivery_workers": args.delivery_workers, "wrk_threads": args.threads,
                  "wrk_connections": args.connections, "duration_s": args.duration, "memo_bytes": memo_size,
                  "unique_files": not args.same_files, "cpus": os.cpu_count(),
                  "python": platform.python_version(), "machine": platform.machine()},
        "static": _public(static),
        "ingest": _public(ingest),
        "ratio": ratio,
        "ingest_bar": INGEST_BAR,
        "ingest_pass": ratio >= INGEST_BAR and not ingest["failed"],
        "drain": drain,
        "paced": paced,
        "latency_bar_ms": LATENCY_BAR_MS,
        "latency_pass": bool(paced["latency"].get("p99_ms", 1e9) < LATENCY_BAR_MS and not paced["failed"]
                             and not paced["undelivered"]),
        "failed_messages": failed_states,
    }


def _public(result: dict[str, Any]) -> dict[str, Any]:
    keep = ("rps", "requests", "seconds", "p50_ms", "p99_ms", "failed", "unexpected_status", "statuses",
            "socket_errors", "sample_error", "latency_us")
    return {k: result[k] for k in keep}


def report(figures: dict[str, Any]) -> str:
    s, i, d, p = figures["static"], figures["ingest"], figures["drain"], figures["paced"]
    lat = p["latency"]
    sat = d["saturated_latency"]
    setup = figures["setup"]

    def ok(flag: bool) -> str:
        return "PASS" if flag else "FAIL"

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    drain_text = "NOT drained" if d["drain_s"] is None else f"{d['drain_s']:.1f} s (db clock {d['drain_s_db']:.1f} s)"
    rows = [
        f"digitalpost ingest benchmark — SQLite, {setup['web_workers']} web + {setup['delivery_workers']} delivery "
        f"workers, {setup['cpus']} CPUs, wrk -t{setup['wrk_threads']} -c{setup['wrk_connections']} "
        f"-d{setup['duration_s']:g}s, MeMo {setup['memo_bytes']} B with PDF",
        "",
        f"{'':34}{'req/s':>10}{'p50':>10}{'p99':>10}{'failed':>9}",
        f"{'GET  /apis/v1/health (static)':34}{s['rps']:>10.0f}{ms(s['p50_ms']):>10}{ms(s['p99_ms']):>10}"
        f"{s['failed']:>9}",
        f"{'POST /apis/v1/memos (10 KB+PDF)':34}{i['rps']:>10.0f}{ms(i['p50_ms']):>10}{ms(i['p99_ms']):>10}"
        f"{i['failed']:>9}",
        f"{'ingest / static':34}{figures['ratio']:>10.2f}   bar ≥ {INGEST_BAR:.2f}   {ok(figures['ingest_pass'])}",
        "",
        f"saturated load: {d['messages']} stored, {d['backlog_at_end']} waiting at the end; drained after "
        f"{drain_text}; accept→delivered p50 {ms(sat.get('p50_ms'))}, p99 {ms(sat.get('p99_ms'))}",
        f"paced {p['sent']} at {p['rate']:.1f}/s: {p['failed']} failed, {p['undelivered']} undelivered; "
        f"POST p50 {ms(p['post_p50_ms'])}, p99 {ms(p['post_p99_ms'])}",
        f"accept→delivered (paced)          p50 {ms(lat.get('p50_ms'))}  p90 {ms(lat.get('p90_ms'))}  "
        f"p99 {ms(lat.get('p99_ms'))}  max {ms(lat.get('max_ms'))}   bar p99 < {LATENCY_BAR_MS:.0f} ms   "
        f"{ok(figures['latency_pass'])}",
    ]
    for name, result in (("GET /health", s), ("POST /memos", i)):
        if problem := describe_failures(name, result):
            rows.append(f"ERRORS {problem}")
    if p["failed"]:
        rows.append(f"ERRORS paced stream: {p['failures']}; first: {p['sample_error']}")
    if figures["failed_messages"]:
        rows.append(f"ERRORS messages not delivered: {figures['failed_messages']}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    hub: Hub | None = None
    var = Path(tempfile.mkdtemp(prefix="digitalpost-bench-"))
    started = time.monotonic()
    try:
        preflight(args)
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        env |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var)}
        port = free_port()
        hub = Hub(var=var, port=port, web_workers=args.web_workers, delivery_workers=args.delivery_workers,
                  env=env)
        log(f"fresh var folder {var}: migrate + demo load")
        hub.digitalpost("migrate")
        hub.digitalpost("demo", "load", "--base-url", f"http://127.0.0.1:{port}")
        log(f"starting the hub on 127.0.0.1:{port} ({args.web_workers} web, {args.delivery_workers} delivery)")
        hub.start()
        hub.wait_healthy()
        work = var / "bench"
        work.mkdir()
        figures = measure(args, hub, work)
        figures["total_s"] = time.monotonic() - started
        print()
        print(report(figures))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}  (whole run {figures['total_s']:.0f} s)")
        failed = figures["ingest"]["failed"] or figures["static"]["failed"] or figures["paced"]["failed"]
        return 1 if failed else 0
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
