"""Small helpers shared by page tests."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from digitalpost.inbox.signin import MailboxAccess, open_mailbox_session
from digitalpost.messages.models import Message
from digitalpost.protocols import memo
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


def with_actions(letter: memo.Message, *actions: memo.Action) -> memo.Message:
    """The letter with `actions` on its main document."""
    assert letter.body is not None
    main = dataclasses.replace(letter.body.main_document, actions=actions)
    return dataclasses.replace(letter, body=dataclasses.replace(letter.body, main_document=main))


def link_action(label: str, code: str, url: str, *, end: datetime | None = None) -> memo.Action:
    return memo.Action(label=label, action_code=code, end_date_time=end, entry_point=memo.EntryPoint(url=url))


def booking_action(label: str, start: datetime, *, minutes: int = 30) -> memo.Action:
    return memo.Action(label=label, action_code="AFTALE", reservation=memo.Reservation(
        description="Samtale om dit sygedagpengeforløb", reservation_uuid="6f1c1a52-0b0e-4a8e-9d6e-1f2a3b4c5d6e",
        abstract="Samtale i Jobcenter Nordby", location="Jobcenter Nordby, Torvet 1",
        start_date_time=start, end_date_time=start + timedelta(minutes=minutes),
        organizer_mail="jobcenter@nordby.example", organizer_name="Jobcenter Nordby"))


def deliver_memo(cast, drain, letter: memo.Message) -> Message:
    response = cast.nordby.submit(letter)
    assert response.status_code == 201, response.content
    drain()
    return Message.objects.get(pk=response.json()["messageId"])
