"""Writing to an authority in a real browser: choose authority, mailbox and topic, fill in, attach, send.

The same flow is tested with Django's test client in tests/inbox/test_write_inquiry.py; this test adds what
only a browser shows: the links through the three steps, the file picker, and the redirect to the thread.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cast import Cast
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.messages.models import Message, Thread
from digitalpost.outbox.models import Job
from helpers.browser import sign_in_to_mailbox

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def test_citizen_writes_to_borgerservice_with_topic_field_and_attachment_and_sees_the_thread(
    page: Page, live_server, tx_cast: Cast, screenshot
):
    borgerservice = create_mailbox(
        authority=tx_cast.nordby.authority, name="Borgerservice", topics=["Pas", "Kørekort"],
        metadata_fields=[("Sagsnummer", False), ("Barnets navn", True)],
    )
    base = live_server.url
    sign_in_to_mailbox(page, base, tx_cast.anna.number)

    page.locator("header nav").get_by_role("link", name="Skriv").click()
    expect(page.locator("h1")).to_have_text("Skriv til en myndighed")
    page.get_by_role("link", name="Nordby Kommune").click()
    expect(page.locator(f'#mailboxes li[data-mailbox="{borgerservice.pk}"]')).to_contain_text("Borgerservice")
    page.locator(f'#mailboxes li[data-mailbox="{borgerservice.pk}"]').get_by_role("link", name="Pas").click()

    expect(page.locator("h1")).to_have_text("Skriv til Nordby Kommune: Borgerservice")
    expect(page.get_by_label("Emne")).to_have_value("Pas")
    page.get_by_label("Overskrift").fill("Mit pas")
    page.get_by_label("Din besked").fill("Hej\nHvornår er mit pas klar? Jeg skal rejse på fredag.")
    page.get_by_label("Barnets navn").fill("Emilie")
    page.get_by_label("Bilag").set_input_files(
        files=[{"name": "pasfoto.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 pasfoto"}]
    )
    screenshot("inquiry-form")
    page.get_by_role("button", name="Send").click()

    thread = Thread.objects.get()
    expect(page).to_have_url(f"{base}/post/threads/{thread.pk}/?sent=1")
    expect(page.locator("#confirmation")).to_contain_text("Din besked er sendt til Nordby Kommune: Borgerservice.")
    expect(page.locator("h1")).to_have_text("Mit pas")
    entry = page.locator("article.entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Du skrev")
    expect(entry.locator("pre.document")).to_have_text("Hej\nHvornår er mit pas klar? Jeg skal rejse på fredag.")
    expect(entry.get_by_role("link", name="pasfoto.pdf")).to_be_visible()
    screenshot("inquiry-thread")

    message = Message.objects.get()
    assert (thread.party_id, thread.authority_mailbox_id, thread.topic) == (tx_cast.anna.pk, borgerservice.pk, "Pas")
    assert [(d.filename, d.size) for d in message.documents.all()] == [
        ("henvendelse.txt", len("Hej\nHvornår er mit pas klar? Jeg skal rejse på fredag.".encode())),
        ("pasfoto.pdf", len(b"%PDF-1.4 pasfoto")),
    ]
    assert Job.objects.filter(kind="FORWARD", key=f"forward:{message.pk}").exists()
