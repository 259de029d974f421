"""`digitalpost …`: Typer commands that set up Django and hand over to services or servers."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import typer

from digitalpost.cli import doctor as doctor_commands
from digitalpost.cli import reply as reply_command
from digitalpost.cli import send_mail as send_mail_command
from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django
from digitalpost.cli.operator_tools import audit_app, register_app, thread_app
from digitalpost.cli.printing import print_app
from digitalpost.cli.retention import retention_app
from digitalpost.cli.storage import backup as backup_command
from digitalpost.cli.storage import check as check_command
from digitalpost.cli.storage import keys_app, report_hub_key_problems, require_usable_blob_store
from digitalpost.cli.storage import restore as restore_command
from digitalpost.hub.heap import freeze_startup_heap
from digitalpost.hub.metrics import MULTIPROCESS_DIR, prepare_multiprocess_dir

app = typer.Typer(help="digitalpost: a self-hostable Digital Post hub.", no_args_is_help=True)
app.command("doctor")(doctor_commands.doctor)
app.command("probe")(doctor_commands.probe)
app.command("scheduler")(doctor_commands.scheduler)
demo_app = typer.Typer(help="Demo data (demo mode only).", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(print_app, name="print")
app.add_typer(register_app, name="register")
app.add_typer(thread_app, name="thread")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
app.command("check")(check_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)




@app.command()
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    console.print("[green]Database is up to date.[/green]")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (e.g. `digitalpost manage createsuperuser`)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["digitalpost manage", *ctx.args])


@app.command()
def worker(
    kinds: str = typer.Option("DELIVER,FORWARD,PRINT", help="Comma-separated work kinds this worker takes."),
    lease_seconds: float = typer.Option(300, help="How long a claimed job stays ours before others may retry it."),
    nice: int = typer.Option(0, help="Lower this worker's CPU priority so accepting mail stays fast under load."),
    idle_max_seconds: float = typer.Option(
        0.05, help="Longest wait between looks for work while the queues stay empty (from 0.05 s, doubling)."),
    gather_seconds: float = typer.Option(
        0.0, help="After a round of only partial batches, wait this long so the next batches are fuller."),
) -> None:
    """Run a delivery worker until interrupted (SIGINT/SIGTERM finish the current job, then stop)."""
    _django()
    from django.conf import settings

    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS, batch_limits, lane_threads
    from digitalpost.outbox.models import WorkKind
    from digitalpost.outbox.worker import Heartbeat, run_forever

    if nice:
        os.nice(nice)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    wanted = [WorkKind(k.strip()) for k in kinds.split(",") if k.strip()]
    require_usable_blob_store()
    if WorkKind.PRINT in wanted:
        from digitalpost.printing.rendering import start_render_processes

        start_render_processes()  # in the background: they are ready by the time letters are due
    console.print(f"worker: taking {', '.join(wanted)}")
    freeze_startup_heap()  # after start-up, before the first job: no full collection walks start-up's objects
    with Heartbeat(wanted, interval=settings.DIGITALPOST_WORKER_HEARTBEAT_SECONDS,
                   stale_after=settings.DIGITALPOST_WORKER_STALE_SECONDS) as heartbeat:
        run_forever(wanted, HANDLERS, stop=stop, on_give_up=GIVE_UP, lease=timedelta(seconds=lease_seconds),
                    batch_handlers=BATCH_HANDLERS, lane_threads=lane_threads(), heartbeat=heartbeat,
                    idle_sleep_max=idle_max_seconds, batch_limits=batch_limits(), gather=gather_seconds)


@demo_app.command("load")
def demo_load(
    base_url: str = typer.Option("http://127.0.0.1:8000", help="Where the hub will be reachable."),
) -> None:
    """Load the deterministic demo data and write var/demo.json (safe to run again)."""
    _django()
    from digitalpost.cli.demo import load_demo, print_demo

    print_demo(load_demo(base_url=base_url), console)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", envvar="HOST"),
    port: int = typer.Option(8000, envvar="PORT"),
    web_workers: int = typer.Option(2, help="Web server processes."),
    web_threads: int = typer.Option(
        8, envvar="DIGITALPOST_WEB_THREADS", help="Request threads per web process (their commits are batched)."
    ),
    delivery_workers: int = typer.Option(1, help="Delivery worker processes."),
    with_smtp: bool = typer.Option(True, "--smtp/--no-smtp", help="Also run the secure-mail gateway."),
    with_scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                        help="Also run the doctor's scheduler (checks, alerts, probes)."),
) -> None:
    """Start the whole hub: web + API (granian), the delivery workers and the doctor. Ctrl-C stops all."""
    _django()
    require_usable_blob_store()  # a wrong or missing master key stops here, not at the first reader
    report_hub_key_problems()  # said at start; the REST paths work without them, so the hub still starts
    from django.conf import settings

    demo_mailserver = os.environ.get("DIGITALPOST_DEMO") == "1" and with_smtp
    # Every port this command would listen on, and what moves it: checked before anything starts.
    ports = [(host, port, "--port or PORT")]
    if with_smtp:
        ports.append((settings.DIGITALPOST_GATEWAY_HOST, settings.DIGITALPOST_GATEWAY_PORT, "DIGITALPOST_GATEWAY_PORT"))
    if demo_mailserver:
        ports.append(("127.0.0.1", settings.DIGITALPOST_SMTP_RELAY_PORT, "DIGITALPOST_SMTP_RELAY_PORT"))
    for busy_host, busy_port, setting in ports:
        if not _port_free(busy_host, busy_port):
            console.print(f"[red]Port {busy_port} on {busy_host} is already in use[/red] (another digitalpost "
                          f"or another program?). Stop it, or move this hub with {setting}=<free port>.")
            raise typer.Exit(1)
    # Links in alerts and notices point where this hub listens, unless configured otherwise.
    here = f"http://{host}:{port}"
    env = {"DIGITALPOST_PORTAL_URL": here, "DIGITALPOST_MAILBOX_URL": f"{here}/", **os.environ,
           "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings"}
    if MULTIPROCESS_DIR not in env:  # every process counts into one folder, /metrics adds them up
        env.update(prepare_multiprocess_dir(Path(env.get("DIGITALPOST_VAR", "var")).resolve() / "metrics"))
    web_env = {**env, "DIGITALPOST_GROUP_COMMIT": os.environ.get("DIGITALPOST_GROUP_COMMIT", "1"),
               "DIGITALPOST_WEB_THREADS": str(web_threads)}
    exe = Path(sys.executable).parent
    children = _Children()
    try:
        children.start(_granian_argv(host, port, web_workers), web_env)
        for _ in range(delivery_workers):
            children.start([str(exe / "digitalpost"), "worker", "--nice", "5"], env)
        # Notices, NemSMS, receipts pushed to senders and receipt mails of letters started by secure mail, and mass
        # sends, have workers of their own (mass sends at a lower priority), so deliveries, forwards and letters never
        # wait behind them. Their work may wait half a second: idle, they look for it less often (decision 0016).
        # Busy, it gathers notices for a quarter of a second between batches: fuller batches, less CPU per notice
        # on the cores the deliveries need (decision 0025).
        children.start([str(exe / "digitalpost"), "worker", "--kinds", "NOTIFY,SMS,PUSH_EVENTS,LETTER_RECEIPT",
                        "--nice", "5", "--idle-max-seconds", "0.5", "--gather-seconds", "0.25"], env)
        children.start([str(exe / "digitalpost"), "worker", "--kinds", "DELIVER_BULK", "--nice", "10",
                        "--idle-max-seconds", "0.5"], env)
        if with_smtp:
            children.start([str(exe / "digitalpost"), "smtp"], env)
        if with_scheduler:
            children.start([str(exe / "digitalpost"), "scheduler"], env)
        children.start([str(exe / "digitalpost"), "print", "run"], env)
        if demo_mailserver:
            children.start([str(exe / "digitalpost"), "demo", "mailserver"], env)
        console.print(f"[bold green]digitalpost is running at http://{host}:{port}/[/bold green]  (Ctrl-C stops it)")
        children.supervise()
    finally:
        children.stop_all()
    raise typer.Exit(children.exit_code)


@app.command()
def web(
    host: str = typer.Option("127.0.0.1", envvar="HOST"),
    port: int = typer.Option(8000, envvar="PORT"),
    web_workers: int = typer.Option(2, help="Web server processes."),
    web_threads: int = typer.Option(
        8, envvar="DIGITALPOST_WEB_THREADS", help="Request threads per web process (their commits are batched)."
    ),
) -> None:
    """Only the web server and API (granian), for service managers that run the workers, the gateway and the
    scheduler as services of their own (deploy/: containers, systemd units). `run` starts all of them at once."""
    _django()
    require_usable_blob_store()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings",
           "DIGITALPOST_GROUP_COMMIT": os.environ.get("DIGITALPOST_GROUP_COMMIT", "1"),
           "DIGITALPOST_WEB_THREADS": str(web_threads)}
    if MULTIPROCESS_DIR not in env:  # granian's processes count into one folder, /metrics adds them up
        env.update(prepare_multiprocess_dir(Path(env.get("DIGITALPOST_VAR", "var")).resolve() / "metrics-web"))
    argv = _granian_argv(host, port, web_workers)
    sys.stdout.flush()
    # granian takes this process's place, so the service manager's signals reach it directly.
    os.execve(argv[0], argv, env)  # noqa: S606


def _granian_argv(host: str, port: int, web_workers: int) -> list[str]:
    """granian reads headers on its event loop (a client slower than the header timeout is dropped) and our ASGI
    front reads bodies there too: a slow client never holds one of the request threads."""
    from django.conf import settings

    return [
        str(Path(sys.executable).parent / "granian"), "--interface", "asginl", "digitalpost.config.asgi:application",
        "--host", host, "--port", str(port), "--workers", str(web_workers), "--http", "1", "--no-ws",
        "--http1-header-read-timeout", str(int(settings.DIGITALPOST_WEB_HEADER_SECONDS * 1000)),
        # A worker that was still starting when the stop came may miss it: killed after 10 s, never orphaned.
        "--workers-kill-timeout", "10",
        "--access-log", "--log-level", "warning",
        # granian's access line has the path without the query string; a CPR-shaped number anywhere in it, or in
        # its error log, is masked all the same (config.logs).
        "--log-config", str(_granian_log_config(Path(settings.VAR_DIR))),
    ]


def _granian_log_config(var: Path) -> Path:
    """granian's logging set-up with the CPR mask on its access and error logs (config.logs.MaskCprNumbers)."""
    import json

    mask = {"mask_cpr": {"()": "digitalpost.config.logs.MaskCprNumbers"}}
    config = {
        "filters": mask,
        "handlers": {
            "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                        "filters": ["mask_cpr"]},
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                       "filters": ["mask_cpr"]},
        },
    }
    var.mkdir(parents=True, exist_ok=True)
    path = var / "granian-logging.json"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class _Children:
    """The processes `digitalpost run` started, each the leader of its own process group, so stopping one stops
    the processes it started in turn (granian's workers) even if it dies first."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stopping = threading.Event()
        self.exit_code = 0
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())

    def start(self, argv: list[str], env: dict[str, str]) -> None:
        self.procs.append(subprocess.Popen(argv, env=env, start_new_session=True,  # noqa: S603
                                           preexec_fn=_stop_with_parent))

    def supervise(self) -> None:
        """Wait until a child exits or we are asked to stop."""
        while not self.stopping.is_set() and all(child.poll() is None for child in self.procs):
            self.stopping.wait(0.5)
        failed = [c for c in self.procs if c.poll() not in (None, 0, -signal.SIGTERM)]
        if failed and not self.stopping.is_set():
            self.exit_code = 1

    def stop_all(self) -> None:
        """SIGTERM to every child's group, SIGKILL to the groups still there after 10 s."""
        for child in self.procs:
            _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        for child in self.procs:
            _signal_group(child.pid, signal.SIGKILL)  # the group: stragglers a child left behind go too
            child.wait()


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when `digitalpost run` dies, even by SIGKILL (Linux prctl)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1
# Looked up once in the parent: the child between fork and exec only calls it.
_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", lambda *_: 0)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


@app.command()
def errors() -> None:
    """Print the error catalogue as Markdown (the source of docs/errors.md)."""
    from digitalpost.core.errors import catalogue_markdown

    typer.echo(catalogue_markdown(), nl=False)


@app.command("dev-ca")
def dev_ca() -> None:
    """Create a local test CA and the demo's certificates (hub, sender systems, secure address) in var/pki."""
    _django()
    from django.conf import settings

    from digitalpost.cli.devca import ensure_dev_pki

    pki = ensure_dev_pki(settings.DIGITALPOST_PKI_DIR, hub_address=settings.DIGITALPOST_HUB_ADDRESS)
    for path in sorted(pki.folder.glob("*.pem")):
        console.print(f"  {path}")


@app.command()
def smtp(
    host: str = typer.Option("", help="Listen address (default DIGITALPOST_GATEWAY_HOST)."),
    port: int = typer.Option(0, help="Port (default DIGITALPOST_GATEWAY_PORT)."),
    processes: int = typer.Option(0, help="Processes sharing the port (default DIGITALPOST_GATEWAY_PROCESSES)."),
    reuse_port: bool = typer.Option(False, "--reuse-port", hidden=True,
                                    help="One of several processes on the port (started by --processes)."),
) -> None:
    """Run the inbound secure-mail gateway (SMTP with STARTTLS required) until interrupted."""
    _django()
    from django.conf import settings

    from digitalpost.gateway.server import Gateway

    host, port = host or settings.DIGITALPOST_GATEWAY_HOST, port or settings.DIGITALPOST_GATEWAY_PORT
    processes = processes or settings.DIGITALPOST_GATEWAY_PROCESSES
    # Several processes on one port (SO_REUSEPORT): each mail's work is Python, which one process runs on one core.
    shared = reuse_port or processes > 1
    gateway = Gateway(host, port, reuse_port=shared)
    others = _Children() if processes > 1 and not reuse_port else None
    controller = gateway.controller()
    if others is not None:
        exe = Path(sys.executable).parent
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings"}
        for _ in range(processes - 1):
            others.start([str(exe / "digitalpost"), "smtp", "--host", host, "--port", str(port), "--processes", "1",
                          "--reuse-port"], env)
    what = f"secure-mail gateway on {host}:{port}" + (f" ({processes} processes)" if others is not None else "")
    freeze_startup_heap()  # before the first mail (decision 0033)
    _serve(controller, what, others=others)


def _serve(controller: object, what: str, *, others: _Children | None = None) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    controller.start()  # type: ignore[attr-defined]
    console.print(what)
    try:
        # With processes of its own (gateway --processes): when one of them ends, all end (the service manager
        # restarts the whole gateway).
        while not stop.wait(0.5):
            if others is not None and any(child.poll() is not None for child in others.procs):
                break
    finally:
        controller.stop()  # type: ignore[attr-defined]
        if others is not None:
            others.stop_all()


@demo_app.command("mailserver")
def demo_mailserver(port: int = typer.Option(0, help="Port (default DIGITALPOST_SMTP_RELAY_PORT).")) -> None:
    """Stand in for the demo authority's mail server: store every mail as an .eml file."""
    _django()
    from django.conf import settings

    from digitalpost.cli.mailserver import maildir_server

    folder = settings.DIGITALPOST_AUTHORITY_MAILDIR
    port = port or settings.DIGITALPOST_SMTP_RELAY_PORT
    _serve(maildir_server(folder, host="127.0.0.1", port=port), f"demo authority mail server on :{port} → {folder}")


@demo_app.command("totp")
def demo_totp(username: str = typer.Argument(..., help="A demo portal user, e.g. nora.")) -> None:
    """Print the second-factor code the demo user's authenticator app would show now (demo mode only)."""
    _django()
    from django.conf import settings

    from digitalpost.cli.demo import demo_totp_code

    if not settings.DEMO_MODE:
        raise typer.BadParameter("demo totp works in demo mode only (DIGITALPOST_DEMO=1)")
    try:
        console.print(demo_totp_code(username))
    except LookupError as exc:
        raise typer.BadParameter(str(exc)) from None


@demo_app.command("inquiry")
def demo_inquiry(
    cpr: str = typer.Option(..., help="The citizen who writes."),
    mailbox: str = typer.Option(..., help="The authority mailbox id (see var/demo.json)."),
    subject: str = typer.Option(...),
    text: str = typer.Option(...),
    topic: str = typer.Option(""),
) -> None:
    """Write an inquiry exactly as the citizen would in the web mailbox; prints the thread id."""
    _django()
    from django.conf import settings

    from digitalpost.authorities.selectors import access_open_mailbox
    from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
    from digitalpost.core.errors import DigitalPostError
    from digitalpost.registry.models import Contact
    from digitalpost.registry.selectors import get_contact

    if not settings.DEMO_MODE:
        raise typer.BadParameter("demo inquiry works in demo mode only (DIGITALPOST_DEMO=1)")
    party = get_contact(Contact.Kind.CITIZEN, cpr)
    if party is None:
        raise typer.BadParameter(f"no citizen with CPR {cpr}")
    try:
        target = access_open_mailbox(mailbox)
        fields = tuple((f.label, "demo") for f in target.metadata_fields.all() if f.is_required)
        message = send_inquiry(party=party, mailbox=target,
                               inquiry=Inquiry(subject=subject, text=text, topic=topic, metadata=fields))
    except DigitalPostError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.text}")
        raise typer.Exit(1) from None
    typer.echo(str(message.thread_id))


app.command()(reply_command.reply)
app.command("send-mail")(send_mail_command.send_mail)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
