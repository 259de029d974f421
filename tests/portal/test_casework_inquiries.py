"""The caseworker inbox: only one's own mailboxes, the conversation with its fields and documents, replying
from the browser through the hub's reply path, assigning and marking handled — and every intruder refused."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from digitalpost.accounts.services import create_user, grant_role
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import Role
from digitalpost.messages.models import Message, Thread
from digitalpost.systems.models import SenderSystem
from helpers.pages import signed_in

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def ask(cast, mailbox, subject="Mit pas", text="Hvornår er mit pas klar?", party=None, **options) -> Message:
    values = {"topic": "Pas"} | options
    inquiry = Inquiry(subject=subject, text=text, **values)
    return send_inquiry(party=party or cast.anna, mailbox=mailbox, inquiry=inquiry)


def member(cast, username: str, role: Role, mailboxes=()):
    user = create_user(username=username, full_name=username.title(), email=f"{username}@example.org",
                       password="p" * 12)
    grant_role(authority=cast.nordby.authority, user=user, role=role, mailboxes=list(mailboxes))
    return user


@pytest.fixture
def asked(cast, staff) -> Message:
    box = staff.nordby_borgerservice
    box.metadata_fields.create(label="Sagsnummer", is_required=False)
    return ask(cast, box, metadata=(("Sagsnummer", "S-123"),),
               attachments=[("pas.pdf", "application/pdf", PDF)])


def pages_of(asked: Message) -> list[str]:
    thread = f"inquiries/{asked.thread_id}"
    return ["inquiries", thread, f"{thread}/messages/{asked.pk}/documents/1"]


def url(cast, *parts) -> str:
    return "/".join([f"/portal/{cast.nordby.authority.cvr}", *parts]) + "/"


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-thread="([^"]+)">', html)


def test_caseworker_sees_only_the_conversations_of_their_own_mailboxes(cast, staff, asked):
    other_box = create_mailbox(authority=cast.nordby.authority, name="Skat")
    ask(cast, other_box, subject="Min skat", topic="")
    ask(cast, staff.sydby_borgerservice, subject="Sydby-sag", topic="")
    html = staff.client(staff.niels).get(url(cast, "inquiries")).content.decode()
    assert rows(html) == [str(asked.thread_id)]
    assert "Min skat" not in html
    assert "Sydby-sag" not in html
    assert "Borgerservice" in html
    assert "Anna Andersen" in html


def test_inbox_filters_open_handled_and_assigned_to_me(cast, staff, asked):
    second = ask(cast, staff.nordby_borgerservice, subject="Flytning", topic="Flytning")
    client = staff.client(staff.niels)
    client.post(url(cast, "inquiries", str(asked.thread_id), "handled"), {"handled": "1"})
    client.post(url(cast, "inquiries", str(second.thread_id), "assign"), {"assignee": str(staff.niels.pk)})
    listing = url(cast, "inquiries")
    assert rows(client.get(listing).content.decode()) == [str(second.thread_id)]
    assert rows(client.get(listing, {"status": "handled"}).content.decode()) == [str(asked.thread_id)]
    assert set(rows(client.get(listing, {"status": "all"}).content.decode())) == {
        str(asked.thread_id), str(second.thread_id)}
    assert rows(client.get(listing, {"status": "all", "mine": "on"}).content.decode()) == [str(second.thread_id)]
    by_box = client.get(listing, {"status": "all", "mailbox": str(staff.nordby_borgerservice.pk)}).content.decode()
    assert len(rows(by_box)) == 2


def test_inbox_is_paginated(cast, staff):
    for n in range(27):
        ask(cast, staff.nordby_borgerservice, subject=f"Sag {n}")
    client = staff.client(staff.niels)
    first = client.get(url(cast, "inquiries")).content.decode()
    second = client.get(url(cast, "inquiries"), {"page": "2"}).content.decode()
    assert (len(rows(first)), len(rows(second))) == (25, 2)


def test_conversation_shows_the_citizens_fields_text_and_documents_without_marking_read(cast, staff, asked, drain):
    client = staff.client(staff.niels)
    client.post(url(cast, "inquiries", str(asked.thread_id)), {"text": "Dit pas er klar."})
    drain()
    response = client.get(url(cast, "inquiries", str(asked.thread_id)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hvornår er mit pas klar?" in html
    assert "Sagsnummer" in html
    assert "S-123" in html
    assert "<dt>Topic</dt><dd>Pas</dd>" in html
    assert "pas.pdf" in html
    assert "Dit pas er klar." in html
    assert not Message.objects.exclude(read_at=None).exists()
    assert not Message.objects.filter(events__kind=EventKind.MESSAGE_READ).exists()


def test_documents_download_as_attachments_that_are_never_sniffed(cast, staff, asked):
    response = staff.client(staff.niels).get(url(cast, "inquiries", str(asked.thread_id), "messages", str(asked.pk),
                                                 "documents", "2"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="pas.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == PDF


def test_caseworker_reply_with_attachment_reaches_the_citizens_conversation(cast, staff, asked, drain):
    client = staff.client(staff.niels)
    response = client.post(url(cast, "inquiries", str(asked.thread_id)), {
        "text": "Dit pas er klar.\r\nMed venlig hilsen", "attachments": [
            SimpleUploadedFile("kvittering.pdf", PDF, content_type="application/pdf")]})
    assert response.status_code == 302
    reply = Message.objects.get(direction=Message.Direction.TO_PARTY)
    assert (reply.thread_id, reply.sender_system, reply.label) == (asked.thread_id, cast.nordby.system, "SV: Mit pas")
    assert drain() == 1
    reply.refresh_from_db()
    assert reply.state == Message.State.DELIVERED
    assert [d.filename for d in reply.documents.all()] == ["svar.txt", "kvittering.pdf"]

    anna = signed_in(cast.anna)
    thread_page = anna.get(f"/post/threads/{asked.thread_id}/").content.decode()
    assert f'data-message="{reply.pk}"' in thread_page
    letter = anna.get(f"/post/{reply.pk}/").content.decode()
    assert "Dit pas er klar.\nMed venlig hilsen" in letter


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"text": "  "}, "reply.empty"),
        ({"text": "Se bilag", "attachments": [SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")]},
         "file.extension.not.allowed"),
        ({"text": "Se bilag", "attachments": [SimpleUploadedFile(f"{n}.pdf", PDF, "application/pdf")
                                               for n in range(11)]}, "attachments.too.many"),
    ],
)
def test_a_refused_reply_is_shown_on_the_form_with_its_code_and_nothing_is_sent(cast, staff, asked, data, code):
    response = staff.client(staff.niels).post(url(cast, "inquiries", str(asked.thread_id)), data)
    assert response.status_code == 200
    assert code in response.content.decode()
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()


def test_without_a_standard_sender_system_the_form_says_what_to_set_up(cast, staff, asked):
    SenderSystem.objects.filter(authority=cast.nordby.authority).update(is_standard=False)
    response = staff.client(staff.niels).post(url(cast, "inquiries", str(asked.thread_id)), {"text": "Svar"})
    assert "standard.sender.system.required" in response.content.decode()
    assert "Sender systems" in response.content.decode()


def test_assigning_to_a_colleague_and_marking_handled(cast, staff, asked):
    colleague = member(cast, "mette", Role.CASEWORKER, [staff.nordby_borgerservice])
    client = staff.client(staff.niels)
    page = client.get(url(cast, "inquiries", str(asked.thread_id))).content.decode()
    assert f'value="{colleague.pk}"' in page
    client.post(url(cast, "inquiries", str(asked.thread_id), "assign"), {"assignee": str(colleague.pk)})
    client.post(url(cast, "inquiries", str(asked.thread_id), "handled"), {"handled": "1"})
    thread = Thread.objects.get(pk=asked.thread_id)
    assert thread.assigned_to == colleague
    assert thread.handled_at is not None
    kinds = list(asked.events.values_list("kind", flat=True))
    assert EventKind.INQUIRY_ASSIGNED in kinds
    assert EventKind.INQUIRY_HANDLED in kinds


def test_assigning_to_someone_outside_the_mailbox_is_refused(cast, staff, asked):
    response = staff.client(staff.niels).post(url(cast, "inquiries", str(asked.thread_id), "assign"),
                                              {"assignee": str(staff.nora.pk)})
    assert response.status_code == 302
    assert Thread.objects.get(pk=asked.thread_id).assigned_to is None


def test_a_thread_of_a_mailbox_the_caseworker_does_not_have_is_not_found(cast, staff):
    other = ask(cast, create_mailbox(authority=cast.nordby.authority, name="Skat"), topic="")
    client = staff.client(staff.niels)
    base = url(cast, "inquiries", str(other.thread_id))
    assert client.get(base).status_code == 404
    assert b"inquiry.not.found" in client.get(base).content
    assert client.post(base, {"text": "Svar"}).status_code == 404
    assert client.post(base + "assign/", {"assignee": ""}).status_code == 404
    assert client.post(base + "handled/", {"handled": "1"}).status_code == 404
    assert client.get(base + f"messages/{other.pk}/documents/1/").status_code == 404
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()


def test_sydby_gets_not_found_for_nordby_pages_and_for_nordby_threads_under_its_own_cvr(cast, staff, asked):
    sofie = staff.client(staff.sofie)
    for path in pages_of(asked):
        assert sofie.get(url(cast, path)).status_code == 404
    grant_role(authority=cast.sydby.authority, user=staff.sofie, role=Role.CASEWORKER,
               mailboxes=[staff.sydby_borgerservice])
    own = f"/portal/{cast.sydby.authority.cvr}/inquiries/{asked.thread_id}/"
    assert sofie.get(own).status_code == 404
    assert sofie.post(own, {"text": "Svar"}).status_code == 404
    assert sofie.get(own + f"messages/{asked.pk}/documents/1/").status_code == 404
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERADMIN, Role.CITIZEN_SERVICE])
def test_roles_without_casework_cannot_open_the_inbox_or_a_conversation(cast, staff, asked, role):
    user = staff.nora if role == Role.SUPERADMIN else member(cast, "ulla", role)
    client = staff.client(user)
    for path in pages_of(asked):
        response = client.get(url(cast, path))
        assert response.status_code == 403
        assert b"role.not.allowed" in response.content
        assert b"Hvorn" not in response.content


def test_inquiry_pages_need_sign_in(cast, staff, asked):
    from django.test import Client

    response = Client().get(url(cast, "inquiries", str(asked.thread_id)))
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")
