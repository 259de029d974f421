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
from rich.console import Console

app = typer.Typer(help="digitalpost: a self-hostable Digital Post hub.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data (demo mode only).", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
console = Console()


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
    import django

    django.setup()


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
    kinds: str = typer.Option("DELIVER,FORWARD", help="Comma-separated work kinds this worker takes."),
    lease_seconds: float = typer.Option(300, help="How long a claimed job stays ours before others may retry it."),
    nice: int = typer.Option(0, help="Lower this worker's CPU priority so accepting mail stays fast under load."),
) -> None:
    """Run a delivery worker until interrupted (SIGINT/SIGTERM finish the current job, then stop)."""
    _django()
    from digitalpost.delivery.handlers import GIVE_UP, HANDLERS
    from digitalpost.outbox.models import WorkKind
    from digitalpost.outbox.worker import run_forever

    if nice:
        os.nice(nice)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    wanted = [WorkKind(k.strip()) for k in kinds.split(",") if k.strip()]
    console.print(f"worker: taking {', '.join(wanted)}")
    run_forever(wanted, HANDLERS, stop=stop, on_give_up=GIVE_UP, lease=timedelta(seconds=lease_seconds))


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
) -> None:
    """Start the whole hub: web + API (gunicorn, WSGI) and the delivery workers. Ctrl-C stops all."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings"}
    web_env = {"DIGITALPOST_GROUP_COMMIT": "1", **env}
    exe = Path(sys.executable).parent
    children = [
        subprocess.Popen(  # noqa: S603
            [str(exe / "gunicorn"), "digitalpost.config.wsgi:application", "--bind", f"{host}:{port}",
             "--workers", str(web_workers), "--worker-class", "gthread", "--threads", str(web_threads),
             "--access-logfile", "-", "--log-level", "warning"],
            env=web_env,
        )
    ]
    children += [
        subprocess.Popen([str(exe / "digitalpost"), "worker", "--nice", "5"], env=env)  # noqa: S603
        for _ in range(delivery_workers)
    ]
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
