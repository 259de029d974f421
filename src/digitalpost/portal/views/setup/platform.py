"""Portal page of the platform operator: a new organisation with its first superadministrator.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import actor_of
from digitalpost.accounts.services import (
    create_organisation,
)
from digitalpost.core.errors import DigitalPostError
from digitalpost.portal.access import platform_view
from digitalpost.portal.forms.setup import (
    OrganisationForm,
)
from digitalpost.portal.signin import fresh_second_factor
from digitalpost.portal.views.setup.pages import Page, form_page, refused_page


@platform_view
@fresh_second_factor
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    page = Page(_("New organisation"), reverse("portal:choose"))
    if request.method == "POST" and form.is_valid():
        try:
            created = create_organisation(actor=actor_of(request.user), **form.cleaned_data)  # type: ignore[arg-type]
        except DigitalPostError as exc:
            return refused_page(request, None, form, page, exc)
        return render(request, "portal/setup/organisation_created.html", {"created": created})
    return form_page(request, None, form, page)


urlpatterns = [
    path("platform/organisations/new/", organisation_new, name="organisation_new"),
]
