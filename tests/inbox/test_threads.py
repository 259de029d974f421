"""Conversations in the web mailbox: a person sees only their own threads, each as the whole exchange in order.

Inquiries are written through the real service; Nordby's answers arrive as real signed and encrypted
secure mail (see conftest.py), so the thread page shows what the hub actually files.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.messages.models import Message, Thread
from helpers.pages import deliver_letter, signed_in


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def write(party, mailbox, subject: str, text: str = "Hej", **options) -> Message:
    values = {"topic": "Pas", "metadata": (("Barnets navn", "Emilie"),)} | options
    return send_inquiry(party=party, mailbox=mailbox, inquiry=Inquiry(subject=subject, text=text, **values))


def thread_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-thread="[^"]+">.*?</tr>', html, re.S)


def test_conversations_need_sign_in(cast, borgerservice):
    sent = write(cast.anna, borgerservice, "Mit pas")
    for url in ("/post/threads/", f"/post/threads/{sent.thread_id}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_conversations_list_own_threads_newest_activity_first(cast, borgerservice, nordby_replies):
    older = write(cast.anna, borgerservice, "Første henvendelse")
    write(cast.anna, borgerservice, "Anden henvendelse", topic="Kørekort")
    write(cast.dorte, borgerservice, "Dortes henvendelse")
    html = signed_in(cast.anna).get("/post/threads/").content.decode()
    rows = thread_rows(html)
    assert [("Anden" in r, "Første" in r) for r in rows] == [(True, False), (False, True)]
    assert "Borgerservice · Kørekort" in rows[0]
    assert "Nordby Kommune" in rows[0]
    assert "Dortes henvendelse" not in html

    assert older.thread is not None
    nordby_replies(older.thread, "Dit pas er klar.")

    rows = thread_rows(signed_in(cast.anna).get("/post/threads/").content.decode())
    assert "Første henvendelse" in rows[0]


def test_conversations_page_is_danish_by_default(cast):
    html = signed_in(cast.anna).get("/post/threads/").content.decode()
    assert 'lang="da"' in html
    assert "<h1>Samtaler</h1>" in html
    assert "Du har ingen samtaler." in html


def test_thread_shows_the_exchange_in_order_marked_by_who_wrote(cast, borgerservice, nordby_replies):
    sent = write(cast.anna, borgerservice, "Mit pas", text="Hvornår er mit pas klar?")
    assert sent.thread is not None
    answer = nordby_replies(sent.thread, "Dit pas kan hentes fra mandag.")
    client = signed_in(cast.anna)
    client.get(f"/post/{answer.pk}/")  # read on its own page

    html = client.get(f"/post/threads/{sent.thread_id}/").content.decode()

    entries = re.findall(r'<article class="entry[^"]*" data-message="([^"]+)">(.*?)</article>', html, re.S)
    assert [message_id for message_id, _ in entries] == [str(sent.pk), str(answer.pk)]
    assert "Du skrev" in entries[0][1]
    assert "Hvornår er mit pas klar?" in entries[0][1]
    assert "Nordby Kommune skrev" in entries[1][1]
    assert "Dit pas kan hentes fra mandag." in entries[1][1]
    assert f'href="/post/{sent.pk}/documents/1/?download=1">henvendelse.txt' in entries[0][1]
    assert f'href="/post/{answer.pk}/documents/1/?download=1"' in entries[1][1]
    assert "Borgerservice · Pas" in html


def test_unread_answer_is_opened_on_its_own_page_so_the_read_is_recorded(cast, borgerservice, nordby_replies):
    sent = write(cast.anna, borgerservice, "Mit pas")
    assert sent.thread is not None
    answer = nordby_replies(sent.thread, "Dit pas kan hentes fra mandag.")
    client = signed_in(cast.anna)

    html = client.get(f"/post/threads/{sent.thread_id}/").content.decode()

    assert "Dit pas kan hentes fra mandag." not in html
    assert "Åbn meddelelsen for at læse den." in html
    assert f'href="/post/{answer.pk}/"' in html
    answer.refresh_from_db()
    assert answer.read_at is None
    assert "Dit pas kan hentes fra mandag." in client.get(f"/post/{answer.pk}/").content.decode()
    assert "Dit pas kan hentes fra mandag." in client.get(f"/post/threads/{sent.thread_id}/").content.decode()


def test_message_page_links_to_its_thread(cast, borgerservice, drain):
    sent = write(cast.anna, borgerservice, "Mit pas")
    letter = deliver_letter(cast, drain, cast.anna, "Brev uden samtale")
    client = signed_in(cast.anna)
    assert f'href="/post/threads/{sent.thread_id}/"' in client.get(f"/post/{sent.pk}/").content.decode()
    assert 'id="thread-link"' not in client.get(f"/post/{letter.pk}/").content.decode()


def test_another_person_cannot_see_the_thread_nor_the_sent_message(cast, borgerservice, nordby_replies):
    sent = write(cast.anna, borgerservice, "Fortroligt om mit pas", text="Hemmeligt indhold")
    assert sent.thread is not None
    answer = nordby_replies(sent.thread, "Svar til Anna")
    intruder = signed_in(cast.dorte)

    assert intruder.get(f"/post/threads/{sent.thread_id}/").status_code == 404
    assert intruder.get(f"/post/{sent.pk}/").status_code == 404
    assert intruder.get(f"/post/{sent.pk}/documents/1/").status_code == 404
    assert intruder.get(f"/post/{answer.pk}/").status_code == 404
    listing = intruder.get("/post/threads/").content.decode()
    assert "Fortroligt om mit pas" not in listing
    assert thread_rows(listing) == []
    answer.refresh_from_db()
    assert answer.read_at is None
    assert Thread.objects.get().party == cast.anna


def test_unknown_thread_is_not_found(cast):
    assert signed_in(cast.anna).get("/post/threads/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_navigation_is_shown_only_when_signed_in(cast):
    signed_out = Client().get("/login/").content.decode()
    assert 'href="/post/threads/"' not in signed_out
    header = signed_in(cast.anna).get("/post/").content.decode().split("</header>")[0]
    assert '<a href="/post/" aria-current="page">Indbakke</a>' in header
    assert '<a href="/post/threads/">Samtaler</a>' in header
    assert '<a href="/post/write/">Skriv</a>' in header


def test_citizen_writes_again_in_her_conversation_from_the_thread_page(cast):
    from digitalpost.authorities.services.mailboxes import create_mailbox
    from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
    from digitalpost.messages.models import Message
    from helpers.pages import signed_in

    mailbox = create_mailbox(authority=cast.nordby.authority, name="Skat")
    thread = send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Frist", text="Hej")).thread
    client = signed_in(cast.anna)
    response = client.post(f"/post/threads/{thread.pk}/", {"text": "Har I set min besked?"})
    assert response.status_code == 302
    assert Message.objects.filter(thread=thread).count() == 2
    assert "Har I set min besked?" in client.get(response["Location"]).content.decode()
    # Another citizen cannot write in it.
    assert signed_in(cast.dorte).post(f"/post/threads/{thread.pk}/", {"text": "x"}).status_code == 404
    assert Message.objects.filter(thread=thread).count() == 2


def test_thread_page_says_when_the_authority_takes_no_replies(cast):
    from digitalpost.authorities.services.mailboxes import create_mailbox
    from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
    from digitalpost.messages.models import Thread
    from helpers.pages import signed_in

    mailbox = create_mailbox(authority=cast.nordby.authority, name="Skat")
    thread = send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Frist", text="Hej")).thread
    Thread.objects.filter(pk=thread.pk).update(party_may_reply=False)
    html = signed_in(cast.anna).get(f"/post/threads/{thread.pk}/").content.decode()
    assert 'id="followup"' in html
    assert "<textarea" not in html
