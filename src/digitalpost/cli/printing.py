"""`digitalpost print …`: hand rendered letters to the print provider and read its receipts back.

`batch` and `receipts` do one pass each (for cron or by hand); `run` repeats both every few minutes until
stopped, and is what `digitalpost run` starts. Rendering itself is the workers' PRINT work.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import typer
from rich.console import Console

print_app = typer.Typer(help="Print (KombiPost): batches to the print provider and its receipts.",
                        no_args_is_help=True)
console = Console()
log = logging.getLogger(__name__)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
    import django

    django.setup()


def _spool(spool: Path | None) -> Path:
    from django.conf import settings

    return spool or settings.DIGITALPOST_PRINT_SPOOL


def _batch_pass(spool: Path) -> int:
    from digitalpost.printing.services import write_batches

    report = write_batches(spool=spool)
    if report.batches:
        console.print(f"print: {report.letters} letters in {len(report.batches)} batches → {spool}")
    return report.letters


def _receipt_pass(spool: Path) -> int:
    from digitalpost.printing.services import read_receipts

    report = read_receipts(spool=spool)
    for problem in report.problems:
        console.print(f"[yellow]print receipt problem:[/yellow] {problem}")
    if report.files:
        console.print(f"print: {report.files} receipt files, {report.applied} receipts applied, "
                      f"{report.unchanged} already known")
    return len(report.problems)


@print_app.command("batch")
def batch(spool: Path | None = typer.Option(None, help="Spool folder (default DIGITALPOST_PRINT_SPOOL).")) -> None:
    """Put every rendered letter into batches (PDFs + manifest.json) in the spool folder."""
    _django()
    letters = _batch_pass(_spool(spool))
    if not letters:
        console.print("print: no letters waiting")


@print_app.command("receipts")
def receipts(spool: Path | None = typer.Option(None, help="Spool folder (default DIGITALPOST_PRINT_SPOOL).")) -> None:
    """Apply the provider's receipt files from <spool>/receipts/ (exit 1 when some lines were bad)."""
    _django()
    if _receipt_pass(_spool(spool)):
        raise typer.Exit(1)


@print_app.command("run")
def run(
    every: float = typer.Option(5, envvar="DIGITALPOST_PRINT_EVERY_MINUTES", help="Minutes between passes."),
    spool: Path | None = typer.Option(None, help="Spool folder (default DIGITALPOST_PRINT_SPOOL)."),
) -> None:
    """Batch letters and read receipts every N minutes until SIGTERM/SIGINT."""
    _django()
    folder = _spool(spool)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"print: batches and receipts every {every:g} minutes in {folder}")
    while not stop.is_set():
        try:
            _batch_pass(folder)
            _receipt_pass(folder)
        except Exception:
            log.exception("print: the pass failed; trying again next time")
        stop.wait(every * 60)
