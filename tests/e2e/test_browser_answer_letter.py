"""Answering a letter in a real browser: the Answer button, the answer form, the conversation it opens.

The letter is sent to the live server's REST API with MeMo `reply` set, as a case system would; Anna signs in
through the demo sign-in page, opens the letter in headless Chromium, clicks Answer and lands in the new
conversation. A letter without `reply` shows no button, and a form posted to it anyway is refused with a code.
The same rules through Django's test client: tests/inbox/test_answer_letter.py.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from cast import Cast
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.messages.models import Message
from digitalpost.protocols import memo
from helpers.browser import sign_in_to_mailbox

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def send_over_http(base_url: str, cast: Cast, label: str, *, reply: bool) -> str:
    """A letter to Anna over the live server's REST API (reply and a deadline in 14 days when `reply`)."""
    letter = cast.nordby.memo(cast.anna, label=label, files=[("brev.txt", "text/plain", b"Svar inden fristen.")])
    if reply:
        letter = replace(letter, header=replace(letter.header, reply=True,
                                                reply_by_date_time=datetime.now(UTC) + timedelta(days=14)))
    request = urllib.request.Request(
        f"{base_url}/apis/v1/memos?memo-message-uuid={letter.header.message_uuid}", data=memo.build(letter),
        method="POST", headers={"Authorization": f"Bearer {cast.nordby.token}", "Content-Type": "application/xml"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["messageId"]


def test_anna_answers_a_letter_that_asks_for_an_answer_and_sees_the_conversation(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    create_mailbox(authority=tx_cast.nordby.authority, name="Borgerservice", is_standard=True)
    letter_id = send_over_http(live_server.url, tx_cast, "Partshøring om byggesag", reply=True)
    assert drain() >= 1
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)

    page.locator(f'#messages tbody tr[data-message="{letter_id}"]').get_by_role(
        "link", name="Partshøring om byggesag").click()
    expect(page.locator("#answer")).to_contain_text("Borgerservice")
    screenshot("answer-letter")
    page.locator("#answer textarea").fill("Jeg har ingen indvendinger.")
    page.locator("#answer-button").click()

    letter = Message.objects.get(pk=letter_id)
    assert letter.thread_id is not None
    expect(page).to_have_url(f"{live_server.url}/post/threads/{letter.thread_id}/?sent=1")
    expect(page.locator("#confirmation")).to_contain_text("Borgerservice")
    expect(page.locator("main")).to_contain_text("Jeg har ingen indvendinger.")
    expect(page.locator(f'article[data-message="{letter_id}"]')).to_contain_text("Partshøring om byggesag")

    page.goto(f"{live_server.url}/post/{letter_id}/")
    expect(page.locator("#answer-button")).to_have_count(0)
    expect(page.locator("#thread-link")).to_be_visible()


def test_a_letter_without_reply_has_no_answer_button_and_a_forged_form_is_refused(
    page: Page, live_server, tx_cast: Cast, drain
):
    create_mailbox(authority=tx_cast.nordby.authority, name="Borgerservice", is_standard=True)
    letter_id = send_over_http(live_server.url, tx_cast, "Orientering", reply=False)
    assert drain() >= 1
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
    page.goto(f"{live_server.url}/post/{letter_id}/")
    expect(page.locator("h1")).to_have_text("Orientering")
    expect(page.locator("#answer-button")).to_have_count(0)

    # A form the page never offered, posted from the page with its own CSRF cookie.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(f"{live_server.url}/post/{letter_id}/answer/",
                                 form={"text": "Alligevel.", "csrfmiddlewaretoken": token},
                                 headers={"Referer": f"{live_server.url}/post/{letter_id}/"})
    assert response.status == 403
    assert "letter.answer.not.allowed" in response.text()
    assert Message.objects.filter(direction=Message.Direction.TO_AUTHORITY).count() == 0
