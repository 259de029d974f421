"""Demo stand-in for the mail servers the hub's relay reaches: stores every mail it receives as an .eml file.

Demo only. It accepts any recipient and answers 250, like a working mailbox would. Where a mail lands is decided
per recipient, by one rule: a recipient that is an authority's secure address or the address of one of its sender
systems' certificates (registered in the hub; receipts for letters started by secure mail) is the authority's
mail server, so the mail goes to the authority folder (DIGITALPOST_AUTHORITY_MAILDIR); every other
recipient (a citizen's or company's notification address, a staff member's alert address) is someone's own
e-mail, so the mail goes to the notification folder (DIGITALPOST_NOTIFICATION_MAILDIR). A mail for both kinds
is stored once in each folder.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async

IsAuthorityAddress = Callable[[str], bool]


def is_secure_address(address: str) -> bool:
    """True when `address` is an authority's own: a secure address some authority registered, or the address in
    an active sender system's certificate (where receipts for letters started by secure mail go); case-insensitive.
    """
    from django.db import close_old_connections

    from digitalpost.systems.models import SecureAddress, SenderSystem

    close_old_connections()
    wanted = address.strip().lower()
    if SecureAddress.objects.filter(email__iexact=wanted).exists():
        return True
    # Certificate.emails is a JSON list; few sender systems, and a demo: compared here rather than in SQL.
    lists = SenderSystem.objects.filter(is_active=True, certificate__isnull=False).values_list("certificate__emails",
                                                                                              flat=True)
    return any(wanted == email.lower() for emails in lists for email in (emails or []))


def store(folder: Path, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
    temporary = folder / f".{name}"
    temporary.write_bytes(content)
    return temporary.rename(folder / name)


# How long the answer to "is this an authority's address?" is reused: under load every notice to the same citizen
# asked the database twice through a fresh thread, on the cores the hub itself runs on (decision 0016).
ADDRESS_KIND_SECONDS = 5.0


class MaildirHandler:
    def __init__(self, folder: Path, *, notification_folder: Path | None = None,
                 is_authority_address: IsAuthorityAddress = is_secure_address) -> None:
        self.folder = folder
        self.notification_folder = notification_folder
        self.is_authority_address = is_authority_address
        self._known: dict[str, tuple[float, bool]] = {}  # address → (until, is an authority's)

    async def _is_authority_address(self, address: str) -> bool:
        now = time.monotonic()
        known = self._known.get(address)
        if known is not None and known[0] > now:
            return known[1]
        answer = await sync_to_async(self.is_authority_address, thread_sensitive=False)(address)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[address] = (now + ADDRESS_KIND_SECONDS, answer)
        return answer

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        """aiosmtpd's answer plus PIPELINING, as the mail servers it stands in for offer (Postfix does): it reads
        commands one line after another, so a client's MAIL, RCPT and DATA in one write are answered in order."""
        session.host_name = hostname  # what aiosmtpd does itself when no hook answers EHLO
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        folders = {self.folder}
        if self.notification_folder is not None:
            folders = {self.folder if await self._is_authority_address(rcpt) else self.notification_folder
                       for rcpt in envelope.rcpt_tos}
        for folder in sorted(folders):
            store(folder, envelope.original_content)
        return "250 2.0.0 Stored"


def maildir_server(folder: Path, *, host: str, port: int, notification_folder: Path | None = None,
                   is_authority_address: IsAuthorityAddress | None = None) -> Controller:
    """The demo mail server; mail for non-authority recipients goes to `notification_folder`
    (default DIGITALPOST_NOTIFICATION_MAILDIR)."""
    if notification_folder is None:
        from django.conf import settings

        notification_folder = Path(settings.DIGITALPOST_NOTIFICATION_MAILDIR)
    handler = MaildirHandler(folder, notification_folder=notification_folder,
                             is_authority_address=is_authority_address or is_secure_address)
    return Controller(handler, hostname=host, port=port)
