"""Portal pages of the citizen service: register a power of attorney for a citizen who cannot give it in the
mailbox themself (with the reason), and end one.

The citizen is addressed by the register's opaque id; the holder's CPR number travels only in the form's POST body.
Every registration and end goes through attorney.services, audit-logged under the organisation whose staff acted.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.attorney.selectors import (
    get_power_given,
    is_active,
    list_chosen_folder_names,
    list_folder_choices,
    list_powers_given,
)
from digitalpost.attorney.services import end_power, find_holder, grant_power
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import form_error, org_view
from digitalpost.portal.forms.register import PowerOfAttorneyForm
from digitalpost.portal.views.register import citizen_or_404
from digitalpost.registry.models import Contact


def _powers_url(org: OrgAccess, contact: Contact) -> str:
    return reverse("portal:register_powers", kwargs={"cvr": org.authority.cvr, "contact_id": contact.pk})


@org_view(Action.MANAGE_POWERS_OF_ATTORNEY)
def powers(request: HttpRequest, org: OrgAccess, contact_id: uuid.UUID) -> HttpResponse:
    contact = citizen_or_404(contact_id)
    form = PowerOfAttorneyForm(request.POST or None, folder_choices=list_folder_choices(contact.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holder = find_holder(data["holder_cpr"])
            grant_power(grantor=contact, holder=holder, level=data["level"], starts_on=data["starts_on"],
                        ends_on=data["ends_on"], reason=data["reason"], folders=form.chosen_folders(),
                        organisation=org.authority.cvr, actor=org.actor)
        except DigitalPostError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The power of attorney is registered. %(holder)s can now open the mailbox "
                                        "of %(name)s.") % {"holder": holder.name, "name": contact.name})
            return redirect(_powers_url(org, contact))
    given = [(p, is_active(p), list_chosen_folder_names(p)) for p in list_powers_given(contact.pk)]
    return render(request, "portal/register/powers.html", {"org": org, "contact": contact, "form": form,
                                                            "powers": given},
                  status=400 if request.method == "POST" else 200)


@org_view(Action.MANAGE_POWERS_OF_ATTORNEY)
def power_end(request: HttpRequest, org: OrgAccess, contact_id: uuid.UUID, power_id: uuid.UUID) -> HttpResponse:
    contact = citizen_or_404(contact_id)
    power = get_power_given(contact.pk, power_id)
    if power is None:
        raise Http404
    if request.method == "POST":
        end_power(power=power, organisation=org.authority.cvr, actor=org.actor)
        messages.success(request, _("The power of attorney is ended. It gives no access from now on."))
    return redirect(_powers_url(org, contact))


urlpatterns = [
    path("<str:cvr>/register/<uuid:contact_id>/powers/", powers, name="register_powers"),
    path("<str:cvr>/register/<uuid:contact_id>/powers/<uuid:power_id>/end/", power_end, name="register_power_end"),
]
