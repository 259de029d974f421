"""A real SMTP relay for tests (aiosmtpd on 127.0.0.1) that keeps every mail it is given.

The fixture `smtp_relay` (tests/conftest.py) starts one and points the hub's relay settings at it; alerts,
notices and probes are then sent for real and read back here.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RecordingRelay:
    """Every mail the relay took, with its envelope recipients (sorted), parsed."""

    port: int
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # recipients the relay answers 550 (a mailbox it does not know)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.mails.append((sorted(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 2.0.0 Queued"

    def notices(self, kind: str = "new-mail") -> list[tuple[list[str], EmailMessage]]:
        """The citizens' notices of one kind (the X-DigitalPost-Notice header)."""
        return [(rcpts, mail) for rcpts, mail in self.mails if mail["X-DigitalPost-Notice"] == kind]
