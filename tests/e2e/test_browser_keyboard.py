"""The main flows with the keyboard only (Tab, Shift+Tab, Enter, Space and typing), in Chromium: every control
reached shows a visible focus ring and focus follows the reading order (helpers.keyboard).

Mailbox: sign in, skip to the content, open a letter, answer it, then write to an authority. Portal: sign in
with password and code, open an inquiry and answer it as the caseworker.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import Page, expect

from cast import STAFF_PASSWORD, Cast, Staff, build_staff
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.messages.models import Message, Thread
from helpers.keyboard import press_to_navigate, tab_to
from helpers.otp import authenticator, next_code
from helpers.pages import deliver_memo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(tx_cast: Cast, drain) -> Staff:
    staff = build_staff(tx_cast)
    AuthorityMailbox.objects.filter(pk=staff.nordby_borgerservice.pk).update(is_standard=True)
    letter = tx_cast.nordby.memo(tx_cast.anna, label="Partshøring", files=[("brev.txt", "text/plain", b"Svar os")])
    deliver_memo(tx_cast, drain, replace(letter, header=replace(letter.header, reply=True)))
    return staff


def test_a_citizen_signs_in_reads_answers_and_writes_with_the_keyboard_only(
    page: Page, live_server, tx_cast: Cast, world: Staff, settings
):
    settings.DEMO_MODE = True
    base = live_server.url
    page.goto(f"{base}/login/")

    # The first Tab reaches the skip link, shown on focus; Enter moves on to the page's content.
    tab_to(page, page.locator("a.skip-link"), limit=1)
    expect(page.locator("a.skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")  # an in-page link: no navigation
    expect(page.locator("main")).to_be_focused()
    anna = page.locator(f'button[name="contact"][data-number="{tx_cast.anna.number}"]')
    tab_to(page, anna)
    press_to_navigate(page, "Enter")
    expect(page).to_have_url(re.compile(r"/post/(#main)?$"))  # the skip link's #main stays through the redirect

    on_the_way = tab_to(page, page.locator("#messages").get_by_role("link", name="Partshøring"))
    assert on_the_way[0].startswith("a "), on_the_way  # the skip link first, then the header
    back = tab_to(page, page.locator("header nav").get_by_role("link", name="Indbakke"), backwards=True)
    assert back, back
    tab_to(page, page.locator("#messages").get_by_role("link", name="Partshøring"))
    press_to_navigate(page, "Enter")
    expect(page.locator("h1")).to_have_text("Partshøring")

    tab_to(page, page.locator("#answer textarea"))
    page.keyboard.type("Jeg har ingen indvendinger.")
    tab_to(page, page.locator("#answer-button"))
    press_to_navigate(page, "Space")
    expect(page.locator("#confirmation")).to_contain_text("Borgerservice")
    expect(page.locator("main")).to_contain_text("Jeg har ingen indvendinger.")

    tab_to(page, page.locator("header nav").get_by_role("link", name="Skriv"))
    press_to_navigate(page, "Enter")
    tab_to(page, page.locator("#authorities").get_by_role("link", name="Nordby Kommune"))
    press_to_navigate(page, "Enter")
    tab_to(page, page.locator("#mailboxes").get_by_role("link", name="Pas"))
    press_to_navigate(page, "Enter")
    expect(page.get_by_label("Emne")).to_have_value("Pas")
    tab_to(page, page.get_by_label("Overskrift"))
    page.keyboard.type("Mit pas")
    tab_to(page, page.get_by_label("Din besked"))
    page.keyboard.type("Hvornår er mit pas klar?")
    tab_to(page, page.get_by_role("button", name="Send"))
    press_to_navigate(page, "Enter")
    expect(page.locator("#confirmation")).to_contain_text("Nordby Kommune: Borgerservice")
    assert Thread.objects.filter(party=tx_cast.anna, subject="Mit pas").exists()


def test_a_caseworker_signs_in_and_answers_an_inquiry_with_the_keyboard_only(
    page: Page, live_server, tx_cast: Cast, world: Staff
):
    asked = send_inquiry(party=tx_cast.anna, mailbox=world.nordby_borgerservice,
                         inquiry=Inquiry(subject="Flytning", text="Hvordan melder jeg flytning?", topic="Flytning"))
    device = authenticator(world.niels)
    base = live_server.url
    page.goto(f"{base}/portal/login/")

    tab_to(page, page.get_by_label("Brugernavn"))
    page.keyboard.type("niels")
    tab_to(page, page.get_by_label("Adgangskode"))
    page.keyboard.type(STAFF_PASSWORD)
    press_to_navigate(page, "Enter")
    page.wait_for_url("**/portal/login/verify/**")
    tab_to(page, page.locator('#second-factor input[name="code"]'))
    page.keyboard.type(next_code(device))
    press_to_navigate(page, "Enter")
    page.wait_for_url(lambda url: "/portal/login/" not in url)

    tab_to(page, page.locator("nav.menu").get_by_role("link", name="Henvendelser"))
    press_to_navigate(page, "Enter")
    tab_to(page, page.locator("main").get_by_role("link", name="Flytning").first)
    press_to_navigate(page, "Enter")
    expect(page).to_have_url(f"{base}/portal/{tx_cast.nordby.authority.cvr}/inquiries/{asked.thread_id}/")
    tab_to(page, page.locator('textarea[name="text"]'))
    page.keyboard.type("Du melder flytning på borger.dk.")
    tab_to(page, page.locator("form:has(textarea[name=text]) button[type=submit]"))
    press_to_navigate(page, "Space")
    expect(page.locator(".notice.success")).to_be_visible()
    assert Message.objects.filter(thread=asked.thread, direction=Message.Direction.TO_PARTY).exists()
