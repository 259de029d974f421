"""Writing to an authority from the web mailbox: pick an authority, a mailbox (and topic), then write.

Success opens a thread and queues forwarding; every refusal is shown with its code and text, and what the
citizen wrote is kept on the form.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.messages.models import Message, Thread
from digitalpost.outbox.models import Job
from helpers.pages import signed_in

ANNAS_TEXT = "Hej\nHvornår er mit pas klar? Jeg skal rejse på fredag."


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


@pytest.fixture
def other_mailboxes(cast):
    """Mailboxes that must never be offered: closed, hidden, and Sydby's only (closed) one."""
    return {
        "closed": create_mailbox(authority=cast.nordby.authority, name="Lukket postkasse", is_open=False),
        "hidden": create_mailbox(authority=cast.nordby.authority, name="Skjult postkasse", is_visible=False),
        "sydby": create_mailbox(authority=cast.sydby.authority, name="Sydby lukket", is_open=False),
    }


def form_url(mailbox) -> str:
    return f"/post/write/mailbox/{mailbox.pk}/"


def filled(**changes):
    values = {"topic": "Pas", "subject": "Mit pas", "text": ANNAS_TEXT, "field_0": "S-2026-117",
              "field_1": "Emilie"}
    return values | changes


def pdf(name: str = "pas.pdf", content: bytes = b"%PDF-1.4 pas") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def assert_input_kept(html: str, values: dict) -> None:
    assert 'value="Mit pas"' in html
    assert "Hvornår er mit pas klar? Jeg skal rejse på fredag." in html
    assert 'value="S-2026-117"' in html
    assert 'value="Emilie"' in html
    if values.get("topic"):
        assert re.search(r'<option value="Pas" selected>', html)


def test_writing_needs_sign_in(cast, borgerservice):
    for url in ("/post/write/", f"/post/write/{cast.nordby.authority.cvr}/", form_url(borgerservice)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_only_authorities_with_open_visible_mailboxes_are_offered(cast, borgerservice, other_mailboxes):
    html = signed_in(cast.anna).get("/post/write/").content.decode()
    assert "Skriv til en myndighed" in html
    assert f'href="/post/write/{cast.nordby.authority.cvr}/"' in html
    assert "Sydby Kommune" not in html


def test_closed_and_hidden_mailboxes_are_not_offered(cast, borgerservice, other_mailboxes):
    client = signed_in(cast.anna)
    html = client.get(f"/post/write/{cast.nordby.authority.cvr}/").content.decode()
    assert "Borgerservice" in html
    assert f'href="{form_url(borgerservice)}?topic=K%C3%B8rekort"' in html
    assert "Lukket postkasse" not in html
    assert "Skjult postkasse" not in html
    assert client.get(f"/post/write/{cast.sydby.authority.cvr}/").status_code == 404
    assert client.get(form_url(other_mailboxes["hidden"])).status_code == 404


def test_form_asks_for_topic_and_marks_the_required_field_in_danish(cast, borgerservice):
    html = signed_in(cast.anna).get(form_url(borgerservice) + "?topic=Pas").content.decode()
    assert "Skriv til Nordby Kommune: Borgerservice" in html
    assert '<option value="Pas" selected>Pas</option>' in html
    assert re.search(r'<input type="text" name="field_1"[^>]* required', html)
    assert not re.search(r'<input type="text" name="field_0"[^>]* required', html)
    assert re.search(r'<input type="file" name="attachments" multiple', html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Felter markeret med * skal udfyldes." in html


def test_writing_opens_a_thread_queues_forwarding_and_lands_on_the_thread(cast, borgerservice):
    client = signed_in(cast.anna)
    attachment = pdf()
    response = client.post(form_url(borgerservice), filled(attachments=[attachment]))

    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/post/threads/{thread.pk}/?sent=1"
    assert (thread.party, thread.authority_mailbox, thread.topic, thread.subject) == (
        cast.anna, borgerservice, "Pas", "Mit pas")
    message = Message.objects.get()
    assert message.thread == thread
    assert message.direction == Message.Direction.TO_AUTHORITY
    assert [(d.filename, d.media_type) for d in message.documents.all()] == [
        ("henvendelse.txt", "text/plain"), ("pas.pdf", "application/pdf")]
    assert Job.objects.filter(kind="FORWARD", key=f"forward:{message.pk}").exists()
    page = client.get(response["Location"]).content.decode()
    assert "Din besked er sendt til Nordby Kommune: Borgerservice." in page
    assert ANNAS_TEXT in page


def test_form_errors_keep_what_was_written_and_send_nothing(cast, borgerservice):
    response = signed_in(cast.anna).post(form_url(borgerservice), filled(field_1=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Din besked blev ikke sendt. Ret de markerede felter nedenfor." in html
    assert 'value="Mit pas"' in html
    assert "Hvornår er mit pas klar?" in html
    assert (Message.objects.count(), Thread.objects.count(), Job.objects.count()) == (0, 0, 0)


def test_subject_longer_than_256_characters_is_refused_by_the_form(cast, borgerservice):
    response = signed_in(cast.anna).post(form_url(borgerservice), filled(subject="x" * 257))
    assert 'id="form-errors"' in response.content.decode()
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("attachments", "code", "text"),
    [
        ([pdf(f"bilag{n}.pdf") for n in range(11)], "attachments.too.many", "attachments"),
        ([SimpleUploadedFile("program.exe", b"MZ", content_type="application/octet-stream")],
         "file.extension.not.allowed", "extension"),
        ([pdf("tom.pdf", b"")], "file.empty.not.allowed", "empty"),
    ],
    ids=["eleven-attachments", "exe-file", "empty-file"],
)
def test_refused_attachments_show_code_and_text_and_keep_the_input(cast, borgerservice, attachments, code, text):
    response = signed_in(cast.anna).post(form_url(borgerservice), filled(attachments=attachments))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Din besked blev ikke sendt." in html
    refusal = re.search(r'<div class="notice error" id="refusal".*?</div>', html, re.S)
    assert refusal is not None
    assert f"<code>{code}</code>" in refusal.group(0)
    assert text in refusal.group(0).lower()
    assert_input_kept(html, filled())
    assert "Vælg disse filer igen:" in html
    assert (Message.objects.count(), Thread.objects.count(), Job.objects.count()) == (0, 0, 0)


def test_message_larger_than_the_mailbox_allows_is_refused_with_message_too_large(cast):
    small = create_mailbox(authority=cast.nordby.authority, name="Lille", max_message_bytes=1000,
                           metadata_fields=[("Sagsnummer", False), ("Barnets navn", True)])
    values = filled(topic="", attachments=[pdf(content=b"%PDF" + b"x" * 2000)])
    html = signed_in(cast.anna).post(form_url(small), values).content.decode()
    assert "<code>message.too.large</code>" in html
    assert_input_kept(html, values)
    assert Message.objects.count() == 0


def test_closed_mailbox_is_not_offered_a_form_and_refuses_with_mailbox_closed(cast, other_mailboxes):
    closed = other_mailboxes["closed"]
    client = signed_in(cast.anna)
    page = client.get(form_url(closed)).content.decode()
    assert "Denne postkasse modtager ikke nye beskeder lige nu." in page
    assert "<form class=\"inquiry\"" not in page

    html = client.post(form_url(closed), {"subject": "Mit pas", "text": ANNAS_TEXT}).content.decode()

    assert "<code>mailbox.closed</code>" in html
    assert 'value="Mit pas"' in html
    assert "Hvornår er mit pas klar?" in html
    assert Message.objects.count() == 0


def test_company_writes_in_its_own_name(cast, borgerservice):
    response = signed_in(cast.dorte).post(form_url(borgerservice), filled())
    assert response.status_code == 302
    assert Thread.objects.get().party == cast.dorte
