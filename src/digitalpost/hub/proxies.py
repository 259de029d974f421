"""Forwarded headers count only from the proxies the operator named (DIGITALPOST_TRUSTED_PROXIES).

Django believes SECURE_PROXY_SSL_HEADER from any peer; this middleware, placed before SecurityMiddleware, drops
X-Forwarded-Proto from every other address, so a client talking to the hub directly cannot claim https.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class TrustedProxyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.META.get("REMOTE_ADDR") not in settings.DIGITALPOST_TRUSTED_PROXIES:
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)
