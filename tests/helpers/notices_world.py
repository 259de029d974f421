"""Helpers for the notification tests: the SMTP relay sink, a recipient who wants notices, submitting a letter."""

from __future__ import annotations

from typing import Any

from digitalpost.messages.models import Message
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.registry.services import set_notification_preferences

MAILBOX_URL = "https://post.nordby.example/"


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
