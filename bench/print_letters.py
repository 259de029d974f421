"""Print benchmark: letters rendered per second, for the PDF alone and for the whole PRINT job path.

One run, in-process, on the embedded default (SQLite + blob folder in a fresh temporary DIGITALPOST_VAR, demo
mode; `--database postgresql`: a fresh database on a durable throwaway PostgreSQL, bench/databases.py), the
demo authority from `digitalpost.cli.demo.load_demo`):

1. `protocols.letters.render_letter` on a typical 2-page letter (the cover with the address in the window, and
   a one-page A4 PDF decision passed through): letters/s and per-letter p50/p99;
2. the PRINT job path: messages to exempt citizens accepted through `accept_memo` (not timed), then the worker
   path as the worker takes them (`outbox.worker.run_batch` with the PRINT batch handler `print_batch`: load the
   messages, read their documents out of the MeMos and render them in the render processes, which are started
   first as `digitalpost worker` starts them, store the blobs, one sync, record the letters and their events in
   one commit) until no PRINT job is due: letters/s and per-letter p50/p99 (a batch's time shared by its
   letters), and the CPU time per letter of the worker and its render processes together and of the worker alone
   (from /proc: the figure to compare on a shared machine); every message must end with exactly one letter;
3. `printing.services.write_batches` into the spool folder (PDFs + manifest, fsynced): letters/s;
4. a table on stdout and the figures as JSON in var/bench/print.json.

No bar in the brief; the figure goes into the issue's closing note.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from databases import DATABASES, bench_database, database_option, figures_path
from run import BenchError, percentile, publish
from securemail import setup_django as setup_hub

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DECISION = ("Afgørelse om boligstøtte\n\nNordby Kommune har behandlet din ansøgning om boligstøtte. Du får "
            "1.850 kr. om måneden fra 1. februar 2026. Beløbet udbetales den første bankdag i hver måned.\n")


def log(text: str) -> None:
    print(f"[print {time.strftime('%H:%M:%S')}] {text}", flush=True)


def summary(per_letter_ms: list[float], elapsed_s: float) -> dict[str, Any]:
    return {"letters": len(per_letter_ms), "seconds": elapsed_s,
            "per_s": len(per_letter_ms) / elapsed_s if elapsed_s else 0.0,
            "mean_ms": statistics.fmean(per_letter_ms), "p50_ms": percentile(per_letter_ms, 50),
            "p99_ms": percentile(per_letter_ms, 99), "max_ms": max(per_letter_ms)}


def decision_pdf() -> bytes:
    """A one-page A4 decision with a few paragraphs of text, as an authority's case system makes them."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    page = Canvas(out, pagesize=A4)
    page.setFont("Helvetica", 11)
    y = 780.0
    for paragraph in range(12):
        for line in range(4):
            page.drawString(72, y, f"Afsnit {paragraph + 1}, linje {line + 1}: " + DECISION[:70])
            y -= 14
        y -= 8
    page.showPage()
    page.save()
    return out.getvalue()


def setup_django(var: Path, database_url: str | None = None) -> None:
    """securemail.py's in-process hub set-up, with the print settings also left at their defaults."""
    for name in ("DIGITALPOST_PRINT_SPOOL", "DIGITALPOST_PRINT_TRANSPORT"):
        os.environ.pop(name, None)
    setup_hub(var, database_url)


def measure_render(count: int, pdf: bytes) -> dict[str, Any]:
    from digitalpost.protocols import letters

    def letter(n: int) -> letters.Letter:
        return letters.Letter(
            letter_id=str(uuid.uuid4()),
            recipient=letters.PostalAddress(name=f"Modtager {n}", lines=(f"Havnegade {n % 90 + 1}, 2. th.",),
                                            postal_code="5000", city="Odense C"),
            sender=letters.SenderBlock(name="Nordby Kommune", address_lines=("Rådhuspladsen 1",), cvr="29190003"),
            title="Afgørelse om boligstøtte", sent_on=date(2026, 1, 5),
            documents=[letters.LetterDocument("afgoerelse.pdf", "application/pdf", pdf)],
        )

    pages = letters.render_letter(letter(0)).pages  # warm-up (fonts, imports)
    if pages != 2:
        raise BenchError(f"the typical letter has {pages} pages, expected 2")
    times: list[float] = []
    started = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        letters.render_letter(letter(n))
        times.append((time.perf_counter() - t0) * 1000)
    return summary(times, time.perf_counter() - started) | {"pages": pages}


def queue_print_messages(count: int, pdf: bytes, *, first: int = 0) -> None:
    """`count` exempt citizens (numbered from `first`), one message each through the real ingest (which queues
    the PRINT jobs)."""
    from digitalpost.cli.demo import AUTHORITY, load_demo
    from digitalpost.messages.services.ingest import accept_memo
    from digitalpost.protocols import memo
    from digitalpost.registry.models import Contact
    from digitalpost.registry.services import register_contact
    from digitalpost.systems.selectors import get_sender_system_by_token

    demo = load_demo(base_url="http://127.0.0.1:8000")
    system = get_sender_system_by_token(demo["sender_token"])
    if system is None:
        raise BenchError("the demo sender system is missing")
    for n in range(first, first + count):
        number = f"{1 + n % 28:02d}{1 + n // 28 % 12:02d}{60 + n // 336 % 40:02d}{n % 10000:04d}"
        person = register_contact(kind=Contact.Kind.CITIZEN, number=number, name=f"Modtager {n}",
                                  status=Contact.Status.EXEMPT, address_line=f"Havnegade {n % 90 + 1}, 2. th.",
                                  postal_code="5000", city="Odense C")
        message = memo.simple_message(
            sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=person.number,
            label="Afgørelse om boligstøtte", files=[("afgoerelse.pdf", "application/pdf", pdf)],
            message_uuid=str(uuid.uuid4()), created=datetime.now(UTC))
        accept_memo(system=system, body=memo.build(message))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (from /proc: the render processes are not ours to
    time with process_time)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def render_process_ids() -> list[int]:
    from digitalpost.printing import rendering

    return [pid for (owner, _), pool in rendering._pools.items() if owner == os.getpid()
            for pid in (getattr(pool, "_processes", None) or {})]


def measure_jobs(count: int) -> dict[str, Any]:
    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
    from digitalpost.outbox.models import Job, WorkKind
    from digitalpost.outbox.worker import run_batch, run_once
    from digitalpost.printing.models import PrintLetter
    from digitalpost.printing.rendering import start_render_processes

    started = time.perf_counter()
    processes = start_render_processes(wait=True)  # as `digitalpost worker` does when it starts
    log(f"{processes} render process(es) ready after {time.perf_counter() - started:.1f} s")
    times: list[float] = []
    batch: list[int] = []

    def counted(jobs: list[Job]) -> None:
        batch.append(len(jobs))
        BATCH_HANDLERS[WorkKind.PRINT](jobs)

    processes_ids = [os.getpid(), *render_process_ids()]
    cpu_before, worker_cpu_before = cpu_seconds(processes_ids), cpu_seconds([os.getpid()])
    started = time.perf_counter()
    while True:  # as the worker takes them: in batches when PRINT has a batch handler
        t0 = time.perf_counter()
        batch.clear()
        if WorkKind.PRINT in BATCH_HANDLERS:
            if not run_batch(WorkKind.PRINT, counted, HANDLERS, on_give_up=GIVE_UP):
                break
        elif not run_once(WorkKind.PRINT, HANDLERS, on_give_up=GIVE_UP):
            break
        taken = sum(batch) or 1
        times += [(time.perf_counter() - t0) * 1000 / taken] * taken
    elapsed = time.perf_counter() - started
    cpu, worker_cpu = cpu_seconds(processes_ids) - cpu_before, cpu_seconds([os.getpid()]) - worker_cpu_before
    made = PrintLetter.objects.count()
    if made != count + 1 or len(times) != count + 1:  # + the demo's own letter to Bent
        raise BenchError(f"{len(times)} PRINT jobs made {made} letters for {count + 1} messages")
    return summary(times, elapsed) | {"render_processes": processes, "cpu_ms_per_letter": cpu / len(times) * 1000,
                                        "worker_cpu_ms_per_letter": worker_cpu / len(times) * 1000}


def measure_batches(spool: Path) -> dict[str, Any]:
    from digitalpost.printing.services import write_batches

    started = time.perf_counter()
    report = write_batches(spool=spool)
    elapsed = time.perf_counter() - started
    return {"letters": report.letters, "batches": len(report.batches), "seconds": elapsed,
            "per_s": report.letters / elapsed if elapsed else 0.0}


def report(figures: dict[str, Any]) -> str:
    rows = [("render_letter (2 pages, in memory)", figures["render"]),
            (f"PRINT job (batches, {figures['jobs']['render_processes']} render proc.)", figures["jobs"])]
    lines = [f"print benchmark — {DATABASES[figures['setup']['database']]}",
             f"{'print letters':<42} {'letters':>8} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}"]
    for name, row in rows:
        lines.append(f"{name:<42} {row['letters']:>8} {row['per_s']:>8.1f} {row['p50_ms']:>8.1f} "
                     f"{row['p99_ms']:>8.1f}")
    cpu, worker = figures["jobs"]["cpu_ms_per_letter"], figures["jobs"]["worker_cpu_ms_per_letter"]
    lines.append(f"{'  CPU per letter (worker + render proc.)':<42} {cpu:>8.2f} ms  (worker {worker:.2f} ms)")
    batches = figures["batches"]
    lines.append(f"{'write_batches (spool, fsynced)':<42} {batches['letters']:>8} {batches['per_s']:>8.1f} "
                 f"{'':>8} {'':>8}  ({batches['batches']} batches)")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--render", type=int, default=200, help="letters rendered in memory (default 200)")
    parser.add_argument("--jobs", type=int, default=200, help="PRINT jobs run through the worker (default 200)")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "print.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var folder")
    database_option(parser)
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, var: Path, database_url: str | None, out: Path, *, started: float,
            load_before: float) -> int:
    """Every print figure on a fresh hub in this process; the table on stdout, the figures in `out`."""
    log(f"fresh var folder {var}: migrate + demo load (in-process, {DATABASES[args.database]})")
    setup_django(var, database_url)
    pdf = decision_pdf()
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {"database": args.database, "cpus": os.cpu_count(),
                  "python": platform.python_version(), "machine": platform.machine(),
                  "decision_pdf_bytes": len(pdf)},
    }
    log(f"render_letter × {args.render}")
    figures["render"] = measure_render(args.render, pdf)
    log(f"accepting {args.jobs} messages to exempt citizens (not timed)")
    queue_print_messages(args.jobs, pdf)
    log("running the PRINT jobs")
    figures["jobs"] = measure_jobs(args.jobs)
    log("writing the batches to the spool folder")
    figures["batches"] = measure_batches(var / "print-spool")
    log(f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    publish(figures, report, out, started=started, load_before=load_before)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    var = Path(tempfile.mkdtemp(prefix="digitalpost-bench-print-"))
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    out = figures_path(args.json, args.database)
    try:
        with bench_database(args.database, "bench_print") as database_url:
            return measure(args, var, database_url, out, started=started, load_before=load_before)
    except BenchError as exc:
        print(f"\nprint bench failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nprint bench interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
