"""`digitalpost check`, `keys …`, `backup`, `restore`: the start-up checks (blob store, hub keys), master-key
rotation, and backups of the whole hub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django

if TYPE_CHECKING:
    from rich.progress import TaskID

    from digitalpost.hub.backup import Manifest, Progress

keys_app = typer.Typer(help="Master keys that seal documents at rest (DIGITALPOST_BLOB_KEYS).",
                       no_args_is_help=True)


def require_usable_blob_store() -> None:
    """Stop with a clear message when the blob store cannot serve documents (wrong or missing key, …)."""
    from digitalpost.hub.blobs import check_blob_store

    problems = check_blob_store()
    if problems:
        for problem in problems:
            console.print(f"[red]Blob store: {problem}[/red]")
        console.print("Fix DIGITALPOST_BLOB_KEYS / DIGITALPOST_BLOB_BACKEND and the S3 settings "
                      "(docs/deploy.md, \"Document storage\"); nothing was started.")
        raise typer.Exit(2)


def report_hub_key_problems() -> bool:
    """Print what stops the hub's certificate, key or trust anchors from serving; True when something does."""
    from digitalpost.hub.keys import hub_key_problems

    problems = hub_key_problems()
    for problem in problems:
        console.print(f"[red]Hub keys: {problem}[/red]")
    if problems:
        console.print("Secure mail is refused or waits until this is fixed: set DIGITALPOST_HUB_CERT, "
                      "DIGITALPOST_HUB_KEY and DIGITALPOST_TRUST_ANCHORS (docs/deploy.md).")
    return bool(problems)


def check() -> None:
    """Check the configuration before starting: Django's system checks, the blob store with its keys, and the
    hub's own certificate, key and trust anchors."""
    _django()
    from django.core.management import call_command

    call_command("check")
    require_usable_blob_store()
    console.print("[green]Blob store usable with the configured keys.[/green]")
    if report_hub_key_problems():
        raise typer.Exit(2)
    console.print("[green]The hub's certificate, key and trust anchors are readable.[/green]")


@keys_app.command("new")
def keys_new(key_id: str = typer.Argument(..., help="A short name for the key, e.g. 2026-12.")) -> None:
    """Print a fresh master key entry for DIGITALPOST_BLOB_KEYS (put it first to make it current)."""
    from digitalpost.blobstore.sealing import MasterKeys

    typer.echo(f"{key_id}:{MasterKeys.generate_material()}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every blob's data key under the current (first) master key; seal blobs stored unsealed.

    Only each blob's small header is rewritten (the ciphertext is copied as it is). Safe to interrupt and run
    again: blobs already under the current key are skipped. Keep the old keys listed until it has finished.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    _django()
    from digitalpost.blobstore import UnreadableBlob
    from digitalpost.hub.blobs import BlobStoreConfigurationError, blob_store, rotate_keys

    try:
        total = sum(1 for _ in blob_store().iter_keys())
        with Progress(TextColumn("Rotating"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
            task = bar.add_task("rotate", total=total)
            report = rotate_keys(progress=lambda _name, done: bar.update(task, completed=done))
    except (BlobStoreConfigurationError, UnreadableBlob) as exc:
        console.print(f"[red]{exc}[/red]")
        console.print("Nothing after this blob was rotated; fix the keys and run `digitalpost keys rotate` again.")
        raise typer.Exit(2) from exc
    console.print(f"[green]{report.rewrapped} re-wrapped, {report.sealed} sealed, {report.current} already "
                  "under the current key.[/green]")


def _with_progress(work: Callable[[Progress], Manifest]) -> Manifest:
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def show(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase.capitalize(), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        return work(show)


def backup(folder: Path = typer.Argument(..., help="A new or empty folder for the backup.")) -> None:
    """Back up the database (SQLite online backup, or pg_dump) and every blob into FOLDER."""
    _django()
    from digitalpost.hub.backup import BackupError
    from digitalpost.hub.backup import backup as run_backup

    try:
        manifest = _with_progress(lambda show: run_backup(folder, show))
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]Backed up the {manifest.database} database and {manifest.blobs} blobs to {folder}."
                  "[/green] Keep DIGITALPOST_BLOB_KEYS safe apart from it: sealed blobs need them.")


def restore(folder: Path = typer.Argument(..., help="A folder written by `digitalpost backup`.")) -> None:
    """Restore FOLDER into this hub's database and blob store, which must be empty (a fresh hub)."""
    _django()
    from digitalpost.hub.backup import BackupError
    from digitalpost.hub.backup import restore as run_restore

    try:
        manifest = _with_progress(lambda show: run_restore(folder, show))
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]Restored the {manifest.database} database and {manifest.blobs} blobs from {folder}."
                  "[/green] Run `digitalpost check` with the same DIGITALPOST_BLOB_KEYS before starting the hub.")
