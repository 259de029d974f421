"""`digitalpost retention run`: apply the retention rules now (or `--dry-run` to count), with a report."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django

retention_app = typer.Typer(help="Deleted post and the retention rules (docs/mailbox.md).", no_args_is_help=True)


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what is due; remove nothing."),
    at: str = typer.Option("", "--at", help="Count the rules from this moment (ISO 8601) instead of now."),
) -> None:
    """Empty Deleted after its days and remove closed mailboxes' post after theirs; print what was done."""
    from rich.progress import Progress

    _django()
    from django.utils import timezone

    from digitalpost.core.roles import Actor
    from digitalpost.filing.services.retention import count_due, run_retention

    now = timezone.now()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise typer.BadParameter("an ISO 8601 moment, e.g. 2031-01-01T00:00:00+00:00", param_hint="--at") from None
        if timezone.is_naive(now):
            now = timezone.make_aware(now)
    if dry_run:
        report = run_retention(now=now, dry_run=True)
    else:
        due = sum(count_due(now=now).values())
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Removing post", total=due)
            report = run_retention(now=now, actor=Actor("cli"), progress=lambda n: progress.advance(task, n))
    table = Table(title=f"Retention {'(dry run) ' if dry_run else ''}at {now.isoformat(timespec='seconds')}")
    table.add_column("rule")
    table.add_column("messages", justify="right")
    for rule, count in report.messages.items():
        table.add_row(rule, str(count))
    console.print(table)
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb}: {report.total} messages, {report.documents} documents"
                  + ("" if dry_run else f"; blobs removed {report.blobs_removed}, "
                                        f"kept (still held by other messages) {report.blobs_kept_shared}"))
