"""The SMTP server authorities send secure mail (replies) to. STARTTLS is required; AUTH is off.

Recipients other than the hub's address are refused at RCPT; the mail itself is judged by
`receive_secure_mail`, whose outcome (250, or 554 with the refusal code and its fix) is the DATA reply.
Mail sent with bare LF line endings is accepted like Postfix accepts it and made CRLF before it is judged,
instead of aiosmtpd's misleading "500 Line too long".
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.conf import settings

from digitalpost.conversations.services.receive import receive_secure_mail
from digitalpost.gateway.answers import smtp_answer
from digitalpost.gateway.lines import normalize_line_endings
from digitalpost.hub.metrics import GATEWAY_MAILS

HARD_CAP_MARGIN = 16 * 1024 * 1024
REPLY_UNKNOWN_RECIPIENT = "550 5.1.1 Unknown recipient: send secure mail to the hub's address"


class GatewayHandler:
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.strip().lower() != settings.DIGITALPOST_HUB_ADDRESS.lower():
            return REPLY_UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        outcome = await sync_to_async(receive_secure_mail)(
            raw=normalize_line_endings(envelope.original_content), envelope_from=envelope.mail_from or ""
        )
        GATEWAY_MAILS.labels(outcome="filed" if outcome.code is None else str(outcome.code)).inc()
        return smtp_answer(outcome)


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP session, reading lines up to the mail size limit instead of RFC 5321's 1000 octets.

    A bare-LF mail is one CRLF "line" as long as the mail; the size limit still bounds it (552 beyond it).
    """

    def __init__(self, handler: Any, *, data_size_limit: int, **kwargs: Any) -> None:
        self.line_length_limit = data_size_limit  # read by SMTP.__init__ to size its stream reader
        super().__init__(handler, data_size_limit=data_size_limit, **kwargs)


class GatewayController(Controller):
    def factory(self) -> SMTP:
        return GatewaySMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class Gateway:
    host: str
    port: int
    require_starttls: bool = True

    def controller(self) -> Controller:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(settings.DIGITALPOST_HUB_CERT, settings.DIGITALPOST_HUB_KEY)
        return GatewayController(
            GatewayHandler(), hostname=self.host, port=self.port, tls_context=context,
            # A margin above the limit: oversized mail reaches the service and is refused with its code
            # (message.too.large) and counted; only runaway streams are cut off by aiosmtpd itself.
            require_starttls=self.require_starttls,
            data_size_limit=settings.DIGITALPOST_MAX_MAIL_BYTES + HARD_CAP_MARGIN,
            server_hostname=settings.DIGITALPOST_HUB_DOMAIN, auth_required=False, auth_require_tls=True,
        )
