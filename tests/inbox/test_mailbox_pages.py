"""The web mailbox: a person sees only their own delivered mail; reading is recorded once."""

import pytest
from django.test import Client

from digitalpost.messages.models import Message
from helpers.pages import deliver_letter, signed_in


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def test_demo_sign_in_lists_identities_and_signs_in(cast):
    client = Client()
    page = client.get("/login/")
    assert "Anna Andersen" in page.content.decode()
    response = client.post("/login/", {"contact": str(cast.anna.pk)})
    assert response.status_code == 302
    assert client.get("/post/").status_code == 200


def test_demo_sign_in_does_not_exist_outside_demo_mode(cast, settings):
    settings.DEMO_MODE = False
    assert Client().get("/login/").status_code == 404
    assert Client().post("/login/", {"contact": str(cast.anna.pk)}).status_code == 404


def test_inbox_needs_sign_in(cast):
    response = Client().get("/post/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_inbox_lists_own_delivered_mail_newest_first_with_unread_marked(cast, drain):
    deliver_letter(cast, drain, cast.anna, "Første brev")
    deliver_letter(cast, drain, cast.anna, "Andet brev")
    deliver_letter(cast, drain, cast.dorte, "Til Dorte")
    cast.nordby.submit(cast.nordby.memo(cast.anna, label="Ikke leveret endnu"))
    html = signed_in(cast.anna).get("/post/").content.decode()
    assert html.index("Andet brev") < html.index("Første brev")
    assert "Til Dorte" not in html
    assert "Ikke leveret endnu" not in html
    assert html.count('class="unread"') == 2


def test_opening_a_message_shows_text_and_records_read_once(cast, drain):
    message = deliver_letter(cast, drain, cast.anna, "Afgørelse", text="Du har fået tilskud.")
    client = signed_in(cast.anna)
    page = client.get(f"/post/{message.pk}/")
    assert "Du har fået tilskud." in page.content.decode()
    client.get(f"/post/{message.pk}/")
    message.refresh_from_db()
    assert message.read_at is not None
    assert list(message.events.values_list("kind", flat=True)) == [
        "MESSAGE_RECEIVED", "MESSAGE_DELIVERED", "MESSAGE_READ"
    ]


def test_someone_elses_message_and_documents_are_not_found(cast, drain):
    theirs = deliver_letter(cast, drain, cast.dorte, "Til Dorte")
    client = signed_in(cast.anna)
    assert client.get(f"/post/{theirs.pk}/").status_code == 404
    assert client.get(f"/post/{theirs.pk}/documents/1/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_document_is_downloaded_with_its_bytes(cast, drain):
    message = deliver_letter(cast, drain, cast.anna, "Brev", text="indhold")
    response = signed_in(cast.anna).get(f"/post/{message.pk}/documents/1/?download=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"indhold"
    assert "attachment" in response["Content-Disposition"]


def test_html_documents_are_served_sandboxed(cast, drain):
    html = [("brev.html", "text/html", b"<script>x()</script>")]
    message = deliver_letter(cast, drain, cast.anna, "HTML", files=html)
    response = signed_in(cast.anna).get(f"/post/{message.pk}/documents/1/")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_inbox_is_paginated(cast, drain):
    for n in range(23):
        deliver_letter(cast, drain, cast.anna, f"Brev nummer {n:02d}")
    client = signed_in(cast.anna)
    first = client.get("/post/").content.decode()
    second = client.get("/post/?page=2").content.decode()
    assert "Brev nummer 22" in first
    assert "Brev nummer 00" not in first
    assert "Brev nummer 00" in second
    assert Message.objects.count() == 23
