"""Legal notification, actions and "my data" in a real browser, as a citizen meets them.

The same rules are tested with Django's test client in tests/inbox/test_actions_and_my_data.py; this adds what
only a browser shows: the marks on screen, the first opening recorded by a real page view, the buttons, and
the calendar file and the archive saved as downloads.
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cast import PDF, Cast
from digitalpost.core.lifecycle import EventKind
from helpers.browser import sign_in_to_mailbox
from helpers.pages import booking_action, deliver_letter, deliver_memo, link_action, with_actions

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def test_a_legal_notification_is_marked_its_first_opening_recorded_and_its_actions_are_buttons(
    page: Page, live_server, tx_cast: Cast, drain, screenshot, tmp_path
):
    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0)
    letter = with_actions(
        tx_cast.nordby.memo(tx_cast.anna, label="Afgørelse om sygedagpenge", legal_notification=True,
                            files=[("afgørelse.pdf", "application/pdf", PDF)]),
        link_action("Betal tilbagebetaling", "BETALING", "https://betal.nordby.example/r/42"),
        booking_action("Opfølgningssamtale", start),
    )
    legal = deliver_memo(tx_cast, drain, letter)
    plain = deliver_letter(tx_cast, drain, tx_cast.anna, "Nyhedsbrev", text="Hej")
    base = live_server.url
    sign_in_to_mailbox(page, base, tx_cast.anna.number)

    legal_row = page.locator(f'#messages tbody tr[data-message="{legal.pk}"]')
    expect(legal_row.locator('[data-mark="legal"]')).to_have_text("Retsvirkning")
    expect(page.locator(f'#messages tbody tr[data-message="{plain.pk}"] [data-mark]')).to_have_count(0)
    screenshot("mailbox-legal-notification-inbox")

    legal_row.get_by_role("link", name="Afgørelse om sygedagpenge").click()
    expect(page.locator("#legal-notice")).to_be_visible()
    expect(page.locator("#legally-notified-at")).to_be_visible()
    legal.refresh_from_db()
    assert legal.legally_notified_at is not None
    pay = page.get_by_role("link", name="Betal: Betal tilbagebetaling")
    expect(pay).to_have_attribute("href", "https://betal.nordby.example/r/42")
    expect(page.locator('#actions li[data-code="aftale"]')).to_contain_text("Opfølgningssamtale")
    screenshot("mailbox-letter-with-actions")

    with page.expect_download(timeout=60_000) as info:  # a safety net for a busy machine, not a figure
        page.get_by_role("link", name="Tilføj til kalender").click()
    saved = tmp_path / "aftale.ics"
    info.value.save_as(saved)
    (event,) = icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == start

    page.reload()  # opening it again records nothing new
    expect(page.locator("#legally-notified-at")).to_be_visible()
    assert legal.events.filter(kind=EventKind.MESSAGE_LEGALLY_NOTIFIED).count() == 1
    assert legal.events.filter(kind=EventKind.MESSAGE_READ).count() == 1

    page.get_by_role("link", name="Kræver handling").click()
    expect(page.locator("#messages tbody tr")).to_have_count(1)
    expect(page.locator(f'#messages tbody tr[data-message="{legal.pk}"]')).to_be_visible()


def test_a_citizen_sees_what_the_archive_holds_and_downloads_all_their_post(
    page: Page, live_server, tx_cast: Cast, drain, screenshot, tmp_path
):
    deliver_letter(tx_cast, drain, tx_cast.anna, "Første brev", text="Et")
    deliver_letter(tx_cast, drain, tx_cast.anna, "Andet brev", text="To",
                   files=[("brev.txt", "text/plain", b"To"), ("bilag.pdf", "application/pdf", PDF)])
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)

    page.get_by_role("link", name="Mine data").click()
    contents = page.locator("#archive-contents")
    expect(contents).to_contain_text("2 meddelelser")
    expect(contents).to_contain_text("3 dokumenter")
    screenshot("mailbox-my-data")

    with page.expect_download(timeout=60_000) as info:  # a safety net for a busy machine, not a figure
        page.locator("#download-archive").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / "min-post.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        index = json.loads(archive.read("index.json"))
        assert [m["label"] for m in index["messages"]] == ["Første brev", "Andet brev"]
        paths = [d["path"] for m in index["messages"] for d in m["documents"]]
        assert [archive.read(p) for p in paths] == [b"Et", b"To", PDF]
        assert "Andet brev" in archive.read("index.html").decode()
