"""Ingest and sustained end-to-end throughput on PostgreSQL with 1 node and with 2 nodes on this machine.

For each node count: a fresh database on a throwaway PostgreSQL server and a fresh prefix on a SeaweedFS S3
store (both started here on 127.0.0.1, as the tests start them); `migrate` and `demo load` once; then that many
whole nodes (`digitalpost run --no-smtp --no-scheduler`, each its own DIGITALPOST_VAR and node name, 2 web and 1
delivery worker processes like `make run`). One `wrk` per node posts ~10 KB MeMos (bench/wrk.lua, a fresh
UUIDv4 each) to its node for the measured window, all at once. Reported per node count:

- **ingest**: MeMos accepted (201) per second over the window, summed over the nodes, and p50/p99 latency;
- **delivered**: messages that reached the web mailbox per second within the same window (the workers run
  while the web takes the load, so this is the sustained rate the whole hub delivers under full ingest);
- **backlog**: accepted but not yet delivered at the start and at the end of the window — a growing backlog
  means ingest outruns delivery, and delivered/s is the sustainable end-to-end rate;
- the time to drain the backlog once the load stops.

On this 2-CPU machine the two nodes share the same cores: the 2-node figure shows what a second node costs and
that nothing serialises across nodes, not what a second host adds. `.venv/bin/python bench/nodes.py --help`;
figures as JSON in var/bench/nodes.json. bench/run.py runs it (`--skip nodes` leaves it out).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "tests"))  # the PostgreSQL and SeaweedFS launchers the tests use (tests/helpers/)

import psycopg  # noqa: E402

import payload  # noqa: E402
from databases import create_database  # noqa: E402
from helpers.pgserver import throwaway_postgres  # noqa: E402
from helpers.seaweedfs import running_s3_server  # noqa: E402
from run import (  # noqa: E402
    SCRUBBED_ENV,
    VENV_BIN,
    BenchError,
    free_port,
    log,
    request,
    run_wrk,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", default="1,2", help="node counts to measure, comma-separated (default 1,2)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of measured load (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load first (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections per node (default 8)")
    parser.add_argument("--size", type=int, default=10_240, help="MeMo size in bytes (default 10240)")
    parser.add_argument("--drain-timeout", type=float, default=120, help="seconds to wait for the backlog")
    parser.add_argument("--wrk", default="/usr/bin/wrk", help="the wrk binary")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "nodes.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (node logs)")
    return parser.parse_args(argv)


class Counts:
    """Read-only counts from the hub's PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def backlog(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM messaging_message WHERE state = 'ACCEPTED' "
                                "AND channel = 'DIGITAL'").fetchone()
        return int(row[0]) if row else 0

    def delivered_between(self, start: datetime, end: datetime) -> int:
        row = self.conn.execute("SELECT count(*) FROM messaging_message WHERE delivered_at >= %s "
                                "AND delivered_at < %s", (start, end)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()


def digitalpost(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "digitalpost"), *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise BenchError(f"`digitalpost {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def start_node(env: dict[str, str], var: Path, port: int) -> subprocess.Popen[bytes]:
    var.mkdir(parents=True, exist_ok=True)
    with (var / "node.log").open("wb") as out:
        return subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(port), "--no-smtp",
                                 "--no-scheduler"], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_healthy(port: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"a node exited while starting:\n{log_path.read_text()[-3000:]}")
        try:
            if request("GET", "127.0.0.1", port, "/apis/v1/health", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"a node did not answer within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def measure(args: argparse.Namespace, count: int, pg_url: str, s3: Any, root: Path) -> dict[str, Any]:
    url = create_database(pg_url, f"bench_{count}_nodes")
    shared = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    shared |= {"DATABASE_URL": url, "DIGITALPOST_DEMO": "1", "DIGITALPOST_SECRET_KEY": secrets.token_urlsafe(50),
               **s3.environment(s3.new_prefix())}
    envs = [shared | {"DIGITALPOST_VAR": str(root / f"{count}-node-{n}"), "DIGITALPOST_NODE_NAME": f"node-{n}",
                      "DIGITALPOST_SMTP_RELAY_PORT": str(free_port())} for n in range(1, count + 1)]
    ports = [free_port() for _ in envs]
    log(f"{count} node(s): migrate + demo load into a fresh database")
    digitalpost(envs[0], "migrate")
    digitalpost(envs[0], "demo", "load", "--base-url", f"http://127.0.0.1:{ports[0]}")
    demo = json.loads((Path(envs[0]["DIGITALPOST_VAR"]) / "demo.json").read_text())
    template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                     cpr=demo["citizens"]["registered"], target_bytes=args.size)
    work = root / f"{count}-work"
    work.mkdir()
    template_path = work / "memo-template.xml"
    template_path.write_bytes(template)
    wrk_args = SimpleNamespace(wrk=args.wrk, threads=1, connections=args.connections)
    procs = [start_node(env, Path(env["DIGITALPOST_VAR"]), port) for env, port in zip(envs, ports, strict=True)]
    counts = Counts(url)
    try:
        for env, port, proc in zip(envs, ports, procs, strict=True):
            wait_healthy(port, proc, Path(env["DIGITALPOST_VAR"]) / "node.log")

        def load(seconds: float, name: str) -> list[dict[str, Any]]:
            with ThreadPoolExecutor(len(ports)) as pool:
                runs = [pool.submit(run_wrk, wrk_args, f"http://127.0.0.1:{port}/apis/v1/memos", duration=seconds,
                                    expect=201, work=work, name=f"{name}-{n}", template=template_path,
                                    token=demo["sender_token"]) for n, port in enumerate(ports)]
                return [run.result() for run in runs]

        log(f"{count} node(s): warm-up {args.warmup:g} s")
        load(args.warmup, "warmup")
        backlog_before = counts.backlog()
        start = datetime.now(UTC)
        log(f"{count} node(s): {args.duration:g} s of load, wrk -c{args.connections} per node")
        results = load(args.duration, "load")
        end = datetime.now(UTC)
        backlog_after = counts.backlog()
        delivered = counts.delivered_between(start, end)
        drain_started = time.monotonic()
        while counts.backlog() and time.monotonic() - drain_started < args.drain_timeout:
            time.sleep(0.2)
        drained = time.monotonic() - drain_started if not counts.backlog() else None
    finally:
        counts.close()
        for proc in procs:
            stop(proc)
    seconds = (end - start).total_seconds()
    accepted = sum(r["statuses"].get("201", 0) for r in results)
    failed = sum(r["failed"] for r in results)
    return {
        "nodes": count, "seconds": seconds, "accepted": accepted, "failed": failed,
        "ingest_per_s": accepted / seconds, "delivered_per_s": delivered / seconds,
        "p50_ms": max(r["p50_ms"] for r in results), "p99_ms": max(r["p99_ms"] for r in results),
        "backlog_before": backlog_before, "backlog_after": backlog_after, "drain_s": drained,
        "memo_bytes": len(payload.fill(template, str(uuid.uuid4()))),
    }


def report(rows: list[dict[str, Any]]) -> str:
    lines = ["PostgreSQL + S3 (SeaweedFS), ~10 KB MeMos, all nodes on this machine",
             f"{'nodes':>5} {'ingest/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'delivered/s':>12} "
             f"{'backlog start→end':>18} {'drain s':>8} {'failed':>7}"]
    for row in rows:
        drain = f"{row['drain_s']:.1f}" if row["drain_s"] is not None else "—"
        lines.append(f"{row['nodes']:>5} {row['ingest_per_s']:>9.1f} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
                     f"{row['delivered_per_s']:>12.1f} {row['backlog_before']:>8} → {row['backlog_after']:<7} "
                     f"{drain:>8} {row['failed']:>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (Path(args.wrk).is_file() and os.access(args.wrk, os.X_OK)):
        print("wrk is not installed: `make bench` installs it (scripts/setup-bench.sh)", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="digitalpost-bench-nodes-"))
    load_before = os.getloadavg()[0]
    rows = []
    try:
        with throwaway_postgres() as pg_url, running_s3_server(root / "s3") as s3:
            for count in (int(n) for n in args.nodes.split(",")):
                rows.append(measure(args, count, pg_url, s3, root))
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", str(root)], check=False)
    print()
    print(report(rows))
    figures = {"rows": rows, "load_average": {"before": load_before, "after": os.getloadavg()[0]},
               "cpus": os.cpu_count()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"\nfigures written to {args.json}  (load average {load_before:.1f} before, "
          f"{figures['load_average']['after']:.1f} after, on {os.cpu_count()} CPUs)")
    return 1 if any(row["failed"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
