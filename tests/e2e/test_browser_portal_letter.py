"""A caseworker starts a letter in the portal in a real browser — recipient typed into the form, text, a PDF,
"may answer" — and Anna finds it in her web mailbox. A refusal shows its code on the page. The recipient's
number never appears in a URL the browser visits."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cast import Cast, build_staff
from digitalpost.messages.models import Message
from helpers.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LETTER = "Kære Anna\nDin ansøgning om beboerlicens er godkendt."


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def test_caseworker_starts_a_letter_in_the_portal_and_anna_reads_it_in_her_mailbox(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    staff = build_staff(tx_cast)
    cvr = tx_cast.nordby.authority.cvr
    base = live_server.url
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))

    sign_in(page, base, "niels")
    page.goto(f"{base}/portal/{cvr}/")
    page.locator(f'nav a[href="/portal/{cvr}/letters/new/"]').click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/letters/new/")

    # First a closed recipient: refused with its code, nothing sent, the form kept.
    page.locator('input[name="recipient"]').fill(tx_cast.carl.number)
    page.locator('input[name="label"]').fill("Beboerlicens")
    page.locator('textarea[name="text"]').fill(LETTER)
    page.locator("#letter button[type=submit]").click()
    expect(page.locator("#refusal")).to_have_attribute("data-code", "recipient.is.closed")
    expect(page.locator("#refusal")).to_contain_text("recipient.is.closed")
    screenshot("portal-letter-refused")
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()

    page.locator('input[name="recipient"]').fill(tx_cast.anna.number)
    page.locator('textarea[name="text"]').fill(LETTER)
    page.locator('input[name="documents"]').set_input_files(
        files=[{"name": "afgoerelse.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 afgoerelse"}])
    page.locator('input[name="reply"]').check()
    page.locator('select[name="answer_mailbox"]').select_option(str(staff.nordby_borgerservice.pk))
    screenshot("portal-letter-form")
    page.locator("#letter button[type=submit]").click()

    letter = Message.objects.get(mailbox=tx_cast.anna.mailbox, direction=Message.Direction.TO_PARTY)
    expect(page).to_have_url(f"{base}/portal/{cvr}/message-log/{letter.pk}/")
    expect(page.locator(".notice.success")).to_be_visible()
    assert letter.sender_system == tx_cast.nordby.system
    assert letter.answer_mailbox == staff.nordby_borgerservice
    assert drain() == 1

    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.locator(f'button[name="contact"][data-number="{tx_cast.anna.number}"]').click()
    expect(page.locator("main")).to_contain_text("Beboerlicens")
    page.get_by_role("link", name="Beboerlicens").first.click()
    expect(page.locator("main")).to_contain_text("Din ansøgning om beboerlicens er godkendt.")
    expect(page.locator("main")).to_contain_text("afgoerelse.pdf")
    expect(page.locator("#answer")).to_contain_text("Borgerservice")  # "may answer", to the chosen mailbox
    screenshot("portal-letter-anna-reads")

    for number in (tx_cast.anna.number, tx_cast.carl.number):
        assert not [url for url in visited if number in url]
