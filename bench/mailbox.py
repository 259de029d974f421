"""Mailbox benchmark: the web mailbox's pages with a large database, HTTP request to last byte.

One run per database — SQLite (the embedded default, in a fresh temporary DIGITALPOST_VAR) and PostgreSQL (a server
of its own, started the way the tests start one: tests/helpers/pgserver.py):

1. `digitalpost migrate`, then a seed in its own process (Django set up there): one authority, `--recipients`
   citizens with their mailboxes, `--messages` delivered letters (Anna gets `--anna` of them, 300 of hers in her
   folder "Skat"), each with its search entry, written as raw multi-row INSERTs in large transactions (the full-text
   index is kept by the database as in production: FTS5 triggers, the generated tsvector column), then ANALYZE;
2. `digitalpost run` (one web process, no workers), Anna's mailbox session made the way sign-in makes it;
3. for each page — the mailbox's first page, her folder, page 50 of the inbox and a search for one word —
   `--requests` GETs over one keep-alive connection (after a few to warm up), timed from request to last byte;
4. a table per database with p50/p95 in ms, the load average while each page ran and PASS/FAIL, and the figures as
   JSON in var/bench/mailbox.json.

Bar (brief §6, issue 15): p95 < 100 ms for the first page and for a search, on each database. The brief asks for
1,000,000 messages, 100,000 recipients, Anna with 5,000 (the defaults). Seeding that takes minutes per database:
`--keep` keeps the seeded folders and `--reuse FOLDER` migrates and measures them again without seeding (after a
change of code or indexes); `bench/profile_mailbox.py FOLDER/<database>` shows where a page's time goes.
Run alone: `.venv/bin/python bench/mailbox.py [--databases sqlite] [--messages N] [--recipients N] [--keep]`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "tests"))  # the PostgreSQL launcher the tests use (tests/helpers/pgserver.py)

from helpers.pgserver import throwaway_postgres  # noqa: E402

VENV_BIN = Path(sys.executable).parent
BAR_MS = 100.0
BAR_PAGES = ("first page", "search")
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SCRUBBED_ENV = ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING",
                "PYTEST_VERSION", "DJANGO_SETTINGS_MODULE", "DIGITALPOST_DEBUG", "HOST", "PORT")
SUBJECTS = ["Årsopgørelse", "Ejendomsvurdering", "Boligstøtte", "Affaldsordning", "Tandpleje", "Nyhedsbrev",
            "Parkeringstilladelse", "Daginstitution", "Indkaldelse", "Afgørelse", "Kvittering", "Forskudsopgørelse",
            "Vejarbejde", "Pension", "Sygedagpenge", "Valgkort", "Byggetilladelse", "Hundeskat", "Skolestart",
            "Ferieafregning"]
FILLER = ["kommune", "borger", "ansøgning", "beløb", "frist", "oplysninger", "sagsnummer", "venlig", "hilsen",
          "betaling", "adresse", "dokumentation", "bilag", "klage", "vejledning", "tilskud", "periode", "måned"]
SEARCH_WORD = "ejendomsvurdering"
ROWS_PER_INSERT = 500


def log(text: str) -> None:
    # stderr: the seed's stdout carries its result to the parent.
    print(f"[bench mailbox {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(max(int(-(-p * len(ordered) // 100)), 1), len(ordered)) - 1]


# ------------------------------------------------------------------------------------------ the seed (own process)


def seed(messages: int, recipients: int, anna_count: int) -> dict[str, Any]:
    """Runs with Django set up for the bench's DIGITALPOST_VAR; returns Anna's session and folder."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    from digitalpost.authorities.services.organisation import create_authority
    from digitalpost.filing.models import Folder, Placement, SearchEntry
    from digitalpost.messages.models import Message
    from digitalpost.registry.models import Contact
    from digitalpost.registry.services import register_contact

    rng = random.Random(15)
    authority = create_authority(cvr="29189846", name="Nordby Kommune")
    anna = register_contact(kind=Contact.Kind.CITIZEN, number="0505851234", name="Anna Andersen")
    uid = Message._meta.get_field("id")
    no_actions = Message._meta.get_field("actions").get_db_prep_value([], connection)

    def prep(value: uuid.UUID) -> Any:
        return uid.get_db_prep_value(value, connection)

    def insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: COPY; SQLite: raw multi-row INSERTs, one statement per ROWS_PER_INSERT rows."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, cursor.cursor.copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        with connection.cursor() as cursor:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start:start + ROWS_PER_INSERT]
                one = "(" + ", ".join(["%s"] * len(columns)) + ")"
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
                cursor.execute(sql, [value for row in chunk for value in row])

    now = datetime.now(UTC)
    mailboxes = [(anna.mailbox.pk, anna.pk)]
    started = time.monotonic()
    with transaction.atomic():
        contacts, boxes = [], []
        for number in range(1, recipients):
            contact_id, mailbox_id = uuid.uuid4(), uuid.uuid4()
            contacts.append((prep(contact_id), "CITIZEN", f"{1_000_000_000 + number:010d}", f"Borger {number}",
                             "REGISTERED", "", "", "", "DK", now, "", True, ""))
            boxes.append((prep(mailbox_id), prep(contact_id), now))
            mailboxes.append((mailbox_id, contact_id))
        insert("registry_contact", ["id", "kind", "number", "name", "status", "address_line", "postal_code", "city",
                                    "country", "status_changed_at", "notification_email", "notify_by_email",
                                    "mobile_number"], contacts)
        insert("registry_mailbox", ["id", "owner_id", "created_at"], boxes)
    log(f"seed: {recipients} recipients in {time.monotonic() - started:.1f} s")

    message_columns = ["id", "transmission_id", "message_uuid", "sender_message_id", "authority_id", "direction",
                       "mailbox_id", "sender_label", "label", "message_type", "memo_version", "is_mandatory",
                       "is_legal_notification", "is_to_authority_as_company", "memo_blob", "memo_sha256",
                       "memo_size", "state", "channel", "accepted_at", "delivered_at", "read_at", "actions",
                       "has_undated_action", "written_by"]
    entry_columns = ["message_id", "owner_id", "owner_key", "sender", "label", "body", "attachments"]
    annas: list[uuid.UUID] = []
    batch = 20_000
    started = time.monotonic()
    for first in range(0, messages, batch):
        rows, entries = [], []
        for n in range(first, min(first + batch, messages)):
            mailbox_id, owner_id = mailboxes[0] if n < anna_count else mailboxes[1 + n % (len(mailboxes) - 1)]
            message_id = uuid.uuid4()
            if n < anna_count:
                annas.append(message_id)
            subject = f"{rng.choice(SUBJECTS)} {rng.randint(2019, 2026)}"
            at = now - timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60))
            body = " ".join(rng.choices(FILLER, k=12))
            digest = f"{n:064x}"
            rows.append((prep(message_id), prep(uuid.uuid4()), prep(uuid.uuid4()), "", prep(authority.pk),
                         "TO_PARTY", prep(mailbox_id), authority.name, subject, "DIGITALPOST", "1.2", False, False,
                         False, digest, digest, 4096, "DELIVERED", "DIGITAL", at, at,
                         at if rng.random() < 0.7 else None, no_actions, False, ""))
            entries.append((prep(message_id), prep(owner_id), owner_id.hex, authority.name, subject,
                            f"{subject}. {body}", "brev.pdf"))
        with transaction.atomic():
            insert("messaging_message", message_columns, rows)
            insert("filing_searchentry", entry_columns, entries)
        done = min(first + batch, messages)
        rate = done / (time.monotonic() - started)
        log(f"seed: {done}/{messages} messages ({rate:.0f}/s)")
    folder = Folder.objects.create(owner=anna, name="Skat", created_at=now)
    Placement.objects.bulk_create(Placement(message_id=pk, owner=anna, folder=folder, moved_at=now)
                                  for pk in annas[:300])
    with connection.cursor() as cursor:
        # Planner statistics, as production gathers them (SQLite: `PRAGMA optimize` on closing a connection;
        # PostgreSQL: autovacuum) — a bulk load of this size would otherwise be planned without any.
        cursor.execute("ANALYZE") if connection.vendor == "sqlite" else cursor.execute("VACUUM ANALYZE")
    assert SearchEntry.objects.filter(owner=anna).count() == anna_count
    return {"session": anna_session(), "cookie": settings.DIGITALPOST_MAILBOX_SESSION_COOKIE,
            "folder": str(folder.pk)}


def anna_session() -> str:
    """A fresh mailbox session for Anna, made the way sign-in makes it (Django set up)."""
    from django.contrib.sessions.backends.db import SessionStore

    from digitalpost.inbox.signin import MailboxAccess, open_mailbox_session
    from digitalpost.registry.models import Contact

    session = SessionStore()
    open_mailbox_session(session, MailboxAccess(Contact.objects.get(number="0505851234"), "READ_WRITE"),
                         via_oidc=False)
    session.save()
    return str(session.session_key)


# ------------------------------------------------------------------------------------------ the measurement


def timed_gets(port: int, path: str, cookie: str, count: int, warmup: int = 5) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    try:
        for i in range(warmup + count):
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
            if i >= warmup:
                times.append(elapsed)
    finally:
        conn.close()
    return times


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited ({proc.returncode}) while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/apis/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the hub did not answer /apis/v1/health")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--anna", type=int, default=5_000, help="Anna's share of the messages")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--databases", default=",".join(DATABASES),
                        help="which databases, comma-separated (default: sqlite,postgresql)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded folders (printed) for --reuse")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="a folder --keep left: migrate and measure its seeded databases again, no seed")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--session-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    if unknown := set(args.databases) - set(DATABASES):
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    return args


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def measure(database: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Seed (unless reused) and measure one database; the folder holds the hub's var (and PostgreSQL's cluster)."""
    var = folder / "var"
    var.mkdir(parents=True, exist_ok=True)
    for path in (folder.parent, folder):
        path.chmod(0o711)  # as root, PostgreSQL runs as its own user and must reach its cluster in here
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    # Demo mode only for its throwaway secret key in the temporary folder (as `make run` does).
    env.update({"DIGITALPOST_VAR": str(var), "PYTHONPATH": str(REPO / "src"), "DIGITALPOST_DEMO": "1"})
    with contextlib.ExitStack() as stack:
        if database == "postgresql":
            url = stack.enter_context(throwaway_postgres(keep=folder / "postgres"))
            create_database(url)
            env["DATABASE_URL"] = url
        subprocess.run([str(VENV_BIN / "digitalpost"), "migrate"], env=env, cwd=REPO, check=True,
                       capture_output=True)
        state_file = var / "bench-state.json"
        seed_seconds = None
        if not state_file.exists():
            log(f"{database}: seeding {args.messages:,} messages into {folder}")
            started = time.monotonic()
            seeded = subprocess.run([sys.executable, __file__, "--seed-only", "--messages", str(args.messages),
                                     "--recipients", str(args.recipients), "--anna", str(args.anna)],
                                    env=env, cwd=REPO, check=True, stdout=subprocess.PIPE)
            seed_seconds = round(time.monotonic() - started, 1)
            state = json.loads(seeded.stdout.decode().strip().splitlines()[-1])
            state.update({"messages": args.messages, "recipients": args.recipients, "anna": args.anna,
                          "search": SEARCH_WORD, "seed_seconds": seed_seconds})
            state_file.write_text(json.dumps(state, indent=2) + "\n")
        state = json.loads(state_file.read_text())
        if seed_seconds is None:  # reused: the seed's session has passed its idle limit since
            made = subprocess.run([sys.executable, __file__, "--session-only"], env=env, cwd=REPO, check=True,
                                  stdout=subprocess.PIPE)
            state["session"] = made.stdout.decode().strip().splitlines()[-1]
        port = free_port()
        proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(port), "--web-workers", "1",
                                 "--delivery-workers", "0", "--no-smtp", "--no-scheduler"],
                                env=env, cwd=REPO, stdout=(var / "hub.log").open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        stack.callback(stop, proc)
        wait_healthy(port, proc)
        cookie = f"{state['cookie']}={state['session']}"
        pages = {"first page": "/post/", "folder page": f"/post/folders/{state['folder']}/",
                 "page 50": "/post/?page=50", "search": f"/post/search/?q={state['search']}"}
        results = {}
        for name, path in pages.items():
            before = load_average()
            times = timed_gets(port, path, cookie, args.requests)
            results[name] = {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
                             "load_average": [before, load_average()]}
            log(f"{database} {name}: p50 {results[name]['p50_ms']} ms, p95 {results[name]['p95_ms']} ms "
                f"(load average {before} → {results[name]['load_average'][1]})")
    return {"database": database, "messages": state["messages"], "recipients": state["recipients"],
            "anna": state["anna"], "seed_seconds": state.get("seed_seconds"), "reused": seed_seconds is None,
            "pages": results, "bars_met": {name: results[name]["p95_ms"] < BAR_MS for name in BAR_PAGES}}


def create_database(server_url: str) -> None:
    import psycopg

    base, name = server_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


def table(run: dict[str, Any]) -> str:
    seeded = "reused" if run["reused"] else f"seeded in {run['seed_seconds']:.0f} s"
    rows = [f"Mailbox pages, {DATABASES[run['database']]}, {run['messages']:,} messages, {run['recipients']:,} "
            f"recipients, Anna {run['anna']:,} ({seeded})",
            f"{'page':<14}{'p50 ms':>10}{'p95 ms':>10}  {'load average':<14}bar"]
    for name, figures in run["pages"].items():
        verdict = (("PASS" if run["bars_met"][name] else "FAIL") + f" (p95 < {BAR_MS:.0f} ms)"
                   if name in run["bars_met"] else "")
        load = "{:.2f} → {:.2f}".format(*figures["load_average"])
        rows.append(f"{name:<14}{figures['p50_ms']:>10}{figures['p95_ms']:>10}  {load:<14}{verdict}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed_only:
        print(json.dumps(seed(args.messages, args.recipients, args.anna)))
        return 0
    if args.session_only:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
        django.setup()
        print(anna_session())
        return 0
    root = args.reuse or Path(tempfile.mkdtemp(prefix="digitalpost-bench-mailbox-"))
    runs: dict[str, dict[str, Any]] = {}
    load_before = load_average()
    try:
        for database in args.databases:
            runs[database] = measure(database, root / database, args)
    finally:
        if args.keep or args.reuse:
            log(f"kept {root}: measure it again with --reuse {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print("\n\n".join(table(run) for run in runs.values()))
    print(f"(load average {load_before} before, {load_average()} after; the machine's other processes share its CPUs)")
    out = REPO / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mailbox.json").write_text(json.dumps({
        "at": datetime.now(UTC).isoformat(), "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": load_average()}, "bar_ms": BAR_MS, "runs": runs,
    }, indent=2) + "\n")
    return 0 if all(all(run["bars_met"].values()) for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
