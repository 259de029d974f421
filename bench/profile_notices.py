"""Where does a notice's time go? The NOTIFY worker path in-process, against a real SMTP relay in its own process.

    .venv/bin/python bench/profile_notices.py [-n 200] [--batch 25] [--top 25]

Runs in a fresh temporary DIGITALPOST_VAR (SQLite + blobs, like `make bench`) with an aiosmtpd sink on 127.0.0.1
as the relay (a process of its own, so its CPU is not counted here): accepts `n` benchmark MeMos for the demo's
registered citizen, who wants e-mail notices, delivers them (not timed), then sends their notices the way the
notices worker does (`run_batch` with the NOTIFY batch handler) and prints per notice: wall ms, CPU ms of this
thread, SQL statements, the time in named phases, and the top functions of a cProfile run of a second set.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from profile_ingest import Counters, Phases, demo_sender, print_phases, print_profile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=200, help="notices per measured set")
    parser.add_argument("--batch", type=int, default=25, help="jobs per batch claim")
    parser.add_argument("--top", type=int, default=25, help="functions to list (0: no cProfile run)")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="digitalpost-profile-"))
    port = free_port()
    for name in ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING"):
        os.environ.pop(name, None)
    os.environ |= {"DIGITALPOST_DEMO": "1", "DIGITALPOST_VAR": str(var),
                   "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings", "DIGITALPOST_LOG_LEVEL": "WARNING",
                   "DIGITALPOST_SMTP_RELAY_HOST": "127.0.0.1", "DIGITALPOST_SMTP_RELAY_PORT": str(port)}
    # A relay that takes every mail and keeps none (aiosmtpd's Sink), in a process of its own.
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                             "-l", f"127.0.0.1:{port}"])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return run(args)
    finally:
        sink.terminate()
        sink.wait(10)
        shutil.rmtree(var, ignore_errors=True)


def install_phases(phases: Phases) -> None:
    from django.db import connections

    from digitalpost.hub import relay
    from digitalpost.notifications import services
    from digitalpost.outbox import services as outbox

    phases.wrap(outbox, "claim_batch", "claim_batch (incl. commit)")
    phases.wrap(services, "_notice_mail", "compose the notice mails")
    if hasattr(relay, "send_via_relay"):
        phases.wrap(relay, "send_via_relay", "  send_via_relay (per mail)")
    if hasattr(relay, "_serialised"):
        phases.wrap(relay, "_serialised", "    serialise the mail")
    if hasattr(relay, "_Connection"):
        phases.wrap(relay._Connection, "send", "    SMTP dialogue (MAIL, RCPT, DATA)")
    phases.wrap(services, "_record_notices", "record the notices (incl. commit)")
    phases.wrap(services, "effective_statuses", "  owners' statuses")
    phases.wrap(type(connections["default"]), "_commit", f"{connections['default'].vendor} COMMIT")


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
    from digitalpost.notifications.models import Notice
    from digitalpost.outbox.models import Job, WorkKind
    from digitalpost.outbox.worker import run_batch

    call_command("migrate", interactive=False, verbosity=0)
    accept, _ = demo_sender()

    def accept_and_deliver(n: int) -> None:
        accept(n)
        while run_batch(WorkKind.DELIVER, BATCH_HANDLERS[WorkKind.DELIVER], HANDLERS, on_give_up=GIVE_UP):
            pass

    def notify() -> bool:
        return run_batch(WorkKind.NOTIFY, BATCH_HANDLERS[WorkKind.NOTIFY], HANDLERS, on_give_up=GIVE_UP,
                         limit=args.batch)

    accept_and_deliver(5)
    while notify():  # warm up imports, caches and the relay connection
        pass
    counters = Counters()
    phases = Phases()
    install_phases(phases)
    accept_and_deliver(args.n)
    phases.reset()
    before = Notice.objects.count()
    with connection.execute_wrapper(counters.execute):
        start, cpu_start = time.perf_counter(), time.thread_time()
        while notify():
            pass
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
    sent = Notice.objects.count() - before
    left = Job.objects.filter(kind=WorkKind.NOTIFY, run_after__lte=timezone.now()).exclude(state=Job.State.DONE)
    if sent != args.n or left.exists():
        print(f"{sent} of {args.n} notices sent; left: {set(left.values_list('last_error', flat=True))}",
              file=sys.stderr)
        return 1
    n = args.n
    sql = ", ".join(f"{k} {v / n:.2f}" for k, v in counters.sql.most_common())
    print(f"NOTIFY batched (run_batch, up to {args.batch}), {n} notices: {elapsed / n * 1000:.2f} ms/notice "
          f"(CPU {cpu / n * 1000:.2f} ms of the worker's thread), {n / elapsed:.0f}/s; SQL per notice "
          f"{sum(counters.sql.values()) / n:.2f} ({sql})")
    print_phases(phases, n, width=46, digits=3)
    if args.top:
        accept_and_deliver(n)
        profiler = cProfile.Profile()
        profiler.enable()
        while notify():
            pass
        profiler.disable()
        print("\ncProfile: NOTIFY batched")
        print_profile(profiler, n, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
