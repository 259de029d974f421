"""`digitalpost send-mail`: start a new letter by secure mail, the reply assistant's sibling.

It writes the letter the way the gateway reads it (docs/secure-mail-letters.md): the recipient inside the
encrypted content (`digitalpost-letter.xml`, or with `--plain` the body's first line `Modtager: …`), signed
with the sender system's key and encrypted to the hub; `--send` hands it to the hub's gateway. The work is
protocols.mail.letter's; this command only reads files and renders.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django
from digitalpost.cli.outgoing_mail import read_attachments, write_or_send


def send_mail(
    to: str = typer.Option(..., "--to", help="The recipient: a CPR number (10 digits) or a CVR number (8 digits)."),
    subject: str = typer.Option(..., help="The letter's title (its subject; travels in clear: no CPR numbers)."),
    text: str = typer.Option(..., help="The letter's text (the main document)."),
    attach: list[Path] = typer.Option([], exists=True, dir_okay=False, help="A file to attach (repeatable)."),
    cert: Path = typer.Option(..., exists=True, help="Your sender system's certificate (PEM)."),
    key: Path = typer.Option(..., exists=True, help="Its private key (PEM)."),
    hub_cert: Path | None = typer.Option(None, help="The hub's certificate (default: from the settings)."),
    hub_address: str = typer.Option("", help="The hub's address (default: from the settings)."),
    from_addr: str = typer.Option("", "--from", help="Your address (default: the certificate's e-mail)."),
    mandatory: bool = typer.Option(False, help="A mandatory letter (your organisation must be allowed)."),
    legal_notification: bool = typer.Option(False, help="A legal notification (your organisation must be allowed)."),
    reply: bool = typer.Option(False, help="The recipient may answer the letter."),
    reply_by: datetime | None = typer.Option(None, help="Answers are taken until then (ISO 8601)."),
    answer_mailbox: str = typer.Option("", help="The id of the mailbox answers go to (default: the standard one)."),
    material: str = typer.Option("", help="The name or id of one of your materials."),
    plain: bool = typer.Option(False, help="Write the recipient as the first line, as a caseworker does in Outlook."),
    out: Path | None = typer.Option(None, help="Write the mail here (default: print it)."),
    send: bool = typer.Option(False, help="Send it to the hub's gateway over SMTP with STARTTLS."),
) -> None:
    """Write a new letter as a correct, signed and encrypted secure mail to the hub."""
    from datetime import UTC

    _django()
    from django.conf import settings

    from digitalpost.core.errors import DigitalPostError
    from digitalpost.protocols import mail, smime
    from digitalpost.protocols.mail.letter import recipient_type_of

    signer = smime.load_certificate(cert.read_bytes())
    signer_key = smime.load_private_key(key.read_bytes())
    now = datetime.now(UTC)
    sender = from_addr or (signer.emails[0] if signer.emails else "")
    to_addr = hub_address or settings.DIGITALPOST_HUB_ADDRESS
    try:
        number = to.replace(" ", "")
        order = mail.LetterOrder(
            recipient_id=number, recipient_type=recipient_type_of(number), label=subject,
            material=material or None, mandatory=mandatory, legal_notification=legal_notification, reply=reply,
            reply_by=reply_by, answer_mailbox=answer_mailbox or None,
        )
        if plain and (mandatory or legal_notification or reply or material or answer_mailbox):
            console.print("[red]--plain names the recipient only[/red]: leave it out to send the other choices "
                          "in digitalpost-letter.xml")
            raise typer.Exit(2)
        hub = smime.load_certificate((hub_cert or settings.DIGITALPOST_HUB_CERT).read_bytes())
        files = read_attachments(attach)
        data = mail.build_letter_mail(
            order, subject=subject, text=text, attachments=files, plain=plain, signer_certificate=signer,
            signer_key=signer_key, hub_certificate=hub, from_addr=sender, to_addr=to_addr, now=now,
            message_id_domain=sender.rpartition("@")[2] or "localhost",
        )
    except DigitalPostError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.text}")
        raise typer.Exit(1) from None
    write_or_send(data, out=out, send=send, sender=sender, to_addr=to_addr,
                  accepted="Letter accepted by the hub; the receipt comes by mail.")
