"""The standard cast every test can ask for (STYLE rule 12), built through the real services.

Nordby Kommune is the authority under test, Sydby Kommune the intruder; Anna is registered, Bent exempt,
Carl closed; Bodil is Bent's daughter (registered; she may be given a power of attorney for him); Dorte ApS is a
registered company. Portal tests add the staff: nora / niels are Nordby's
superadministrator / caseworker (for the mailbox "Borgerservice"), sofie is Sydby's superadministrator
(the intruder), otto a platform operator.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from digitalpost.accounts.services import create_user, grant_role, make_operator
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.organisation import create_authority
from digitalpost.core.roles import Role
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.registry.services import register_contact
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services.senders import create_sender_system
from helpers.otp import verified_client

NORDBY_CVR = "29190003"
SYDBY_CVR = "55660018"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Sender:
    authority: Authority
    system: SenderSystem
    token: str

    def client(self, *, basic: bool = False) -> Client:
        if basic:
            header = "Basic " + base64.b64encode(f"system:{self.token}".encode()).decode()
        else:
            header = f"Bearer {self.token}"
        return Client(HTTP_AUTHORIZATION=header)

    def memo(self, recipient: Contact | str, *, label: str = "Brev", id_type: str | None = None,
             files: list[tuple[str, str, bytes]] | None = None, **options: Any) -> memo.Message:
        number = recipient.number if isinstance(recipient, Contact) else recipient
        if id_type is None:
            id_type = "CVR" if isinstance(recipient, Contact) and recipient.kind == Contact.Kind.COMPANY else "CPR"
        return memo.simple_message(
            sender_cvr=options.pop("sender_cvr", self.authority.cvr), sender_label=self.authority.name,
            recipient_id=number, recipient_id_type=id_type, label=label,
            files=files or [("brev.pdf", "application/pdf", PDF)],
            created=datetime(2026, 11, 1, 12, 0, tzinfo=UTC), **options,
        )

    def submit(self, message: memo.Message | bytes, *, message_uuid: str | None = None, client: Client | None = None,
               **headers: str):
        body = message if isinstance(message, bytes) else memo.build(message)
        if message_uuid is None and not isinstance(message, bytes):
            message_uuid = message.header.message_uuid
        query = f"?memo-message-uuid={message_uuid}" if message_uuid else ""
        return (client or self.client()).post(f"/apis/v1/memos{query}", data=body, content_type="application/xml",
                                              **headers)


@dataclass
class Cast:
    nordby: Sender
    sydby: Sender
    anna: Contact
    bent: Contact
    carl: Contact
    dorte: Contact
    bodil: Contact


def build_cast() -> Cast:
    nordby = create_authority(cvr=NORDBY_CVR, name="Nordby Kommune", may_send_mandatory=True,
                              may_send_legal_notification=True)
    sydby = create_authority(cvr=SYDBY_CVR, name="Sydby Kommune")
    nordby_system = create_sender_system(authority=nordby, name="Nordby fjernprint", is_standard=True)
    sydby_system = create_sender_system(authority=sydby, name="Sydby fjernprint", is_standard=True)
    return Cast(
        nordby=Sender(nordby, nordby_system.system, nordby_system.token),
        sydby=Sender(sydby, sydby_system.system, sydby_system.token),
        anna=register_contact(kind=Contact.Kind.CITIZEN, number="0505851234", name="Anna Andersen",
                              address_line="Skolevej 1", postal_code="8000", city="Aarhus C"),
        bent=register_contact(kind=Contact.Kind.CITIZEN, number="1203702345", name="Bent Bertelsen",
                              status=Contact.Status.EXEMPT, address_line="Åboulevarden 12, 3. tv.",
                              postal_code="8000", city="Aarhus C"),
        carl=register_contact(kind=Contact.Kind.CITIZEN, number="2404603456", name="Carl Christensen",
                              status=Contact.Status.CLOSED),
        dorte=register_contact(kind=Contact.Kind.COMPANY, number="33770006", name="Dorte ApS"),
        bodil=register_contact(kind=Contact.Kind.CITIZEN, number="0807984567", name="Bodil Bertelsen",
                               address_line="Vestergade 5", postal_code="8000", city="Aarhus C"),
    )


def new_uuid() -> str:
    return str(uuid.uuid4())


STAFF_PASSWORD = "test-password-not-secret"


@dataclass
class Staff:
    nora: User
    niels: User
    sofie: User
    otto: User
    nordby_borgerservice: AuthorityMailbox
    sydby_borgerservice: AuthorityMailbox

    def client(self, user: User, *, language: str = "en") -> Client:
        """Signed in as `user`; pages in English unless asked (assert on codes and data, not Danish prose)."""
        return verified_client(user, language=language)


def build_staff(cast: Cast) -> Staff:
    nordby_box = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", topics=["Pas", "Flytning"])
    sydby_box = create_mailbox(authority=cast.sydby.authority, name="Borgerservice")

    def user(username: str, name: str) -> User:
        return create_user(username=username, full_name=name, email=f"{username}@example.org",
                           password=STAFF_PASSWORD)

    nora, niels, sofie, otto = (user("nora", "Nora Nielsen"), user("niels", "Niels Nygaard"),
                                user("sofie", "Sofie Skov"), user("otto", "Otto Olsen"))
    grant_role(authority=cast.nordby.authority, user=nora, role=Role.SUPERADMIN)
    grant_role(authority=cast.nordby.authority, user=niels, role=Role.CASEWORKER, mailboxes=[nordby_box])
    grant_role(authority=cast.sydby.authority, user=sofie, role=Role.SUPERADMIN)
    make_operator(user=otto)
    return Staff(nora=nora, niels=niels, sofie=sofie, otto=otto, nordby_borgerservice=nordby_box,
                 sydby_borgerservice=sydby_box)
