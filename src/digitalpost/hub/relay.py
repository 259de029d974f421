"""The SMTP relay every mail the hub sends leaves through: forwarded inquiries, probes, alerts, notices.

One place decides how the hub talks to its relay (host, port, STARTTLS, timeout); callers get the relay's
answer or an exception (aiosmtplib.SMTPException, OSError) naming why not. Not for: building mail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

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
