"""The doctor and the reply statistics in a real browser: a superadministrator examines the organisation, sees
the badge and the findings, follows a fix link; the statistics page draws its chart. Screenshots in
var/screenshots/ (doctor-*.png, statistics-*.png).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cast import Cast, build_staff
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from helpers.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def test_examine_see_the_badge_and_follow_a_fix_link(page: Page, live_server, tx_cast: Cast, screenshot):
    staff = build_staff(tx_cast)
    cvr = tx_cast.nordby.authority.cvr
    base = live_server.url
    sign_in(page, base, "nora")
    page.goto(f"{base}/portal/{cvr}/doctor/")
    expect(page.locator("a.doctor-badge")).to_have_count(0)  # never examined: nothing to show yet
    page.locator('form[action$="/doctor/examine/"] button').click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/doctor/")
    expect(page.locator("[data-light]")).to_have_attribute("data-light", "red")
    # The cast's Borgerservice is open but hands inquiries to nobody, and the standard system cannot sign.
    row = page.locator('tr[data-code="mailbox.no.receiver"]')
    expect(row).to_contain_text("Borgerservice")
    expect(page.locator('tr[data-code="sender.system.standard.cannot.sign"]')).to_have_count(1)
    badge = page.locator("a.doctor-badge")
    expect(badge).to_be_visible()
    critical = int(badge.get_attribute("data-critical") or 0)
    assert critical >= 2
    screenshot("doctor-findings")
    row.locator("a.fix").click()
    expect(page).to_have_url(f"{base}/portal/{cvr}/mailboxes/{staff.nordby_borgerservice.pk}/")
    expect(page.locator("a.doctor-badge")).to_be_visible()  # on every page of the organisation


def test_the_statistics_page_draws_its_chart(page: Page, live_server, tx_cast: Cast, screenshot):
    staff = build_staff(tx_cast)
    cvr = tx_cast.nordby.authority.cvr
    for n in range(3):
        send_inquiry(party=tx_cast.anna, mailbox=staff.nordby_borgerservice,
                     inquiry=Inquiry(subject=f"Spørgsmål {n}", text="Hej", topic="Pas"))
    sign_in(page, live_server.url, "nora")
    page.goto(f"{live_server.url}/portal/{cvr}/statistics/")
    expect(page.locator('[data-figure="received"]').first).to_have_text("3")
    svg = page.locator("main svg").first
    expect(svg).to_be_visible()
    assert svg.bounding_box()["width"] > 200
    screenshot("statistics-nordby")
