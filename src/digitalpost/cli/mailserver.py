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

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
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


_made: set[Path] = set()  # folders this process made (or found) already: one mkdir per folder, not per mail


def store(folder: Path, content: bytes) -> Path:
    if folder not in _made:
        folder.mkdir(parents=True, exist_ok=True)
        _made.add(folder)
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
    # Plain os calls on strings: under the benchmark's load pathlib's joins, the mkdir and write_bytes' open
    # were a tenth of this server's CPU (the demo's stand-in shares the cores with the hub it serves).
    where, temporary = f"{folder}/{name}", f"{folder}/.{name}"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:  # the folder was removed since (a demo reset): made again
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.replace(temporary, where)
    return Path(where)


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


class AnsweringTogether(SMTP):
    """aiosmtpd's session, with the answers to pipelined commands written together (RFC 2920 section 3.2: a server
    may hold its answers while more commands wait in its input, as Postfix does).

    aiosmtpd writes each answer at once: a notice's MAIL, RCPT and DATA, sent in one write, got three writes back,
    and on the loopback each write also wakes the hub's notices worker, which reads the answers one by one. An
    answer is held only while a whole next command is already here (it is answered at once, with this one); an
    answer that closes the session (221, 421) goes at once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[bytes] = []

    def _next_command_waiting(self) -> bool:
        # StreamReader keeps what it has read and not yet handed out in `_buffer` (asyncio has no public way to ask).
        waiting = getattr(self._reader, "_buffer", b"")
        return b"\r\n" in waiting

    async def push(self, status: AnyStr) -> None:
        response = status if isinstance(status, bytes) else status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii")
        self._held.append(response + b"\r\n")
        if self._next_command_waiting() and not response.startswith((b"221", b"421")):
            return
        answers, self._held = b"".join(self._held), []
        self._writer.write(answers)
        await self._writer.drain()


class _Controller(Controller):
    def factory(self) -> SMTP:
        return AnsweringTogether(self.handler, **self.SMTP_kwargs)


def maildir_server(folder: Path, *, host: str, port: int, notification_folder: Path | None = None,
                   is_authority_address: IsAuthorityAddress | None = None) -> Controller:
    """The demo mail server; mail for non-authority recipients goes to `notification_folder`
    (default DIGITALPOST_NOTIFICATION_MAILDIR)."""
    if notification_folder is None:
        from django.conf import settings

        notification_folder = Path(settings.DIGITALPOST_NOTIFICATION_MAILDIR)
    handler = MaildirHandler(folder, notification_folder=notification_folder,
                             is_authority_address=is_authority_address or is_secure_address)
    return _Controller(handler, hostname=host, port=port)
