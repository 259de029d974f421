"""The Content-Security-Policy of the pages (django-csp), plus the identity providers' origins in form-action.

Signing out of the mailbox (or of the portal after single sign-on) posts to the hub, which redirects the browser
to the provider's end-session endpoint; browsers apply `form-action` to that redirect too, so the providers the hub
is configured with are allowed there, and nothing else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def provider_origins() -> list[str]:
    urls = [settings.DIGITALPOST_OIDC_DISCOVERY_URL,
            *(config.get("discovery_url", "") for config in settings.DIGITALPOST_STAFF_SSO.values())]
    origins = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"https", "http"} and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


class HubCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origins = provider_origins()
        if origins and not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), *origins]
            parts.update = update
        return parts
