"""The SMTP server authorities send secure mail (replies) to. STARTTLS is required; AUTH is off.

Recipients other than the hub's address are refused at RCPT; the mail itself is judged by
`receive_secure_mail`, whose answer (250, or 554 with the refusal code and its fix) is the DATA reply.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings

from digitalpost.conversations.services.receive import receive_secure_mail

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
            raw=envelope.original_content, envelope_from=envelope.mail_from or ""
        )
        return outcome.smtp_reply


@dataclass
class Gateway:
    host: str
    port: int
    require_starttls: bool = True

    def controller(self) -> Controller:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(settings.DIGITALPOST_HUB_CERT, settings.DIGITALPOST_HUB_KEY)
        return Controller(
            GatewayHandler(), hostname=self.host, port=self.port, tls_context=context,
            # A margin above the limit: oversized mail reaches the service and is refused with its code
            # (message.too.large) and counted; only runaway streams are cut off by aiosmtpd itself.
            require_starttls=self.require_starttls,
            data_size_limit=settings.DIGITALPOST_MAX_MAIL_BYTES + HARD_CAP_MARGIN,
            server_hostname=settings.DIGITALPOST_HUB_DOMAIN, auth_required=False, auth_require_tls=True,
        )
