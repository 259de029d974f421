"""Portal page: every certificate of the organisation with what uses it, soonest expiry first.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view
from digitalpost.systems import selectors


@org_view(Action.VIEW_SETUP)
def certificates(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/systems/certificates.html", {
        "org": org, "certificates": selectors.list_certificates(org.authority, at=timezone.now()),
    })


urlpatterns: list[URLPattern] = [
    path("<str:cvr>/certificates/", certificates, name="certificates"),
]
