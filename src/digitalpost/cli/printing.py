"""`digitalpost print …`: hand rendered letters to the print provider and read its receipts back.

`batch` and `receipts` do one pass each (for cron or by hand); `run` repeats both every few minutes until
stopped, and is what `digitalpost run` starts. Rendering itself is the workers' PRINT work. The transport (spool
folder or SFTP) comes from DIGITALPOST_PRINT_TRANSPORT; `--spool` always means that folder. A refusal (provider
unreachable, wrong host key) is one line with its code, and exit status 1.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django

print_app = typer.Typer(help="Print (KombiPost): batches to the print provider and its receipts.",
                        no_args_is_help=True)
log = logging.getLogger(__name__)
SPOOL_HELP = "Use this spool folder (default: the configured transport, DIGITALPOST_PRINT_TRANSPORT)."




def _where(spool: Path | None) -> str:
    from django.conf import settings

    if spool is None and settings.DIGITALPOST_PRINT_TRANSPORT == "sftp":
        return (f"sftp://{settings.DIGITALPOST_PRINT_SFTP_USER}@{settings.DIGITALPOST_PRINT_SFTP_HOST}:"
                f"{settings.DIGITALPOST_PRINT_SFTP_PORT}/{settings.DIGITALPOST_PRINT_SFTP_FOLDER}")
    return str(spool or settings.DIGITALPOST_PRINT_SPOOL)


def _refused(exc: Exception) -> None:
    console.print(f"[red]print: {exc}[/red]", soft_wrap=True)


def _batch_pass(spool: Path | None) -> int:
    from digitalpost.printing.services import write_batches

    report = write_batches(spool=spool)
    if report.batches:
        console.print(f"print: {report.letters} letters in {len(report.batches)} batches → {_where(spool)}")
    return report.letters


def _receipt_pass(spool: Path | None) -> int:
    from digitalpost.printing.services import read_receipts

    report = read_receipts(spool=spool)
    for problem in report.problems:
        console.print(f"[yellow]print receipt problem:[/yellow] {problem}")
    if report.files:
        console.print(f"print: {report.files} receipt files, {report.applied} receipts applied, "
                      f"{report.unchanged} already known")
    return len(report.problems)


@print_app.command("batch")
def batch(spool: Path | None = typer.Option(None, help=SPOOL_HELP)) -> None:
    """Put every rendered letter into batches (PDFs + manifest.json) with the print provider."""
    _django()
    from digitalpost.core.errors import DigitalPostError

    try:
        letters = _batch_pass(spool)
    except DigitalPostError as exc:
        _refused(exc)
        raise typer.Exit(1) from None
    if not letters:
        console.print("print: no letters waiting")


@print_app.command("receipts")
def receipts(spool: Path | None = typer.Option(None, help=SPOOL_HELP)) -> None:
    """Apply the provider's receipt files from its receipts/ folder (exit 1 when some lines were bad)."""
    _django()
    from digitalpost.core.errors import DigitalPostError

    try:
        problems = _receipt_pass(spool)
    except DigitalPostError as exc:
        _refused(exc)
        raise typer.Exit(1) from None
    if problems:
        raise typer.Exit(1)


@print_app.command("run")
def run(
    every: float | None = typer.Option(None, envvar="DIGITALPOST_PRINT_EVERY_MINUTES",
                                       help="Minutes between passes (default 5; 0.25 in demo mode)."),
    spool: Path | None = typer.Option(None, help=SPOOL_HELP),
) -> None:
    """Batch letters and read receipts every N minutes until SIGTERM/SIGINT."""
    _django()
    from django.conf import settings

    from digitalpost.core.errors import DigitalPostError

    if every is None:  # the demo's paper letter should be in the spool a moment after `make run`
        every = 0.25 if settings.DEMO_MODE else 5.0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"print: batches and receipts every {every:g} minutes via {_where(spool)}")
    while not stop.is_set():
        try:
            _batch_pass(spool)
            _receipt_pass(spool)
        except DigitalPostError as exc:
            _refused(exc)  # the letters wait; the next pass tries again
        except Exception:
            log.exception("print: the pass failed; trying again next time")
        stop.wait(every * 60)
