"""Folders, bulk moves, search and delete in a real browser, as Anna meets them (Danish, the default).

The rules are tested with Django's test client in tests/filing/; this adds what only a browser shows: the
checkboxes and the one form they belong to, the folder list beside the mailbox, the search form's filters and
the notices after each action.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cast import Cast
from digitalpost.filing.models import Folder, Placement
from helpers.browser import sign_in_to_mailbox
from helpers.pages import deliver_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def row(page: Page, message) -> object:
    return page.locator(f'#messages tbody tr[data-message="{message.pk}"]')


def test_anna_makes_a_folder_moves_letters_there_in_bulk_and_finds_them_by_search(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    tax = deliver_letter(tx_cast, drain, tx_cast.anna, "Årsopgørelse 2025", text="Din skat for 2025 er beregnet.")
    valuation = deliver_letter(tx_cast, drain, tx_cast.anna, "Ejendomsvurdering", text="Din ejendomsvurdering.")
    other = deliver_letter(tx_cast, drain, tx_cast.anna, "Nyhedsbrev", text="Din kommune har nyt.")
    deliver_letter(tx_cast, drain, tx_cast.bent, "Bents ejendomsvurdering", text="Din ejendomsvurdering.")
    base = live_server.url
    sign_in_to_mailbox(page, base, tx_cast.anna.number)

    folders = page.get_by_role("navigation", name="Mapper")
    folders.get_by_role("link", name="Administrér mapper").click()
    page.get_by_label("Ny mappe").fill("Skat og bolig")
    page.get_by_role("button", name="Opret mappe").click()
    expect(page.locator("ul.folder-admin")).to_contain_text("Skat og bolig")

    folders.get_by_role("link", name="Indbakke").click()
    row(page, tax).get_by_role("checkbox").check()
    row(page, valuation).get_by_role("checkbox").check()
    page.get_by_label("Flyt til").select_option(label="Skat og bolig")
    page.get_by_role("button", name="Flyt", exact=True).click()
    expect(page.locator("#done")).to_have_text("Flyttet.")
    expect(row(page, tax)).to_have_count(0)
    expect(row(page, valuation)).to_have_count(0)
    expect(row(page, other)).to_have_count(1)
    screenshot("mailbox-folders-after-bulk-move")

    folders.get_by_role("link", name="Skat og bolig").click()
    expect(page.locator("h1")).to_have_text("Skat og bolig")
    expect(page.locator("#messages tbody tr")).to_have_count(2)
    folder = Folder.objects.get(owner=tx_cast.anna)
    assert set(Placement.objects.filter(folder=folder).values_list("message_id", flat=True)) == {tax.pk, valuation.pk}

    page.get_by_label("Søg i din post").fill("ejendomsvurdering")
    page.get_by_role("search").first.get_by_role("button", name="Søg").click()
    expect(page.locator("#search-count")).to_have_text("1 meddelelse fundet")
    expect(row(page, valuation)).to_have_count(1)
    page.get_by_label("Ord").fill("din")
    page.locator("#search-sender").select_option("Nordby Kommune")
    page.locator("#search-form").get_by_role("button", name="Søg").click()
    expect(page.locator("#search-count")).to_have_text("3 meddelelser fundet")
    page.get_by_label("Kun ulæste").check()
    row(page, other).get_by_role("link", name="Nyhedsbrev").click()  # read it: no longer unread
    page.go_back()
    page.locator("#search-form").get_by_role("button", name="Søg").click()
    expect(page.locator("#search-count")).to_have_text("2 meddelelser fundet")
    expect(page.get_by_text("Bents ejendomsvurdering")).to_have_count(0)
    screenshot("mailbox-search-with-filters")


def test_anna_deletes_a_letter_finds_it_in_deleted_and_moves_it_back(page: Page, live_server, tx_cast: Cast, drain):
    letter = deliver_letter(tx_cast, drain, tx_cast.anna, "Gammel regning", text="Betalt.")
    base = live_server.url
    sign_in_to_mailbox(page, base, tx_cast.anna.number)
    row(page, letter).get_by_role("link", name="Gammel regning").click()
    page.locator("#file-message").get_by_role("button", name="Slet").click()
    expect(page).to_have_url(f"{base}/post/?done=delete")
    expect(page.locator("#done")).to_contain_text("Slettet post fjernes endeligt efter 30 dage")
    expect(row(page, letter)).to_have_count(0)

    page.get_by_role("navigation", name="Mapper").get_by_role("link", name="Slettet").click()
    row(page, letter).get_by_role("checkbox").check()
    page.get_by_role("button", name="Flyt tilbage").click()
    expect(page.locator("#done")).to_have_text("Flyttet tilbage.")
    page.get_by_role("navigation", name="Mapper").get_by_role("link", name="Indbakke").click()
    expect(row(page, letter)).to_have_count(1)
