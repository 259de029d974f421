"""`digitalpost reply`: the reply assistant for authorities that answer from their own mail client.

It reads a message received from the hub (.eml), and writes a correct reply that keeps the dialog thread,
signed with the sender system's key and encrypted to the hub; `--send` hands it to the hub's gateway. The
work is protocols.mail.assistant's (the same as a library call); this command only reads files and renders.
"""

from __future__ import annotations

from pathlib import Path

import typer

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django
from digitalpost.cli.outgoing_mail import read_attachments, write_or_send


def reply(
    received: Path = typer.Argument(..., exists=True, dir_okay=False, help="The mail received from the hub (.eml)."),
    text: str = typer.Option(..., help="The reply text."),
    attach: list[Path] = typer.Option([], exists=True, dir_okay=False, help="A file to attach (repeatable)."),
    cert: Path = typer.Option(..., exists=True, help="Your sender system's certificate (PEM)."),
    key: Path = typer.Option(..., exists=True, help="Its private key (PEM)."),
    decrypt_cert: Path | None = typer.Option(None, help="Certificate the received mail is encrypted to."),
    decrypt_key: Path | None = typer.Option(None, help="Its key (default: --cert/--key)."),
    hub_cert: Path | None = typer.Option(None, help="The hub's certificate (default: from the settings)."),
    from_addr: str = typer.Option("", "--from", help="Your address (default: the certificate's e-mail)."),
    out: Path | None = typer.Option(None, help="Write the reply here (default: print it)."),
    send: bool = typer.Option(False, help="Send it to the hub's gateway over SMTP with STARTTLS."),
) -> None:
    """Write a correct, signed and encrypted reply that keeps the dialog thread."""
    from datetime import UTC, datetime

    _django()
    from django.conf import settings

    from digitalpost.core.errors import DigitalPostError
    from digitalpost.protocols import smime
    from digitalpost.protocols.mail.assistant import build_reply, read_received

    signer = smime.load_certificate(cert.read_bytes())
    signer_key = smime.load_private_key(key.read_bytes())
    now = datetime.now(UTC)
    try:
        inquiry = read_received(
            received.read_bytes(),
            certificate=smime.load_certificate((decrypt_cert or cert).read_bytes()),
            key=smime.load_private_key((decrypt_key or key).read_bytes()), at=now,
        )
        hub = smime.load_certificate((hub_cert or settings.DIGITALPOST_HUB_CERT).read_bytes())
        files = read_attachments(attach)
        sender = from_addr or (signer.emails[0] if signer.emails else "")
        data = build_reply(inquiry, text=text, attachments=files, signer_certificate=signer, signer_key=signer_key,
                           hub_certificate=hub, from_addr=sender, now=now,
                           message_id_domain=sender.rpartition("@")[2] or "localhost")
    except DigitalPostError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.text}")
        raise typer.Exit(1) from None
    write_or_send(data, out=out, send=send, sender=sender, to_addr=inquiry.hub_address,
                  accepted="Reply accepted by the hub.")
