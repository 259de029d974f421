"""What the commands that write secure mail to the hub share (`digitalpost reply`, `digitalpost send-mail`):
reading the files to attach, and printing, saving or sending the finished mail."""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from pathlib import Path

import typer

from digitalpost.cli.common import console


def read_attachments(paths: list[Path]) -> list[tuple[str, str, bytes]]:
    return [(path.name, mimetypes.guess_type(path.name)[0] or "application/octet-stream", path.read_bytes())
            for path in paths]


def write_or_send(data: bytes, *, out: Path | None, send: bool, sender: str, to_addr: str, accepted: str) -> None:
    """Save the mail to `out`, or print it; with `send`, hand it to the hub's gateway over SMTP with STARTTLS."""
    from django.conf import settings

    if out:
        out.write_bytes(data)
    elif not send:
        typer.echo(data.decode("ascii", errors="replace"))
    if not send:
        return
    with smtplib.SMTP(settings.DIGITALPOST_GATEWAY_HOST, settings.DIGITALPOST_GATEWAY_PORT, timeout=60) as client:
        client.starttls(context=ssl._create_unverified_context())  # noqa: S323 (the hub's demo certificate)
        try:
            client.sendmail(sender, [to_addr], data)
        except smtplib.SMTPResponseException as refused:
            error = refused.smtp_error
            message = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            console.print(f"[red]refused[/red]: {refused.smtp_code} {message}")
            raise typer.Exit(1) from None
    console.print(f"[green]{accepted}[/green]")
