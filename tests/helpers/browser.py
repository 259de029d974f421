"""Driving the portal in Chromium: signing a staff member in."""

from __future__ import annotations

from playwright.sync_api import Page

from cast import STAFF_PASSWORD


def sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/portal/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
