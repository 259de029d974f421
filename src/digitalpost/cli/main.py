"""`digitalpost …`: Typer commands that set up Django and hand over to services or servers."""

from __future__ import annotations

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
from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django
from digitalpost.cli.operator_tools import audit_app, register_app, thread_app
from digitalpost.cli.printing import print_app

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
) -> None:
    """Run a delivery worker until interrupted (SIGINT/SIGTERM finish the current job, then stop)."""
    _django()
    from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS, lane_threads
    from digitalpost.outbox.models import WorkKind
    from digitalpost.outbox.worker import run_forever

    if nice:
        os.nice(nice)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    wanted = [WorkKind(k.strip()) for k in kinds.split(",") if k.strip()]
    console.print(f"worker: taking {', '.join(wanted)}")
    run_forever(wanted, HANDLERS, stop=stop, on_give_up=GIVE_UP, lease=timedelta(seconds=lease_seconds),
                batch_handlers=BATCH_HANDLERS, lane_threads=lane_threads())


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
    """Start the whole hub: web + API (gunicorn, WSGI), the delivery workers and the doctor. Ctrl-C stops all."""
    # Links in alerts and notices point where this hub listens, unless configured otherwise.
    here = f"http://{host}:{port}"
    env = {"DIGITALPOST_PORTAL_URL": here, "DIGITALPOST_MAILBOX_URL": f"{here}/", **os.environ,
           "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings"}
    web_env = {"DIGITALPOST_GROUP_COMMIT": "1", **env}
    exe = Path(sys.executable).parent
    children = [
        subprocess.Popen(  # noqa: S603
            [str(exe / "gunicorn"), "digitalpost.config.wsgi:application", "--bind", f"{host}:{port}",
             "--workers", str(web_workers), "--worker-class", "gthread", "--threads", str(web_threads),
             "--access-logfile", "-", "--log-level", "warning",
             # Masks CPR numbers in request lines (an old client's GET /apis/v1/contacts?cprNumber=…).
             "--logger-class", "digitalpost.config.logs.GunicornLogger"],
            env=web_env,
        )
    ]
    children += [
        subprocess.Popen([str(exe / "digitalpost"), "worker", "--nice", "5"], env=env)  # noqa: S603
        for _ in range(delivery_workers)
    ]
    # Notices and NemSMS, and mass sends, have workers of their own (mass sends at a lower priority), so
    # deliveries, forwards and letters never wait behind them.
    children.append(subprocess.Popen(  # noqa: S603
        [str(exe / "digitalpost"), "worker", "--kinds", "NOTIFY,SMS", "--nice", "5"], env=env))
    children.append(subprocess.Popen(  # noqa: S603
        [str(exe / "digitalpost"), "worker", "--kinds", "DELIVER_BULK", "--nice", "10"], env=env))
    if with_smtp:
        children.append(subprocess.Popen([str(exe / "digitalpost"), "smtp"], env=env))  # noqa: S603
    if with_scheduler:
        children.append(subprocess.Popen([str(exe / "digitalpost"), "scheduler"], env=env))  # noqa: S603
    children.append(subprocess.Popen([str(exe / "digitalpost"), "print", "run"], env=env))  # noqa: S603
    if os.environ.get("DIGITALPOST_DEMO") == "1" and with_smtp:
        children.append(subprocess.Popen([str(exe / "digitalpost"), "demo", "mailserver"], env=env))  # noqa: S603
    console.print(f"[bold green]digitalpost is running at http://{host}:{port}/[/bold green]  (Ctrl-C stops it)")
    _supervise(children)


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    """Wait until a child exits or we are asked to stop, then stop every child."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.is_set() and all(child.poll() is None for child in children):
        stopping.wait(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    raise typer.Exit(1 if failed and not stopping.is_set() else 0)


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
) -> None:
    """Run the inbound secure-mail gateway (SMTP with STARTTLS required) until interrupted."""
    _django()
    from django.conf import settings

    from digitalpost.gateway.server import Gateway

    gateway = Gateway(host or settings.DIGITALPOST_GATEWAY_HOST, port or settings.DIGITALPOST_GATEWAY_PORT)
    _serve(gateway.controller(), f"secure-mail gateway on {gateway.host}:{gateway.port}")


def _serve(controller: object, what: str) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    controller.start()  # type: ignore[attr-defined]
    console.print(what)
    try:
        stop.wait()
    finally:
        controller.stop()  # type: ignore[attr-defined]


@demo_app.command("mailserver")
def demo_mailserver(port: int = typer.Option(0, help="Port (default DIGITALPOST_SMTP_RELAY_PORT).")) -> None:
    """Stand in for the demo authority's mail server: store every mail as an .eml file."""
    _django()
    from django.conf import settings

    from digitalpost.cli.mailserver import maildir_server

    folder = settings.DIGITALPOST_AUTHORITY_MAILDIR
    port = port or settings.DIGITALPOST_SMTP_RELAY_PORT
    _serve(maildir_server(folder, host="127.0.0.1", port=port), f"demo authority mail server on :{port} → {folder}")


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
