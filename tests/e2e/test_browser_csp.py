"""Content-Security-Policy in Chromium: every page of the mailbox (as Anna) and of the portal (as Nordby's
superadministrator and as the platform operator) is visited by following its links; each carries the policy and
the other security headers, and the page fixture fails the test on any violation the browser reports."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from cast import Cast, build_staff
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from helpers.browser import sign_in, sign_in_to_mailbox
from helpers.pages import deliver_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_PAGES = 150
# Links that leave the page (sign-out, language) or download a file rather than show a page.
SKIP = ("/logout", "/i18n/", "/apis/", "/static/", "/documents/", "export.", "download=", ".zip", ".ics")


def crawl(page: Page, base: str, start: str, within: str) -> list[str]:
    """Visit every page reachable by links from `start` whose path starts with `within` (GET only, bounded)."""
    seen: list[str] = []
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        response = page.goto(base + path)
        assert response is not None
        assert response.status < 500, path
        headers = response.headers
        assert "default-src 'self'" in headers.get("content-security-policy", ""), path
        assert "frame-ancestors 'self'" in headers["content-security-policy"], path
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy") == "same-origin", path
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(urljoin(base + path, href))
            link = target.path + (f"?{target.query}" if target.query else "")
            if (target.netloc == urlsplit(base).netloc and target.path.startswith(within)
                    and not any(skip in link for skip in SKIP) and link not in seen):
                queue.append(link)
    return seen


@pytest.fixture
def world(tx_cast: Cast, drain):
    staff = build_staff(tx_cast)
    deliver_letter(tx_cast, drain, tx_cast.anna, "Byggetilladelse", text="Hej Anna")
    send_inquiry(party=tx_cast.anna, mailbox=staff.nordby_borgerservice,
                 inquiry=Inquiry(subject="Mit pas", text="Hvornår er det klar?", topic="Pas"))
    return staff


def test_every_mailbox_page_keeps_the_content_security_policy(page: Page, live_server, tx_cast: Cast, world,
                                                              settings):
    settings.DEMO_MODE = True  # the demo sign-in page
    base = live_server.url
    sign_in_to_mailbox(page, base, tx_cast.anna.number)
    visited = crawl(page, base, "/post/", "/post/")
    assert len(visited) >= 6, visited  # inbox, letter, threads, a thread, write, settings at least


@pytest.mark.parametrize("who", ["nora", "otto"])
def test_every_portal_page_keeps_the_content_security_policy(page: Page, live_server, tx_cast: Cast, world, who):
    base = live_server.url
    sign_in(page, base, who)
    visited = crawl(page, base, "/portal/", "/portal/")
    assert len(visited) >= 10, visited
