"""The portal's main flow in a real browser: set up a secure address and a mailbox, answer an inquiry, and
the citizen reads the answer. Screenshots of the main pages land in var/screenshots/ (portal-*.png).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cast import Cast, build_staff
from digitalpost.accounts.services import grant_role
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.roles import Role
from digitalpost.messages.models import Message
from digitalpost.systems.models import ReceiverSystem
from helpers.browser import sign_in
from helpers.systems_pki import NORDBY_ADDRESS, trusted

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def test_superadmin_sets_up_caseworker_answers_citizen_reads(
    page: Page, live_server, tx_cast: Cast, settings, drain, screenshot
):
    pki = trusted(settings)
    staff = build_staff(tx_cast)
    cvr = tx_cast.nordby.authority.cvr
    base = live_server.url

    sign_in(page, base, "nora")
    expect(page).to_have_url(f"{base}/portal/{cvr}/")
    screenshot("portal-overview")

    page.goto(f"{base}/portal/{cvr}/secure-addresses/new/")
    page.locator('input[name="email"]').fill(NORDBY_ADDRESS)
    page.locator('input[name="certificate"]').set_input_files(
        files=[{"name": "borgerservice.pem", "mimeType": "application/x-pem-file",
                "buffer": pki.address.certificate.pem}]
    )
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/secure-addresses/")
    expect(page.locator("main")).to_contain_text(NORDBY_ADDRESS)
    screenshot("portal-secure-addresses")

    page.goto(f"{base}/portal/{cvr}/mailboxes/new/")
    page.locator('input[name="name"]').fill("Byggesag")
    page.locator('textarea[name="topics"]').fill("Byggetilladelse\nNabohøring")
    receiver = ReceiverSystem.objects.get(secure_address__email=NORDBY_ADDRESS)
    expect(page.locator(f'select[name="receiver_system"] option[value="{receiver.pk}"]')).to_contain_text(
        NORDBY_ADDRESS)
    page.locator('select[name="receiver_system"]').select_option(value=str(receiver.pk))
    page.locator('input[name="is_open"]').check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/mailboxes/")
    byggesag = AuthorityMailbox.objects.get(authority=tx_cast.nordby.authority, name="Byggesag")
    assert byggesag.receiver_system.secure_address.email == NORDBY_ADDRESS
    assert byggesag.is_open
    screenshot("portal-mailboxes")
    page.goto(f"{base}/portal/{cvr}/certificates/")
    expect(page.locator("main")).to_contain_text(NORDBY_ADDRESS)
    screenshot("portal-certificates")

    grant_role(authority=tx_cast.nordby.authority, user=staff.niels, role=Role.CASEWORKER, mailboxes=[byggesag])
    asked = send_inquiry(party=tx_cast.anna, mailbox=byggesag, inquiry=Inquiry(
        subject="Carport", text="Må jeg bygge en carport på 30 m²?", topic="Byggetilladelse"))

    sign_in(page, base, "niels")
    page.goto(f"{base}/portal/{cvr}/inquiries/")
    expect(page.locator("main")).to_contain_text("Carport")
    screenshot("portal-inquiries")
    page.get_by_role("link", name="Carport").first.click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/inquiries/{asked.thread_id}/")
    page.locator('textarea[name="text"]').fill("Ja, carporte under 50 m² kræver ikke byggetilladelse.")
    page.locator('input[name="attachments"]').set_input_files(
        files=[{"name": "vejledning.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 vejledning"}]
    )
    screenshot("portal-inquiry-reply")
    page.locator("form:has(textarea[name=text]) button[type=submit]").click()
    expect(page.locator(".notice.success")).to_be_visible()
    reply = Message.objects.get(thread=asked.thread, direction=Message.Direction.TO_PARTY)
    assert reply.sender_system == tx_cast.nordby.system  # the standard sender system: the one reply path

    drain()
    page.reload()
    expect(page.locator("main")).to_contain_text("carporte under 50 m²")
    screenshot("portal-inquiry-answered")
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.locator(f'button[name="contact"][data-number="{tx_cast.anna.number}"]').click()
    page.goto(f"{base}/post/threads/{asked.thread_id}/")
    expect(page.locator("article.entry")).to_have_count(2)
    page.get_by_role("link", name="SV: Carport").click()  # unread answers are opened to be read
    expect(page.locator("main")).to_contain_text("carporte under 50 m²")
    expect(page.locator("main")).to_contain_text("vejledning.pdf")
    screenshot("portal-citizen-reads-answer")


def test_superadmin_switches_on_refusing_sha1_signatures(page: Page, live_server, tx_cast: Cast, screenshot):
    build_staff(tx_cast)
    cvr = tx_cast.nordby.authority.cvr
    base = live_server.url
    sign_in(page, base, "nora")  # the portal speaks Danish

    page.goto(f"{base}/portal/{cvr}/profile/")
    expect(page.locator("main")).to_contain_text("modtages, med en advarsel fra doktoren")
    page.get_by_role("link", name="Ændr indstillingerne for sikker mail").click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/profile/secure-mail/")
    page.get_by_label("Afvis SHA-1-signaturer").check()
    screenshot("portal-secure-mail-settings")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(f"{base}/portal/{cvr}/profile/")
    expect(page.locator(".notice.success")).to_contain_text("Indstillingerne for sikker mail er gemt.")
    expect(page.locator("main")).to_contain_text("afvises")
    expect(page.locator("main")).not_to_contain_text("modtages, med en advarsel fra doktoren")
    tx_cast.nordby.authority.refresh_from_db()
    assert tx_cast.nordby.authority.refuse_sha1_signatures is True
