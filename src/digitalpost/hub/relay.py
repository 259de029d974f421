"""The SMTP relay every mail the hub sends leaves through: forwarded inquiries, probes, alerts, notices.

One place decides how the hub talks to its relay (host, port, STARTTLS, timeout); callers get the relay's
answer or an exception (aiosmtplib.SMTPException, OSError) naming why not. Not for: building mail.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import NamedTuple

import aiosmtplib
from django.conf import settings

DEFAULT_TIMEOUT_SECONDS = 60


def send_via_relay(message: bytes | EmailMessage, *, sender: str, recipients: Sequence[str],
                   timeout: float = DEFAULT_TIMEOUT_SECONDS) -> str:
    """Hand one mail to the relay; the relay's answer, plus the recipients it refused (if some were)."""
    tls = None if not settings.DIGITALPOST_SMTP_REQUIRE_TLS else True

    def deliver() -> str:
        refused, answer = asyncio.run(aiosmtplib.send(
            message, sender=sender, recipients=list(recipients),
            hostname=settings.DIGITALPOST_SMTP_RELAY_HOST, port=settings.DIGITALPOST_SMTP_RELAY_PORT,
            start_tls=tls, validate_certs=False, timeout=timeout,
        ))
        if refused:  # the others got it: say which were refused, it is the caller's log
            answer += "; refused: " + ", ".join(f"{rcpt} ({reply.code} {reply.message})"
                                                for rcpt, reply in refused.items())
        return str(answer)

    # A thread of its own: the caller may already run an event loop (an async server, a test browser).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(deliver).result()


class Outgoing(NamedTuple):
    """One mail for `send_all_via_relay`: the message and its envelope."""

    message: bytes | EmailMessage
    sender: str
    recipients: Sequence[str]


def send_all_via_relay(mails: Sequence[Outgoing], *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> list[str | Exception]:
    """Hand several mails to the relay over one connection, in order; per mail the relay's answer, or the exception
    (aiosmtplib.SMTPException, OSError) that says why that one was not taken.

    What `send_via_relay` does per mail, with one connection, one TLS handshake and one thread for all of them:
    a batch of notices cost the hub and the relay a connection each before. A refused mail does not stop the others
    (the envelope is reset); once the connection fails, every mail after it gets that error.
    """
    tls = None if not settings.DIGITALPOST_SMTP_REQUIRE_TLS else True

    async def deliver() -> list[str | Exception]:
        results: list[str | Exception] = []
        client = aiosmtplib.SMTP(hostname=settings.DIGITALPOST_SMTP_RELAY_HOST,
                                 port=settings.DIGITALPOST_SMTP_RELAY_PORT, start_tls=tls, validate_certs=False,
                                 timeout=timeout)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return [exc] * len(mails)
        broken: Exception | None = None
        for mail in mails:
            if broken is not None:
                results.append(broken)
                continue
            try:
                if isinstance(mail.message, EmailMessage):
                    refused, answer = await client.send_message(mail.message, sender=mail.sender,
                                                                recipients=list(mail.recipients))
                else:
                    refused, answer = await client.sendmail(mail.sender, list(mail.recipients), mail.message)
            except (aiosmtplib.SMTPServerDisconnected, OSError) as exc:
                broken = exc
                results.append(exc)
                continue
            except aiosmtplib.SMTPException as exc:
                results.append(exc)
                continue
            if refused:
                answer += "; refused: " + ", ".join(f"{rcpt} ({reply.code} {reply.message})"
                                                    for rcpt, reply in refused.items())
            results.append(str(answer))
        if broken is None:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        else:
            client.close()
        return results

    if not mails:
        return []
    with ThreadPoolExecutor(max_workers=1) as pool:  # as send_via_relay: the caller may run an event loop
        return pool.submit(asyncio.run, deliver()).result()
