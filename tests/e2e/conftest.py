"""Fixtures for real-browser tests: one headless Chromium per test process, a fresh page per test, screenshots.

Playwright drives Debian's /usr/bin/chromium; it never downloads a browser of its own. Each test gets a new
browser context (its own cookies and storage, like a fresh profile), so no session leaks between tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test's thread (behind greenlets). Django sees that
# running loop and refuses ORM calls from the test body with SynchronousOnlyOperation, although nothing here
# is asynchronous: every call is still made synchronously, one at a time, from one thread. This flag turns
# that guard off for the browser tests only (the live server runs in its own thread and is unaffected).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, sync_playwright

from helpers.browser import CspWatch

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, launched once per test process (once per xdist worker)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a new, empty browser context. The browser asks for Danish, like a Danish citizen's would."""
    context = browser.new_context(locale="da-DK", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    csp = CspWatch(context)
    page = context.new_page()
    yield page
    context.close()
    # Every browser test fails on a Content-Security-Policy violation: no inline script or style, ever.
    assert csp.violations == [], csp.violations


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], Path]:
    """screenshot("name") saves the whole page to <repo>/var/screenshots/name.png and returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
