"""`digitalpost register|thread|audit …`: the operator's tools for the register, dialog threads and the audit log."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django

register_app = typer.Typer(help="The contact register of citizens and companies.", no_args_is_help=True)


@register_app.command("import")
def register_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: id_type,number,name,status,…"),
) -> None:
    """Import citizens and companies from CSV: bad rows are listed by line and nothing is imported."""
    from rich.progress import Progress

    _django()
    from digitalpost.core.roles import Actor
    from digitalpost.registry.importing import ImportRefused, read_rows
    from digitalpost.registry.services import import_contacts

    try:
        rows = read_rows(file.read_text(encoding="utf-8-sig"))
    except ImportRefused as refused:
        console.print(f"[red]{refused.text}[/red]")
        for problem in refused.problems:
            console.print(f"  {problem}")
        raise typer.Exit(1) from None
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Importing contacts", total=len(rows))
        report = import_contacts(rows, progress=lambda n: progress.advance(task, n), actor=Actor("cli"),
                                 source=f"digitalpost register import {file.name}")
    console.print(f"[green]{len(rows)} rows:[/green] {report.created} created, {report.updated} updated, "
                  f"{report.unchanged} unchanged")


thread_app = typer.Typer(help="Dialog threads (operator tools).", no_args_is_help=True)


@thread_app.command("show")
def thread_show(thread_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """A thread's messages with direction, time and state, and the refusal codes of rejected replies."""

    _django()
    from digitalpost.conversations.selectors import describe_thread

    try:
        described = describe_thread(thread_id)
    except LookupError:
        console.print(f"[red]No thread {thread_id}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(described, indent=2, default=str))
        return
    console.print(f"[bold]{described['subject']}[/bold] — {described['authority']} / {described['mailbox']}")
    for item in described["messages"]:
        console.print(f"  {item['at']}  {item['direction']:<12} {item['state']:<9} {item['label']}")
    for item in described["refusals"]:
        console.print(f"  {item['at']}  [red]REFUSED[/red]      {item['code']}  from {item['sender']}")


audit_app = typer.Typer(help="The audit log of set-up, role and certificate changes.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain: exit 0 when intact, 1 naming the first broken entry."""
    _django()
    from digitalpost.audit.selectors import verify_audit_log

    verdict = verify_audit_log()
    if verdict.intact:
        console.print(f"[green]{verdict.entries} entries checked: intact.[/green]")
        return
    seq = verdict.first_bad_seq
    console.print(f"[red]{verdict.entries} entries checked: the chain is broken at entry #{seq}.[/red]")
    console.print(
        f"Entry #{seq} is missing or altered, or no longer follows from the entry before it (edited or deleted "
        "outside the application), or entries from it on were cut off. Restore the audit tables from a backup "
        "and find out who changed the database; entries before it are intact."
    )
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    org: str = typer.Option("", "--org", help="Only this organisation's entries (CVR). Default: every entry."),
    fmt: str = typer.Option("json", "--format", help="csv, or json: one JSON array of entries, oldest first."),
    output: Path | None = typer.Option(None, "--output", dir_okay=False, help="Write here (default: stdout)."),
) -> None:
    """Export the audit log as CSV or as one JSON array, oldest entry first (the portal's export format)."""
    from rich.progress import Progress

    _django()
    from digitalpost.audit.selectors import csv_lines, export_rows, json_array, list_entries
    from digitalpost.authorities.selectors import get_authority_by_cvr

    if fmt not in ("csv", "json"):
        raise typer.BadParameter("choose csv or json", param_hint="--format")
    if org and get_authority_by_cvr(org) is None:
        console.print(f"[red]No organisation with CVR {org}.[/red] Check the number (8 digits).")
        raise typer.Exit(1)
    entries = list_entries(organisation=org or None)
    formatter = csv_lines if fmt == "csv" else json_array
    if output is None:
        for chunk in formatter(export_rows(entries)):
            sys.stdout.write(chunk)
        return
    total = entries.count()
    with output.open("w", encoding="utf-8", newline="") as file, Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"Exporting to {output}", total=total)

        def counted() -> Iterator[dict[str, object]]:
            for row in export_rows(entries):
                yield row
                bar.advance(task)

        for chunk in formatter(counted()):
            file.write(chunk)
    console.print(f"[green]{total} entries written to {output}.[/green]")
