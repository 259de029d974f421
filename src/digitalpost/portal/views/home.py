"""The organisation chooser, an organisation's overview page and signing out (signing in: views.signin)."""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from digitalpost.accounts.selectors import OrgAccess, is_operator, organisations_of
from digitalpost.core.roles import PUBLIC, Action, access_rule
from digitalpost.hub.accessibility import statement_context
from digitalpost.portal.access import org_view, signed_in_view


@signed_in_view
def choose_organisation(request: HttpRequest) -> HttpResponse:
    organisations = list(organisations_of(request.user))  # type: ignore[arg-type]
    operator = is_operator(request.user)
    if len(organisations) == 1 and not operator:
        return redirect("portal:overview", cvr=organisations[0].cvr)
    return render(request, "portal/choose.html", {"organisations": organisations, "is_operator": operator})


@org_view(Action.VIEW_ORGANISATION)
def overview(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/overview.html", {"org": org})


@access_rule(PUBLIC)
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


@access_rule(PUBLIC)
@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/accessibility.html", statement_context(request))


urlpatterns = [
    path("", choose_organisation, name="choose"),
    path("accessibility/", accessibility_statement, name="accessibility"),
    path("logout/", sign_out, name="logout"),
    path("<str:cvr>/", overview, name="overview"),
]
