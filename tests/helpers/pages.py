"""Small helpers shared by page tests."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from digitalpost.inbox.signin import MailboxAccess, open_mailbox_session
from digitalpost.messages.models import Message
from digitalpost.registry.models import Contact


def deliver_letter(cast, drain, recipient: Contact, label: str, *, text: str = "Hej",
                   files: list[tuple[str, str, bytes]] | None = None) -> Message:
    letter = cast.nordby.memo(recipient, label=label, files=files or [("brev.txt", "text/plain", text.encode())])
    response = cast.nordby.submit(letter)
    assert response.status_code == 201, response.content
    drain()
    return Message.objects.get(pk=response.json()["messageId"])


def signed_in(contact: Contact, *, access: MailboxAccess | None = None, client: Client | None = None) -> Client:
    """A client whose mailbox session was opened the way sign-in opens it (open_mailbox_session)."""
    client = client or Client()
    session = SessionStore()
    open_mailbox_session(session, access or MailboxAccess(contact, "READ_WRITE"), via_oidc=False)
    session.save()
    client.cookies[settings.DIGITALPOST_MAILBOX_SESSION_COOKIE] = session.session_key
    return client


def mailbox_session(client: Client) -> SessionStore:
    """The mailbox's session of a client (it has its own cookie, apart from the portal's)."""
    return SessionStore(client.cookies[settings.DIGITALPOST_MAILBOX_SESSION_COOKIE].value)
