"""The SMTP relay every mail the hub sends leaves through: forwarded inquiries, probes, alerts, notices.

One place decides how the hub talks to its relay (host, port, STARTTLS, timeout); callers get the relay's
answer or an exception (aiosmtplib.SMTPException, OSError) naming why not. Not for: building mail.

Each thread that sends keeps one relay connection open (decision 0014): a worker forwarding a burst of inquiries
pays for the TCP connection, EHLO and STARTTLS once, not per mail. The connection lives on an event loop of its
own (a daemon thread per sending thread: the caller may already run an event loop, a test browser or an async
server). Before a mail goes over a connection that was used before, RSET checks that the relay still holds it;
if not (the relay closed it, restarted, or the settings now name another relay) a new connection is opened
and the mail goes over that one. Nothing else changes for the caller: the same aiosmtplib calls send the mail,
the relay's answer comes back only after its 250 to the whole DATA, and every failure raises what it raised
before. A connection that failed mid-mail is closed, never reused; one idle for IDLE_CLOSE_SECONDS is closed
with QUIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from django.conf import settings

DEFAULT_TIMEOUT_SECONDS = 60
# Well under the usual server idle limits (Postfix's smtpd_timeout is 300 s): we close first, politely.
IDLE_CLOSE_SECONDS = 30.0


@dataclass(frozen=True)
class _Target:
    """Where and how to connect: a connection is reused only while the settings still name the same relay."""

    host: str
    port: int
    start_tls: bool | None
    timeout: float


class _RelaySession:
    """One sending thread's relay connection, on an event loop in a daemon thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.client: aiosmtplib.SMTP | None = None
        self.target: _Target | None = None
        self.used_at = 0.0
        self._idle: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()  # one mail at a time on the connection; the idle close waits for it
        threading.Thread(target=self.loop.run_forever, name="smtp-relay", daemon=True).start()

    def send(self, message: bytes | EmailMessage, *, sender: str, recipients: list[str], target: _Target) -> str:
        return asyncio.run_coroutine_threadsafe(self._send(message, sender, recipients, target), self.loop).result()

    async def _send(self, message: bytes | EmailMessage, sender: str, recipients: list[str], target: _Target) -> str:
        async with self._lock:
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            client = await self._connection(target)
            try:
                if isinstance(message, bytes):
                    refused, answer = await client.sendmail(sender, recipients, message)
                else:
                    refused, answer = await client.send_message(message, sender=sender, recipients=recipients)
            except BaseException:
                await self._close(quit_first=False)  # its state is unknown: never reuse it
                raise
            self.used_at = time.monotonic()
            self._idle = self.loop.call_later(IDLE_CLOSE_SECONDS, lambda: self.loop.create_task(self._close_idle()))
        if refused:  # the others got it: say which were refused, it is the caller's log
            answer += "; refused: " + ", ".join(f"{rcpt} ({reply.code} {reply.message})"
                                                for rcpt, reply in refused.items())
        return str(answer)

    async def _connection(self, target: _Target) -> aiosmtplib.SMTP:
        if self.client is not None and self.target == target and self.client.is_connected:
            try:
                await self.client.rset()
                return self.client
            except (aiosmtplib.SMTPException, OSError):
                pass  # closed by the relay while idle, or the relay restarted: a new connection below
        await self._close(quit_first=False)
        client = aiosmtplib.SMTP(hostname=target.host, port=target.port, start_tls=target.start_tls,
                                 validate_certs=False, timeout=target.timeout)
        await client.connect()
        self.client, self.target = client, target
        return client

    async def _close_idle(self) -> None:
        async with self._lock:
            if time.monotonic() - self.used_at >= IDLE_CLOSE_SECONDS:  # not used again since the timer was set
                await self._close()

    async def _close(self, *, quit_first: bool = True) -> None:
        client, self.client, self.target = self.client, None, None
        if client is None:
            return
        if quit_first and client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                await client.quit()
        client.close()


_sessions = threading.local()


def _session() -> _RelaySession:
    # After a fork the child must not share the parent's connection (nor can it use the parent's loop thread).
    session: _RelaySession | None = getattr(_sessions, "session", None)
    if session is None or getattr(_sessions, "pid", None) != os.getpid():
        session = _sessions.session = _RelaySession()
        _sessions.pid = os.getpid()
    return session


def send_via_relay(message: bytes | EmailMessage, *, sender: str, recipients: Sequence[str],
                   timeout: float = DEFAULT_TIMEOUT_SECONDS) -> str:
    """Hand one mail to the relay; the relay's answer, plus the recipients it refused (if some were)."""
    target = _Target(host=settings.DIGITALPOST_SMTP_RELAY_HOST, port=settings.DIGITALPOST_SMTP_RELAY_PORT,
                     start_tls=None if not settings.DIGITALPOST_SMTP_REQUIRE_TLS else True, timeout=timeout)
    return _session().send(message, sender=sender, recipients=list(recipients), target=target)
