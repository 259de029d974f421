"""Helpers for the notification tests: the SMTP relay sink, a recipient who wants notices, submitting a letter."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from digitalpost.messages.models import Message
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.registry.services import set_notification_preferences

MAILBOX_URL = "https://post.nordby.example/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Relay:
    """The SMTP relay: keeps every mail with its envelope recipients."""

    port: int
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.mails.append((sorted(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Queued"

    def notices(self, kind: str = "new-mail") -> list[tuple[list[str], EmailMessage]]:
        return [(rcpts, mail) for rcpts, mail in self.mails if mail["X-DigitalPost-Notice"] == kind]




def wants_notices(contact: Contact, email: str, *, on: bool = True, mobile: str = "") -> Contact:
    return set_notification_preferences(contact_id=contact.pk, notification_email=email, notify_by_email=on,
                                        mobile_number=mobile)


def submit(cast, recipient: Contact, *, label: str = "Afgørelse om boligstøtte", kombi: str | None = None,
           **options: Any) -> Message:
    letter = cast.nordby.memo(recipient, label=label, files=[("brev.txt", "text/plain", b"Hemmeligt indhold")],
                              **options)
    query = f"?memo-message-uuid={letter.header.message_uuid}" + (f"&kombi={kombi}" if kombi else "")
    response = cast.nordby.client().post(f"/apis/v1/memos{query}", data=memo.build(letter),
                                         content_type="application/xml")
    assert response.status_code == 201, response.content
    return Message.objects.get(pk=response.json()["messageId"])


def kinds(message: Message) -> list[str]:
    return list(message.events.values_list("kind", flat=True))
