"""Accessibility (WCAG 2.1 AA) in Chromium, judged by axe-core: every page of the web mailbox and of the portal's
main flows, as they are first shown and with a refused form, has no violation of level A or AA.

Pages are found by following links (as in the CSP test), so a page added later is checked without a new line
here; forms are also posted empty or wrong, since error messages are where accessibility usually breaks. One
live server serves the whole module (pytest-django's is session-scoped). Keyboard-only use: test_keyboard.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from cast import PDF, Cast, Staff, build_staff
from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.conversations.services.casework import reply_to_inquiry
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.roles import Actor
from digitalpost.inbox.signin import MailboxAccess
from digitalpost.messages.models import Thread
from helpers.axe import Violation, axe_violations, form_error_problems, preload_axe
from helpers.browser import sign_in, type_code, type_password
from helpers.otp import authenticator, next_code
from helpers.pages import booking_action, deliver_letter, deliver_memo, link_action, signed_in, with_actions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_PAGES = 150
# Links that leave the page (sign-out, language) or download a file rather than show a page.
SKIP = ("/logout", "/i18n/", "/apis/", "/static/", "/documents/", "export.", "download=", ".zip", ".ics")


class Findings:
    """Every page's problems, gathered so one run reports them all (by rule, then by page)."""

    def __init__(self) -> None:
        self.by_page: dict[str, list[str]] = {}
        self.rules: dict[str, int] = {}
        self.checked: list[str] = []

    def check(self, page: Page, name: str = "") -> None:
        where = name or urlsplit(page.url).path
        self.checked.append(where)
        violations: list[Violation] = axe_violations(page)
        wiring = form_error_problems(page)
        problems = [v.describe() for v in violations] + wiring
        for violation in violations:
            self.rules[violation.rule] = self.rules.get(violation.rule, 0) + len(violation.nodes)
        if wiring:
            self.rules["form-error-wiring"] = self.rules.get("form-error-wiring", 0) + len(wiring)
        if problems:
            self.by_page[where] = problems

    def assert_none(self) -> None:
        report = [f"{rule}: {count}" for rule, count in sorted(self.rules.items())]
        for where, problems in self.by_page.items():
            report += [f"== {where}", *problems]
        assert not self.by_page, f"{len(self.by_page)} of {len(self.checked)} pages fail:\n" + "\n".join(report)


def route(path: str) -> str:
    """The path with its ids (uuids, numbers, CVR numbers) taken out: pages of one route share their template."""
    return re.sub(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|\d+)(?=/)", "/<id>", path)


def crawl(page: Page, base: str, start: str, within: str, visit: Callable[[Page], None], *,
          one_per_route: bool = False, already: tuple[str, ...] = ()) -> list[str]:
    """Visit every page reachable by links from `start` whose path starts with `within` (GET only, bounded).
    A path is visited once: its other query strings (sorting, periods, filters) show the same template; with
    `one_per_route`, one page per route (one sender system, one logged message, ...). Paths in `already` were
    checked before."""
    key = route if one_per_route else (lambda path: path)
    seen: list[str] = list(already)
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        link = queue.pop(0)
        response = page.goto(base + link)
        assert response is not None
        assert response.status < 500, link
        seen.append(key(urlsplit(link).path))
        visit(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(urljoin(page.url, href))
            link = target.path + (f"?{target.query}" if target.query else "")
            if (target.netloc == urlsplit(base).netloc and target.path.startswith(within)
                    and not any(skip in link for skip in SKIP) and key(target.path) not in seen
                    and all(key(urlsplit(queued).path) != key(target.path) for queued in queue)):
                queue.append(link)
    return seen[len(already):]


def submit_empty(page: Page, form: str) -> None:
    """Submit a form with its fields emptied and the browser's own checks off, to see the server's errors."""
    page.locator(form).evaluate("form => { form.noValidate = true; }")
    for field in page.locator(f"{form} textarea, {form} input[type=text], {form} input[type=email]").all():
        field.fill("")
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


@pytest.fixture
def world(tx_cast: Cast, drain) -> Staff:
    """Anna's mailbox with one of everything: a plain letter, a PDF, a legal notification with actions, a letter
    that asks for an answer, and a conversation the authority has answered."""
    staff = build_staff(tx_cast)
    deliver_letter(tx_cast, drain, tx_cast.anna, "Byggetilladelse", text="Hej Anna")
    deliver_letter(tx_cast, drain, tx_cast.anna, "Afgørelse som PDF", files=[("afgørelse.pdf", "application/pdf", PDF)])
    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0)
    deliver_memo(tx_cast, drain, with_actions(
        tx_cast.nordby.memo(tx_cast.anna, label="Afgørelse om sygedagpenge", legal_notification=True,
                            files=[("afgørelse.txt", "text/plain", b"Du skal betale.")]),
        link_action("Betal tilbagebetaling", "BETALING", "https://betal.nordby.example/r/42"),
        booking_action("Opfølgningssamtale", start)))
    AuthorityMailbox.objects.filter(pk=staff.nordby_borgerservice.pk).update(is_standard=True)
    answerable = tx_cast.nordby.memo(tx_cast.anna, label="Partshøring", files=[("brev.txt", "text/plain", b"Svar")])
    deliver_memo(tx_cast, drain, replace(answerable, header=replace(answerable.header, reply=True)))
    asked = send_inquiry(party=tx_cast.anna, mailbox=staff.nordby_borgerservice,
                         inquiry=Inquiry(subject="Mit pas", text="Hvornår er det klar?", topic="Pas"))
    reply_to_inquiry(thread=asked.thread, text="Dit pas er klar.", actor=Actor("niels", staff.niels.pk))
    drain()
    return staff


@pytest.fixture(autouse=True)
def _axe_in_every_page(page: Page) -> None:
    preload_axe(page.context)


def test_every_mailbox_page_is_accessible(page: Page, live_server, tx_cast: Cast, world: Staff, settings):
    settings.DEMO_MODE = True
    base = live_server.url
    findings = Findings()

    page.goto(f"{base}/post/")  # not signed in: the refusal page
    findings.check(page, "refused (not signed in)")
    page.goto(f"{base}/login/")
    findings.check(page)
    page.locator(f'button[name="contact"][data-number="{tx_cast.anna.number}"]').click()
    expect(page).to_have_url(f"{base}/post/")
    visited = crawl(page, base, "/post/", "/post/", findings.check)
    assert len(visited) >= 10, visited

    # Refused forms: the errors must be announced and tied to their fields.
    page.goto(f"{base}/post/")
    page.get_by_role("link", name="Partshøring").click()
    submit_empty(page, "#answer form")
    findings.check(page, "answer refused")
    page.goto(f"{base}/post/threads/{Thread.objects.get(subject='Mit pas').pk}/")
    submit_empty(page, "#followup form")
    findings.check(page, "follow-up refused")
    page.goto(f"{base}/post/write/mailbox/{world.nordby_borgerservice.pk}/")
    submit_empty(page, "form.inquiry")
    findings.check(page, "inquiry refused")
    page.goto(f"{base}/post/settings/notifications/")
    page.locator('input[name="notification_email"]').fill("not an address")
    page.locator('input[name="mobile_number"]').fill("12")
    page.locator("main form").evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    findings.check(page, "notification settings refused")
    page.locator('header button[name="language"]').click()  # English too (lang, wording)
    page.goto(f"{base}/post/")
    findings.check(page, "inbox in English")

    # A company administrator's page (employees' access), with a refused grant.
    client = signed_in(tx_cast.dorte, access=MailboxAccess(tx_cast.dorte, "READ_WRITE", True, "urn:uuid:dorte",
                                                           "Dorte Dahl"))
    page.context.add_cookies([{"name": django_settings.DIGITALPOST_MAILBOX_SESSION_COOKIE, "url": base,
                               "value": client.cookies[django_settings.DIGITALPOST_MAILBOX_SESSION_COOKIE].value}])
    page.goto(f"{base}/post/company/access/")
    findings.check(page)
    submit_empty(page, "#grant")
    findings.check(page, "company access refused")

    page.locator('header form[action="/logout/"] button').click()
    findings.check(page, "after sign-out")
    page.goto(f"{base}/signed-out/")
    findings.check(page)
    page.locator("footer a").click()  # in English now
    expect(page.locator("h1")).to_have_text("Accessibility statement")
    findings.check(page)
    findings.assert_none()


def test_every_portal_page_is_accessible(page: Page, live_server, tx_cast: Cast, world: Staff):
    """As Nordby's superadministrator, then what only its caseworker and the platform operator see."""
    base = live_server.url
    findings = Findings()
    type_password(page, base, "nora", "wrong password")
    findings.check(page, "portal sign-in refused")
    page.goto(f"{base}/portal/login/reset/")
    findings.check(page)
    device = authenticator(world.nora)
    type_password(page, base, "nora")
    page.wait_for_url("**/portal/login/verify/**")
    findings.check(page)
    type_code(page, "000000")
    findings.check(page, "second factor refused")
    type_code(page, next_code(device))
    page.wait_for_url(lambda url: "/portal/login/" not in url)
    visited = crawl(page, base, "/portal/", "/portal/", findings.check, one_per_route=True)
    assert len(visited) >= 30, visited
    page.goto(f"{base}/portal/{tx_cast.nordby.authority.cvr}/mailboxes/new/")
    submit_empty(page, "main form")
    findings.check(page, "new mailbox refused")
    page.locator("footer").get_by_role("link", name="Tilgængelighedserklæring").click()
    expect(page.locator("h1")).to_have_text("Tilgængelighedserklæring")
    findings.check(page)

    sign_in(page, base, "niels")  # the caseworker's inbox: the inquiries, one, and a refused reply
    caseworker_pages = crawl(page, base, "/portal/", "/portal/", findings.check, one_per_route=True,
                             already=tuple(visited))
    assert any("/inquiries/" in path for path in caseworker_pages), caseworker_pages
    page.goto(f"{base}/portal/{tx_cast.nordby.authority.cvr}/inquiries/{Thread.objects.get(subject='Mit pas').pk}/")
    submit_empty(page, "form:has(textarea[name=text])")
    findings.check(page, "caseworker reply refused")

    sign_in(page, base, "otto")
    operator_pages = crawl(page, base, "/portal/", "/portal/", findings.check, one_per_route=True,
                           already=tuple(visited + caseworker_pages))
    assert any(path.startswith("/portal/platform/") for path in operator_pages), operator_pages
    findings.assert_none()
