"""Portal pages: secure addresses with their certificates (created, renewed, deleted with the mailboxes that use
them repointed).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.systems import (
    REFUSAL_STATUS,
    CertificateForm,
    SecureAddressDeleteForm,
    SecureAddressForm,
    show_refusal,
)
from digitalpost.portal.signin import fresh_second_factor
from digitalpost.portal.views.systems.pages import form_page, page_url, posted, upload_anchors
from digitalpost.systems import selectors
from digitalpost.systems.services import receivers


@org_view(Action.VIEW_SETUP)
def secure_addresses(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    now = timezone.now()
    rows = []
    for address in selectors.list_secure_addresses(org.authority):
        left = selectors.days_left(address.certificate.not_after, now)
        mailboxes = sorted({mb.name for r in address.receiver_systems.all() for mb in r.mailboxes.all()})
        rows.append({"address": address, "days_left": left, "status": selectors.expiry_status(left),
                     "mailboxes": mailboxes})
    return render(request, "portal/systems/secure_addresses.html",
                  {"org": org, "rows": rows, "may_edit": org.may(Action.EDIT_SETUP)})


@org_view(Action.EDIT_SETUP)
@fresh_second_factor
def secure_address_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = SecureAddressForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receivers.create_secure_address(
                authority=org.authority, email=data["email"], certificate_pem=data["certificate"],
                trust_anchors=upload_anchors(), receiver_name=data["receiver_name"] or None, actor=org.actor,
            )
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The secure address %(email)s was added.") % {"email": data["email"]})
            return redirect("portal:secure_addresses", cvr=org.authority.cvr)
    return form_page(request, org, form, title=_("New secure address"), submit=_("Add secure address"),
                     back=page_url("secure_addresses", org),
                     intro=_("The certificate is checked at once: readable, issued by a trusted authority, not "
                              "expired, usable for e-mail, and issued to this address."))


@org_view(Action.EDIT_SETUP)
@fresh_second_factor
def secure_address_renew(request: HttpRequest, org: OrgAccess, address_id: uuid.UUID) -> HttpResponse:
    address = selectors.get_secure_address(org.authority, address_id)
    form = CertificateForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            receivers.renew_secure_address_certificate(
                address=address, certificate_pem=form.cleaned_data["certificate"], trust_anchors=upload_anchors(),
                actor=org.actor,
            )
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The certificate of %(email)s was renewed.") % {"email": address.email})
            return redirect("portal:secure_addresses", cvr=org.authority.cvr)
    return form_page(request, org, form, title=_("Renew the certificate of %(email)s") % {"email": address.email},
                     submit=_("Upload certificate"), back=page_url("secure_addresses", org),
                     intro=_("Mail to the address is encrypted to the new certificate from now on."))


@org_view(Action.EDIT_SETUP)
@fresh_second_factor
def secure_address_delete(request: HttpRequest, org: OrgAccess, address_id: uuid.UUID) -> HttpResponse:
    address = selectors.get_secure_address(org.authority, address_id)
    in_use = selectors.list_mailboxes_using_address(address)
    others = selectors.list_receiver_systems(org.authority).exclude(secure_address=address)
    form = SecureAddressDeleteForm(posted(request)[0], receivers=others)
    if request.method == "POST" and form.is_valid():
        try:
            moved = receivers.delete_secure_address(address=address, repoint_to=form.cleaned_data["repoint_to"],
                                                   actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            text = _("The secure address %(email)s was deleted.") % {"email": address.email}
            if moved:
                text += " " + _("Mailboxes re-pointed: %(names)s.") % {"names": selectors.names(moved)}
            messages.success(request, text)
            return redirect("portal:secure_addresses", cvr=org.authority.cvr)
    return render(request, "portal/systems/secure_address_delete.html",
                  {"org": org, "address": address, "in_use": in_use, "form": form, "has_others": others.exists()},
                  status=getattr(form, REFUSAL_STATUS, 200))


urlpatterns: list[URLPattern] = [
    path("<str:cvr>/secure-addresses/", secure_addresses, name="secure_addresses"),
    path("<str:cvr>/secure-addresses/new/", secure_address_new, name="secure_address_new"),
    path("<str:cvr>/secure-addresses/<uuid:address_id>/certificate/", secure_address_renew,
         name="secure_address_renew"),
    path("<str:cvr>/secure-addresses/<uuid:address_id>/delete/", secure_address_delete,
         name="secure_address_delete"),
]
