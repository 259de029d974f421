"""Mass-send benchmark: archives of 10 000 and 100 000 small MeMos through the real hub.

On the embedded default (SQLite + blob folder, a fresh temporary DIGITALPOST_VAR; `--database postgresql`: a
fresh database on a durable throwaway PostgreSQL, bench/databases.py), `digitalpost run` as
`make run` starts it (granian, the delivery worker, the DELIVER_BULK worker …). Per archive size:

1. the archive (a tar of small MeMos for the demo's registered citizen, LZMA-compressed) is written to a file
   first, streamed, so building it never skews the hub's figures;
2. it is POSTed to /apis/v1/memos as application/x-lzma (streamed from the file); meanwhile a paced stream
   of single POST /apis/v1/memos runs, and the RSS of the web processes and of the bulk worker is sampled;
3. time to accept (the mass send's response), time until every item is delivered (read from the hub's
   database), peak RSS per role, and the singles' p99 during the mass send next to a baseline stream
   without one. Figures printed and written to var/bench/mass_send.json.

`--sizes` makes the sizes a parameter (default 10000,100000).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import lzma
import os
import shutil
import signal
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import payload
from databases import DATABASES, bench_database, database_option, figures_path
from run import (
    REPO,
    SCRUBBED_ENV,
    BenchError,
    Db,
    Hub,
    free_port,
    log,
    paced_stream,
)


def build_archive(path: Path, template: bytes, count: int) -> int:
    """A tar of `count` MeMos (fresh UUIDs) compressed with LZMA into `path`, streamed; its size."""
    compressor = lzma.LZMACompressor(format=lzma.FORMAT_ALONE, preset=1)
    with path.open("wb") as out:

        class Sink(io.RawIOBase):
            def write(self, data: Any) -> int:
                out.write(compressor.compress(bytes(data)))
                return len(data)

        with tarfile.open(fileobj=Sink(), mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for _ in range(count):
                message_uuid = str(uuid.uuid4())
                data = payload.fill(template, message_uuid)
                info = tarfile.TarInfo(f"{message_uuid}.xml")
                info.size = len(data)
                info.mtime = int(time.time())
                tar.addfile(info, io.BytesIO(data))
        out.write(compressor.flush())
    return path.stat().st_size


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _role(pid: int) -> str | None:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if "granian" in cmd:
        return "web"
    if "DELIVER_BULK" in cmd:
        return "bulk_worker"
    if " worker" in cmd:
        return "worker"
    return None


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """Peak RSS per process role (largest single process) while the mass send runs, and the CPU time each role's
    processes used meanwhile (first to last look)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak: dict[str, float] = {}
        self.cpu_first: dict[int, tuple[str, float]] = {}
        self.cpu_last: dict[int, float] = {}
        self.stop_event = threading.Event()

    def look(self) -> None:
        for pid in _descendants(self.root):
            if (role := _role(pid)) is not None:
                self.peak[role] = max(self.peak.get(role, 0.0), _rss_mb(pid))
                if (cpu := _cpu_seconds(pid)) is not None:
                    self.cpu_first.setdefault(pid, (role, cpu))
                    self.cpu_last[pid] = cpu

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.look()
            self.stop_event.wait(0.25)

    def cpu_by_role(self) -> dict[str, float]:
        used: dict[str, float] = {}
        for pid, (role, first) in self.cpu_first.items():
            used[role] = used.get(role, 0.0) + self.cpu_last[pid] - first
        return used

    def stop(self) -> dict[str, float]:
        self.stop_event.set()
        self.join(timeout=5)
        return dict(self.peak)


def post_archive(port: int, token: str, path: Path, timeout: float) -> tuple[int, dict[str, Any], float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        with path.open("rb") as body:
            conn.request("POST", "/apis/v1/memos", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/x-lzma",
                "Content-Length": str(path.stat().st_size)})
            response = conn.getresponse()
            answer = json.loads(response.read() or b"{}")
        return response.status, answer, time.monotonic() - started
    finally:
        conn.close()


def singles(port: int, token: str, template: bytes, *, rate: float, stop: threading.Event) -> None:
    """Single messages at `rate`/s in rounds of about 5 s until `stop`; each round's figures go to _ROUNDS."""
    while not stop.is_set():
        result = paced_stream(port, token, template, count=max(int(rate * 5), 1), rate=rate, senders=2)
        result.pop("accepted_uuids", None)
        _ROUNDS.append(result)


_ROUNDS: list[dict[str, Any]] = []


def measure_size(hub: Hub, db: Db, token: str, template: bytes, work: Path, count: int,
                 args: argparse.Namespace) -> dict[str, Any]:
    path = work / f"mass-{count}.tar.lzma"
    log(f"building an archive of {count} MeMos ({len(template)} bytes each)")
    size = build_archive(path, template, count)
    log(f"  {size / 1e6:.1f} MB compressed; sending it with single messages alongside at {args.single_rate:g}/s")
    before = db.mark()
    sampler = RssSampler(hub.proc.pid if hub.proc else os.getpid())
    sampler.look()  # the CPU counters before the archive is sent
    sampler.start()
    stop = threading.Event()
    _ROUNDS.clear()
    alongside = threading.Thread(target=singles, args=(hub.port, token, template),
                                 kwargs={"rate": args.single_rate, "stop": stop}, daemon=True)
    alongside.start()
    status, answer, accept_s = post_archive(hub.port, token, path, timeout=args.timeout)
    log(f"  answered {status} after {accept_s:.1f} s: {answer.get('accepted')} accepted, "
        f"{answer.get('refused')} refused ({count / accept_s:.0f} items/s)")
    stop.set()
    alongside.join(timeout=60)
    during = list(_ROUNDS)
    drained = db.wait_drained(before, args.deliver_timeout)
    peaks = sampler.stop()
    sampler.look()
    cpu = sampler.cpu_by_role()
    deliver_s = accept_s + drained if drained is not None else None
    if deliver_s is None:
        log(f"  NOT all delivered within {args.deliver_timeout:.0f} s after accepting")
    else:
        log(f"  all delivered {deliver_s:.1f} s after the archive was sent ({count / deliver_s:.0f} items/s)")
    path.unlink()
    p99s = [r["post_p99_ms"] for r in during if r.get("post_p99_ms") is not None]
    # CPU per item: the web processes' (accepting, plus the singles alongside) and the bulk worker's (delivering),
    # from the archive's POST until all were delivered; steadier on a shared machine than the rates.
    cpu_ms = {role: seconds / count * 1000 for role, seconds in cpu.items()}
    log(f"  CPU per item: web {cpu_ms.get('web', 0):.2f} ms, bulk worker {cpu_ms.get('bulk_worker', 0):.2f} ms; "
        f"load average {os.getloadavg()[0]:.1f}")
    return {"items": count, "compressed_bytes": size, "status": status, "answer": answer, "accept_s": accept_s,
            "accept_items_per_s": count / accept_s, "deliver_all_s": deliver_s, "peak_rss_mb": peaks,
            "cpu_ms_per_item": cpu_ms, "load_average": os.getloadavg(),
            "singles_during": {"rounds": len(during), "sent": sum(r["sent"] for r in during),
                               "failed": sum(r["failed"] for r in during),
                               "p99_ms_worst_round": max(p99s) if p99s else None,
                               "p99_ms_median_round": sorted(p99s)[len(p99s) // 2] if p99s else None}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000", help="archive sizes in items (default 10000,100000)")
    parser.add_argument("--memo-bytes", type=int, default=2048, help="size of each MeMo (default 2048)")
    parser.add_argument("--single-rate", type=float, default=10, help="single messages/s alongside (default 10)")
    parser.add_argument("--baseline", type=int, default=150, help="single messages without a mass send")
    parser.add_argument("--timeout", type=float, default=1800, help="max seconds to accept an archive")
    parser.add_argument("--deliver-timeout", type=float, default=3600, help="max seconds to wait for delivery")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "mass_send.json", help="figures out")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var folder")
    database_option(parser)
    return parser.parse_args(argv)


def report(figures: dict[str, Any]) -> str:
    rows = [f"mass send ({DATABASES[figures.get('database', 'sqlite')]}, {figures['memo_bytes']}-byte MeMos)",
            f"  singles without a mass send: p99 {figures['baseline']['post_p99_ms']:.0f} ms "
            f"({figures['baseline']['sent']} sent, {figures['baseline']['failed']} failed)"]
    for run in figures["runs"]:
        rss = run["peak_rss_mb"]
        during = run["singles_during"]
        deliver = f"{run['deliver_all_s']:.0f} s" if run["deliver_all_s"] is not None else "not finished"
        rows.append(
            f"  {run['items']:>7} items: accepted in {run['accept_s']:.0f} s ({run['accept_items_per_s']:.0f}/s), "
            f"all delivered after {deliver}; peak RSS web {rss.get('web', 0):.0f} MB, bulk worker "
            f"{rss.get('bulk_worker', 0):.0f} MB; singles during: p99 {during['p99_ms_median_round'] or 0:.0f} ms "
            f"(median of {during['rounds']} rounds, worst {during['p99_ms_worst_round'] or 0:.0f} ms, "
            f"{during['failed']} failed); CPU per item web {run['cpu_ms_per_item'].get('web', 0):.2f} ms, bulk "
            f"worker {run['cpu_ms_per_item'].get('bulk_worker', 0):.2f} ms (load {run['load_average'][0]:.1f})")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    var = Path(tempfile.mkdtemp(prefix="digitalpost-mass-"))
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var)}
    out = figures_path(args.json, args.database)
    try:
        with bench_database(args.database, "bench_mass") as url:
            if url is not None:
                env["DATABASE_URL"] = url
            hub = Hub(var=var, port=free_port(), web_workers=2, delivery_workers=1, env=env,
                      database=args.database, database_url=url)
            try:
                return measure(args, hub, out)
            finally:
                hub.stop()  # before its database server stops
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)


def measure(args: argparse.Namespace, hub: Hub, out: Path) -> int:
    """Every archive size on the fresh hub; the table on stdout, the figures in `out`."""
    log(f"fresh var folder {hub.var}: migrate + demo load ({DATABASES[args.database]})")
    hub.digitalpost("migrate")
    hub.digitalpost("demo", "load", "--base-url", f"http://127.0.0.1:{hub.port}")
    demo = json.loads((hub.var / "demo.json").read_text())
    template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                     cpr=demo["citizens"]["registered"], target_bytes=args.memo_bytes)
    hub.start()
    hub.wait_healthy()
    db = hub.open_db()
    work = hub.var / "bench"
    work.mkdir()
    log(f"baseline: {args.baseline} single messages at {args.single_rate:g}/s, no mass send")
    baseline = paced_stream(hub.port, demo["sender_token"], template, count=args.baseline,
                            rate=args.single_rate, senders=2)
    baseline.pop("accepted_uuids", None)
    runs = [measure_size(hub, db, demo["sender_token"], template, work, int(n), args)
            for n in args.sizes.split(",") if n.strip()]
    db.close()
    figures = {"database": args.database, "memo_bytes": len(template), "baseline": baseline, "runs": runs}
    print()
    print(report(figures))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"\nfigures written to {out}")
    bad = any(r["status"] != 201 or r["deliver_all_s"] is None or r["answer"].get("refused") for r in runs)
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
