"""Separate sessions for the mailbox and the portal: one browser can hold both without one ending the other.

The portal keeps Django's session cookie (SESSION_COOKIE_NAME); every other page (the web mailbox) uses its own
cookie, DIGITALPOST_MAILBOX_SESSION_COOKIE. Signing in to or out of the mailbox (which starts a fresh session)
therefore never signs a caseworker out of the portal in the same browser, and the other way round. Django's
SessionMiddleware does the work; this only swaps which cookie it reads and writes.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

PORTAL_PREFIXES = ("/portal/", "/apis/")


def _uses_mailbox_cookie(request: HttpRequest) -> bool:
    return not request.path.startswith(PORTAL_PREFIXES)


class SeparateSessionsMiddleware(SessionMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if _uses_mailbox_cookie(request):
            cookies = {k: v for k, v in request.COOKIES.items() if k != settings.SESSION_COOKIE_NAME}
            if mailbox_key := request.COOKIES.get(settings.DIGITALPOST_MAILBOX_SESSION_COOKIE):
                cookies[settings.SESSION_COOKIE_NAME] = mailbox_key
            request.COOKIES = cookies
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response = super().process_response(request, response)
        name = settings.SESSION_COOKIE_NAME
        if _uses_mailbox_cookie(request) and name in response.cookies:
            morsel = response.cookies.pop(name)
            response.set_cookie(
                settings.DIGITALPOST_MAILBOX_SESSION_COOKIE, morsel.value, max_age=morsel["max-age"] or None,
                expires=morsel["expires"] or None, path=morsel["path"] or "/", domain=morsel["domain"] or None,
                secure=bool(morsel["secure"]), httponly=bool(morsel["httponly"]),
                samesite=morsel["samesite"] or None,
            )
        return response
