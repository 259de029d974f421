"""The web mailbox in a real browser: sign in, read, download and switch language as a citizen would.

The same flows are tested with Django's test client in tests/inbox/test_mailbox_pages.py; these tests add
what only a browser shows: clicks, navigation, downloads, the inline PDF frame and the language cookie.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from cast import PDF, Cast
from digitalpost.messages.models import Message
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from helpers.browser import sign_in_to_mailbox
from helpers.pages import deliver_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's built-in PDF viewer
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def rows(page: Page):
    return page.locator("#messages tbody tr")


def row_for(page: Page, message: Message):
    return page.locator(f'#messages tbody tr[data-message="{message.pk}"]')


def submit_over_http(base_url: str, cast: Cast, recipient: Contact, label: str, text: str) -> str:
    """Send a letter to the live server's REST API as Nordby's sender system would; returns the message id."""
    letter = cast.nordby.memo(recipient, label=label, files=[("brev.txt", "text/plain", text.encode())])
    request = urllib.request.Request(
        f"{base_url}/apis/v1/memos?memo-message-uuid={letter.header.message_uuid}",
        data=memo.build(letter), method="POST",
        headers={"Authorization": f"Bearer {cast.nordby.token}", "Content-Type": "application/xml"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["messageId"]


def wait_for_frame(page: Page, matches: Callable[[Frame], bool], timeout_ms: int = 10_000) -> Frame:
    for _ in range(timeout_ms // 100):
        found = next((frame for frame in page.frames if matches(frame)), None)
        if found is not None:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"no such frame among {[frame.url for frame in page.frames]}")


def test_citizen_signs_in_reads_newest_letter_and_it_is_no_longer_unread(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    older = deliver_letter(tx_cast, drain, tx_cast.anna, "Første brev", text="Det første brev.")
    newer = deliver_letter(tx_cast, drain, tx_cast.anna, "Andet brev", text="Du har fået tilskud.\nMed venlig hilsen")
    base = live_server.url

    response = page.goto(f"{base}/login/")
    assert response is not None
    assert response.status == 200
    anna_button = page.locator(f'button[name="contact"][data-number="{tx_cast.anna.number}"]')
    expect(anna_button).to_contain_text("Anna Andersen")
    screenshot("mailbox-sign-in")
    anna_button.click()

    expect(page).to_have_url(f"{base}/post/")
    expect(page.locator("main")).to_contain_text("Anna Andersen")
    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(0)).to_contain_text("Andet brev")
    expect(rows(page).nth(1)).to_contain_text("Første brev")
    expect(row_for(page, newer)).to_have_class("unread")
    expect(row_for(page, older)).to_have_class("unread")
    expect(page.locator("h1 .badge")).to_have_text("2")
    screenshot("mailbox-inbox")

    row_for(page, newer).get_by_role("link", name="Andet brev").click()
    expect(page).to_have_url(f"{base}/post/{newer.pk}/")
    expect(page.locator("h1")).to_have_text("Andet brev")
    expect(page.locator("#main-document")).to_have_text("Du har fået tilskud.\nMed venlig hilsen")
    expect(page.locator("main")).to_contain_text("Nordby Kommune")
    screenshot("mailbox-message")

    page.locator('main a[href="/post/"]').click()
    expect(page).to_have_url(f"{base}/post/")
    expect(row_for(page, newer)).not_to_have_class("unread")
    expect(row_for(page, newer).locator(".badge")).to_have_count(0)
    expect(row_for(page, older)).to_have_class("unread")
    expect(page.locator("h1 .badge")).to_have_text("1")
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.read_at is not None
    assert older.read_at is None


def test_browser_back_from_a_message_shows_it_read(page: Page, live_server, tx_cast: Cast, drain):
    letter = deliver_letter(tx_cast, drain, tx_cast.anna, "Brev", text="Hej Anna")
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
    expect(row_for(page, letter)).to_have_class("unread")
    row_for(page, letter).get_by_role("link", name="Brev").click()
    expect(page.locator("#main-document")).to_have_text("Hej Anna")

    page.go_back()

    expect(page).to_have_url(f"{live_server.url}/post/")
    expect(row_for(page, letter)).not_to_have_class("unread", timeout=2_000)


def test_letter_delivered_while_inbox_is_open_appears_after_reload(page: Page, live_server, tx_cast: Cast, drain):
    deliver_letter(tx_cast, drain, tx_cast.anna, "Gammelt brev")
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
    expect(rows(page)).to_have_count(1)

    message_id = submit_over_http(live_server.url, tx_cast, tx_cast.anna, "Nyt brev fra kommunen", "Læs mig")
    assert drain() >= 1
    assert Message.objects.get(pk=message_id).state == Message.State.DELIVERED
    expect(page.locator("#messages")).not_to_contain_text("Nyt brev fra kommunen")

    page.reload()

    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(0)).to_contain_text("Nyt brev fra kommunen")
    expect(page.locator(f'#messages tbody tr[data-message="{message_id}"]')).to_have_class("unread")


def test_citizen_cannot_open_a_companys_message_by_url(page: Page, live_server, tx_cast: Cast, drain):
    theirs = deliver_letter(tx_cast, drain, tx_cast.dorte, "Fortroligt til Dorte", text="Hemmeligt indhold")
    deliver_letter(tx_cast, drain, tx_cast.anna, "Til Anna")
    base = live_server.url
    sign_in_to_mailbox(page, base, tx_cast.anna.number)

    expect(rows(page)).to_have_count(1)
    expect(rows(page).nth(0)).to_contain_text("Til Anna")
    expect(page.locator("body")).not_to_contain_text("Fortroligt til Dorte")

    response = page.goto(f"{base}/post/{theirs.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Fortroligt til Dorte")
    expect(page.locator("body")).not_to_contain_text("Hemmeligt indhold")

    document = page.request.get(f"{base}/post/{theirs.pk}/documents/1/?download=1")
    assert document.status == 404
    assert b"Hemmeligt indhold" not in document.body()

    page.goto(f"{base}/post/")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("Fortroligt til Dorte")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_attachment_downloads_with_its_exact_bytes(page: Page, live_server, tx_cast: Cast, drain, tmp_path):
    # Every byte value, CR LF and NUL: any re-encoding or newline translation on the way would show.
    content = b"PK\x03\x04" + bytes(range(256)) * 64 + b"\r\n\x00slut"
    files = [("brev.txt", "text/plain", b"Se bilaget."), ("bilag.xlsx", XLSX, content)]
    letter = deliver_letter(tx_cast, drain, tx_cast.anna, "Brev med bilag", files=files)
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
    row_for(page, letter).get_by_role("link", name="Brev med bilag").click()
    expect(page.locator("#main-document")).to_have_text("Se bilaget.")
    link = page.locator("#documents a", has_text="bilag.xlsx")
    expect(link).to_be_visible()

    with page.expect_download() as info:
        link.click()

    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == "bilag.xlsx"
    saved = tmp_path / "downloaded.bin"
    download.save_as(saved)
    assert saved.read_bytes() == content
    expect(page).to_have_url(f"{live_server.url}/post/{letter.pk}/")


def test_pdf_main_document_is_shown_inline_in_the_message_page(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    pdf = [("afgørelse.pdf", "application/pdf", PDF)]
    letter = deliver_letter(tx_cast, drain, tx_cast.anna, "Afgørelse som PDF", files=pdf)
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    document_url = f"/post/{letter.pk}/documents/1/"

    with page.expect_response(lambda r: r.url == f"{live_server.url}{document_url}") as info:
        row_for(page, letter).get_by_role("link", name="Afgørelse som PDF").click()

    frame = page.locator("iframe#main-document")
    expect(frame).to_be_visible()
    expect(frame).to_have_attribute("src", document_url)
    response = info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert not response.headers.get("content-disposition", "").startswith("attachment")
    assert response.frame.url == f"{live_server.url}{document_url}"
    assert response.frame.parent_frame == page.main_frame
    box = frame.bounding_box()
    assert box is not None
    assert box["height"] > 100
    assert downloads == []
    # Chromium renders an inline PDF with its built-in viewer, a frame inside the document's frame.
    assert wait_for_frame(page, lambda f: f.url.startswith(PDF_VIEWER)).parent_frame == response.frame
    screenshot("mailbox-message-pdf")


# A browser asking for Danish, and one asking for a language the site does not offer (falls back to Danish).
@pytest.mark.parametrize("browser_locale", ["da-DK", "de-DE"])
def test_page_is_danish_by_default_and_switches_to_english(
    browser: Browser, live_server, tx_cast: Cast, browser_locale: str
):
    context = browser.new_context(locale=browser_locale)
    try:
        page = context.new_page()
        sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "da")

        page.locator('header button[name="language"][value="en"]').click()

        expect(page).to_have_url(f"{live_server.url}/post/")
        expect(html).to_have_attribute("lang", "en")
        expect(page.locator('header button[name="language"][value="da"]')).to_be_visible()
        page.goto(f"{live_server.url}/login/")
        expect(html).to_have_attribute("lang", "en")
    finally:
        context.close()
