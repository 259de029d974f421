"""Portal pages of the citizen service: look a citizen up by CPR number, grant and end exemptions.

The CPR number travels only in a POST body (never in a URL or a log line); the citizen's page is addressed by
the register's opaque id. Every grant and end goes through registry.services, which audit-logs it under the
organisation whose staff acted.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import form_error, org_view
from digitalpost.portal.forms.register import (
    REASON_LABELS,
    CompanyAdministratorForm,
    ExemptionForm,
    FindCitizenForm,
    FindCompanyForm,
)
from digitalpost.registry.models import CompanyMailboxAccess, Contact, Exemption
from digitalpost.registry.selectors import (
    effective_status,
    get_contact,
    get_contact_by_id,
    get_exemption,
    list_company_access,
    list_exemptions,
)
from digitalpost.registry.services import end_exemption, grant_company_access, grant_exemption, revoke_company_access


def citizen_or_404(contact_id: uuid.UUID) -> Contact:
    """The citizen of the register with this id; anything else is "not found"."""
    contact = get_contact_by_id(str(contact_id))
    if contact is None or contact.kind != Contact.Kind.CITIZEN:
        raise Http404
    return contact


def _contact_url(org: OrgAccess, contact: Contact) -> str:
    return reverse("portal:register_contact", kwargs={"cvr": org.authority.cvr, "contact_id": contact.pk})


@org_view(Action.MANAGE_REGISTER)
def find_citizen(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = FindCitizenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = get_contact(Contact.Kind.CITIZEN, form.cleaned_data["cpr"])
        if contact is not None:
            return redirect(_contact_url(org, contact))
        form.add_error("cpr", _("No citizen with this CPR number is in the register."))
    return render(request, "portal/register/find.html", {"org": org, "form": form})


def _contact_page(request: HttpRequest, org: OrgAccess, contact: Contact, form: ExemptionForm,
                  status: int = 200) -> HttpResponse:
    exemptions = list_exemptions(contact)
    return render(request, "portal/register/contact.html", {
        "org": org, "contact": contact, "form": form, "effective_status": effective_status(contact),
        "can_register_powers": org.may(Action.MANAGE_POWERS_OF_ATTORNEY),
        "exemptions": [(e, REASON_LABELS[Exemption.Reason(e.reason)]) for e in exemptions],
    }, status=status)


@org_view(Action.MANAGE_REGISTER)
def register_contact(request: HttpRequest, org: OrgAccess, contact_id: uuid.UUID) -> HttpResponse:
    contact = citizen_or_404(contact_id)
    form = ExemptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant_exemption(contact=contact, reason=data["reason"], starts_on=data["starts_on"],
                            ends_on=data["ends_on"], note=data["note"], organisation=org.authority.cvr,
                            actor=org.actor)
        except DigitalPostError as exc:
            form_error(form, exc)
            return _contact_page(request, org, contact, form, status=400)
        messages.success(request, _("The exemption is saved. Letters to %(name)s are printed while it lasts.")
                         % {"name": contact.name})
        return redirect(_contact_url(org, contact))
    return _contact_page(request, org, contact, form, status=400 if request.method == "POST" else 200)


@org_view(Action.MANAGE_REGISTER)
def exemption_end(request: HttpRequest, org: OrgAccess, contact_id: uuid.UUID, exemption_id: uuid.UUID) \
        -> HttpResponse:
    contact = citizen_or_404(contact_id)
    exemption = get_exemption(contact, exemption_id)
    if exemption is None:
        raise Http404
    if request.method == "POST":
        end_exemption(exemption=exemption, organisation=org.authority.cvr, actor=org.actor)
        messages.success(request, _("The exemption is ended. %(name)s gets Digital Post again.")
                         % {"name": contact.name})
    return redirect(_contact_url(org, contact))


# Companies: citizen service appoints the first administrator of a company's mailbox (docs/deploy.md), who then
# gives the employees their rights in the mailbox itself. Every appointment is audit-logged.


def _company(company_id: uuid.UUID) -> Contact:
    contact = get_contact_by_id(str(company_id))
    if contact is None or contact.kind != Contact.Kind.COMPANY:
        raise Http404
    return contact


def _company_url(org: OrgAccess, company: Contact) -> str:
    return reverse("portal:register_company", kwargs={"cvr": org.authority.cvr, "company_id": company.pk})


@org_view(Action.MANAGE_REGISTER)
def find_company(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = FindCompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        company = get_contact(Contact.Kind.COMPANY, form.cleaned_data["cvr"])
        if company is not None:
            return redirect(_company_url(org, company))
        form.add_error("cvr", _("No company with this CVR number is in the register."))
    return render(request, "portal/register/find_company.html", {"org": org, "form": form})


@org_view(Action.MANAGE_REGISTER)
def register_company(request: HttpRequest, org: OrgAccess, company_id: uuid.UUID) -> HttpResponse:
    company = _company(company_id)
    form = CompanyAdministratorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grant_company_access(company=company, level=CompanyMailboxAccess.Level.READ_WRITE, is_administrator=True,
                             actor=org.actor, **form.cleaned_data)
        messages.success(request, _("The administrator is appointed."))
        return redirect(_company_url(org, company))
    administrators = [a for a in list_company_access(company) if a.is_administrator]
    return render(request, "portal/register/company.html",
                  {"org": org, "company": company, "form": form, "administrators": administrators},
                  status=400 if request.method == "POST" else 200)


@org_view(Action.MANAGE_REGISTER)
def company_administrator_end(request: HttpRequest, org: OrgAccess, company_id: uuid.UUID,
                              access_id: uuid.UUID) -> HttpResponse:
    company = _company(company_id)
    found = next((a for a in list_company_access(company) if a.pk == access_id and a.is_administrator), None)
    if found is None:
        raise Http404
    if request.method == "POST":
        revoke_company_access(access=found, actor=org.actor)
        messages.success(request, _("The administrator's access is ended."))
    return redirect(_company_url(org, company))


urlpatterns = [
    path("<str:cvr>/register/companies/", find_company, name="register_companies"),
    path("<str:cvr>/register/companies/<uuid:company_id>/", register_company, name="register_company"),
    path("<str:cvr>/register/companies/<uuid:company_id>/administrators/<uuid:access_id>/end/",
         company_administrator_end, name="register_company_administrator_end"),
    path("<str:cvr>/register/", find_citizen, name="register"),
    path("<str:cvr>/register/<uuid:contact_id>/", register_contact, name="register_contact"),
    path("<str:cvr>/register/<uuid:contact_id>/exemptions/<uuid:exemption_id>/end/", exemption_end,
         name="register_exemption_end"),
]
