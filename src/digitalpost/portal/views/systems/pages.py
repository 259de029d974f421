"""What every systems page shares: the form page, the page that shows a new token once, the hub's trust
anchors for uploads, and the URL of a page. Not for: pages themselves (the other modules of this package).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.hub.keys import trust_anchors
from digitalpost.portal.forms.systems import (
    REFUSAL_STATUS,
)
from digitalpost.protocols import smime

FORM = "portal/systems/form.html"


def upload_anchors() -> tuple[smime.Certificate, ...]:
    """The hub's trust anchors; none readable means every upload is refused as untrusted, which names the cause."""
    try:
        return trust_anchors()
    except (OSError, DigitalPostError):
        return ()


def posted(request: HttpRequest) -> tuple[Any, Any]:
    """(POST data, files) for a bound form on POST, even when only a file was sent; (None, None) on GET."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def form_page(request: HttpRequest, org: OrgAccess, form: Any, *, title: str, submit: str, back: str,
              intro: str = "") -> HttpResponse:
    return render(request, FORM, {"org": org, "form": form, "title": title, "submit": submit, "back": back,
                                  "intro": intro}, status=getattr(form, REFUSAL_STATUS, 200))


def token_page(request: HttpRequest, org: OrgAccess, *, name: str, token: str, back: str,
               rotated: bool = False) -> HttpResponse:
    return render(request, "portal/systems/token.html",
                  {"org": org, "name": name, "token": token, "back": back, "rotated": rotated})


def page_url(name: str, org: OrgAccess, **kwargs: Any) -> str:
    return reverse(f"portal:{name}", kwargs={"cvr": org.authority.cvr, **kwargs})
