"""Driving the portal and the mailbox in Chromium: signing a staff member in (second factor included) or a citizen
or company into their mailbox; catching Content-Security-Policy violations."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from cast import STAFF_PASSWORD
from helpers.otp import authenticator, next_code


def type_password(page: Page, base: str, username: str, password: str = STAFF_PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/portal/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.locator("main form button[type=submit]").first.click()


def type_code(page: Page, code: str) -> None:
    page.locator('#second-factor input[name="code"]').fill(code)
    page.locator("#second-factor button[type=submit]").click()


def sign_in(page: Page, base: str, username: str) -> None:
    """The password, then the code the user's authenticator app shows (enrolled now if they have none)."""
    device = authenticator(User.objects.get(username=username))
    type_password(page, base, username)
    page.wait_for_url("**/portal/login/verify/**")
    type_code(page, next_code(device))
    page.wait_for_url(lambda url: "/portal/login/" not in url)


def sign_in_to_mailbox(page: Page, base: str, number: str) -> None:
    """A citizen or company into the web mailbox through the demo sign-in page (DEMO_MODE): the button of their
    CPR or CVR number, then their inbox."""
    page.goto(f"{base}/login/")
    page.locator(f'button[name="contact"][data-number="{number}"]').click()
    expect(page).to_have_url(f"{base}/post/")


# Reports every violation as a console error, in addition to Chromium's own console message (which names the
# directive but not always the page). Init scripts run outside the page's CSP.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ` +
                `${document.location.pathname} (${event.sourceFile}:${event.lineNumber})`);
}, true);
"""


class CspWatch:
    """Collects the Content-Security-Policy violations of every page of a browser context."""

    def __init__(self, context: BrowserContext) -> None:
        self.violations: list[str] = []
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            self.violations.append(text)
