"""Small helpers shared by page tests."""

from __future__ import annotations

from django.test import Client

from digitalpost.messages.models import Message
from digitalpost.registry.models import Contact


def deliver_letter(cast, drain, recipient: Contact, label: str, *, text: str = "Hej",
                   files: list[tuple[str, str, bytes]] | None = None) -> Message:
    letter = cast.nordby.memo(recipient, label=label, files=files or [("brev.txt", "text/plain", text.encode())])
    response = cast.nordby.submit(letter)
    assert response.status_code == 201, response.content
    drain()
    return Message.objects.get(pk=response.json()["messageId"])


def signed_in(contact: Contact) -> Client:
    client = Client()
    session = client.session
    session["mailbox_contact_id"] = str(contact.pk)
    session.save()
    return client
