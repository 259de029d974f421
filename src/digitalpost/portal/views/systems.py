"""Portal pages: secure addresses, sender systems, receiver systems and the certificates overview.

Everyone with VIEW_SETUP sees the lists; changes need EDIT_SETUP. Each view parses its form, loads the object
through a systems selector that filters by the organisation (another organisation's id answers 404), calls one
service and redirects, or shows the refusal on the form. Tokens are shown once, on the page that answers the
POST that made them, and never again.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.hub.keys import trust_anchors
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.systems import (
    REFUSAL_STATUS,
    CertificateForm,
    IpAllowlistForm,
    PullReceiverForm,
    PushReceiverForm,
    SecureAddressDeleteForm,
    SecureAddressForm,
    SenderSystemForm,
    show_refusal,
)
from digitalpost.protocols import smime
from digitalpost.systems import selectors
from digitalpost.systems.models import ReceiverSystem, SenderSystem
from digitalpost.systems.services import receivers, senders

FORM = "portal/systems/form.html"


def _anchors() -> tuple[smime.Certificate, ...]:
    """The hub's trust anchors; none readable means every upload is refused as untrusted, which names the cause."""
    try:
        return trust_anchors()
    except (OSError, DigitalPostError):
        return ()


def _data(request: HttpRequest) -> tuple[Any, Any]:
    """(POST data, files) for a bound form on POST, even when only a file was sent; (None, None) on GET."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def _form_page(request: HttpRequest, org: OrgAccess, form: Any, *, title: str, submit: str, back: str,
               intro: str = "") -> HttpResponse:
    return render(request, FORM, {"org": org, "form": form, "title": title, "submit": submit, "back": back,
                                  "intro": intro}, status=getattr(form, REFUSAL_STATUS, 200))


def _token_page(request: HttpRequest, org: OrgAccess, *, name: str, token: str, back: str,
                rotated: bool = False) -> HttpResponse:
    return render(request, "portal/systems/token.html",
                  {"org": org, "name": name, "token": token, "back": back, "rotated": rotated})


def _url(name: str, org: OrgAccess, **kwargs: Any) -> str:
    return reverse(f"portal:{name}", kwargs={"cvr": org.authority.cvr, **kwargs})


# --- secure addresses --------------------------------------------------------------------------------------------


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
def secure_address_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = SecureAddressForm(*_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receivers.create_secure_address(
                authority=org.authority, email=data["email"], certificate_pem=data["certificate"],
                trust_anchors=_anchors(), receiver_name=data["receiver_name"] or None, actor=org.actor,
            )
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The secure address %(email)s was added.") % {"email": data["email"]})
            return redirect("portal:secure_addresses", cvr=org.authority.cvr)
    return _form_page(request, org, form, title=_("New secure address"), submit=_("Add secure address"),
                      back=_url("secure_addresses", org),
                      intro=_("The certificate is checked at once: readable, issued by a trusted authority, not "
                              "expired, usable for e-mail, and issued to this address."))


@org_view(Action.EDIT_SETUP)
def secure_address_renew(request: HttpRequest, org: OrgAccess, address_id: uuid.UUID) -> HttpResponse:
    address = selectors.get_secure_address(org.authority, address_id)
    form = CertificateForm(*_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            receivers.renew_secure_address_certificate(
                address=address, certificate_pem=form.cleaned_data["certificate"], trust_anchors=_anchors(),
                actor=org.actor,
            )
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The certificate of %(email)s was renewed.") % {"email": address.email})
            return redirect("portal:secure_addresses", cvr=org.authority.cvr)
    return _form_page(request, org, form, title=_("Renew the certificate of %(email)s") % {"email": address.email},
                      submit=_("Upload certificate"), back=_url("secure_addresses", org),
                      intro=_("Mail to the address is encrypted to the new certificate from now on."))


@org_view(Action.EDIT_SETUP)
def secure_address_delete(request: HttpRequest, org: OrgAccess, address_id: uuid.UUID) -> HttpResponse:
    address = selectors.get_secure_address(org.authority, address_id)
    in_use = selectors.list_mailboxes_using_address(address)
    others = selectors.list_receiver_systems(org.authority).exclude(secure_address=address)
    form = SecureAddressDeleteForm(_data(request)[0], receivers=others)
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


# --- sender systems ----------------------------------------------------------------------------------------------


def _sender_row(system: SenderSystem, now: Any) -> dict[str, Any]:
    cert = system.certificate
    left = selectors.days_left(cert.not_after, now) if cert else None
    return {"system": system, "days_left": left, "status": selectors.expiry_status(left) if left is not None else "",
            "token_age": (now - system.token_issued_at).days}


@org_view(Action.VIEW_SETUP)
def sender_systems(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    now = timezone.now()
    rows = [_sender_row(system, now) for system in selectors.list_sender_systems(org.authority)]
    return render(request, "portal/systems/sender_systems.html", {
        "org": org, "rows": rows, "may_edit": org.may(Action.EDIT_SETUP),
        "problems": selectors.check_sender_setup(org.authority, at=now),
    })


@org_view(Action.EDIT_SETUP)
def sender_system_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = SenderSystemForm(*_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["channel"] == SenderSystem.Channel.SECURE_MAIL:
                system = senders.create_secure_mail_sender(
                    authority=org.authority, name=data["name"], certificate_pem=data["certificate"],
                    trust_anchors=_anchors(), is_standard=data["is_standard"], actor=org.actor,
                )
            else:
                issued = senders.create_sender_system(
                    authority=org.authority, name=data["name"], is_standard=data["is_standard"],
                    certificate_pem=data["certificate"], trust_anchors=_anchors(), actor=org.actor,
                )
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            if data["channel"] == SenderSystem.Channel.SECURE_MAIL:
                messages.success(request, _("The sender system %(name)s was added.") % {"name": system.name})
                return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=system.pk)
            return _token_page(request, org, name=issued.system.name, token=issued.token,
                               back=_url("sender_system", org, system_id=issued.system.pk))
    return _form_page(request, org, form, title=_("New sender system"), submit=_("Add sender system"),
                      back=_url("sender_systems", org))


@org_view(Action.VIEW_SETUP)
def sender_system(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    return render(request, "portal/systems/sender_system.html", {
        "org": org, "row": _sender_row(found, timezone.now()), "system": found,
        "may_edit": org.may(Action.EDIT_SETUP),
    })


@org_view(Action.EDIT_SETUP)
@require_POST
def sender_system_rotate_token(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    token = senders.rotate_sender_token(system=found, actor=org.actor)
    return _token_page(request, org, name=found.name, token=token,
                       back=_url("sender_system", org, system_id=found.pk), rotated=True)


@org_view(Action.EDIT_SETUP)
def sender_system_certificate(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    form = CertificateForm(*_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            senders.renew_sender_certificate(system=found, certificate_pem=form.cleaned_data["certificate"],
                                              trust_anchors=_anchors(), actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The certificate of %(name)s was renewed.") % {"name": found.name})
            return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=found.pk)
    intro = (_("A secure-mail system signs replies with this certificate (e-mail protection).")
             if found.channel == SenderSystem.Channel.SECURE_MAIL
             else _("A REST system presents this certificate for mutual TLS (client authentication)."))
    return _form_page(request, org, form, title=_("Certificate of %(name)s") % {"name": found.name},
                      submit=_("Upload certificate"), back=_url("sender_system", org, system_id=found.pk), intro=intro)


@org_view(Action.EDIT_SETUP)
def sender_system_ip_allowlist(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    form = IpAllowlistForm(_data(request)[0], initial={"allowlist": "\n".join(found.ip_allowlist)})
    if request.method == "POST" and form.is_valid():
        try:
            senders.set_ip_allowlist(system=found, entries=form.cleaned_data["allowlist"], actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The IP allow-list of %(name)s was saved.") % {"name": found.name})
            return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=found.pk)
    return _form_page(request, org, form, title=_("IP allow-list of %(name)s") % {"name": found.name},
                      submit=_("Save"), back=_url("sender_system", org, system_id=found.pk),
                      intro=_("API calls with this system's token are refused from any other address."))


@org_view(Action.EDIT_SETUP)
@require_POST
def sender_system_make_standard(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = senders.make_standard_sender_system(system=selectors.get_sender_system(org.authority, system_id),
                                                 actor=org.actor)
    messages.success(request, _("%(name)s is now the standard sender system.") % {"name": found.name})
    return redirect("portal:sender_systems", cvr=org.authority.cvr)


@org_view(Action.EDIT_SETUP)
@require_POST
def sender_system_deactivate(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = senders.set_sender_system_active(system=selectors.get_sender_system(org.authority, system_id),
                                              is_active=False, actor=org.actor)
    messages.success(request, _("%(name)s was deactivated.") % {"name": found.name})
    return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=found.pk)


@org_view(Action.EDIT_SETUP)
@require_POST
def sender_system_activate(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = senders.set_sender_system_active(system=selectors.get_sender_system(org.authority, system_id),
                                              is_active=True, actor=org.actor)
    messages.success(request, _("%(name)s was activated.") % {"name": found.name})
    return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=found.pk)


# --- receiver systems --------------------------------------------------------------------------------------------


@org_view(Action.VIEW_SETUP)
def receiver_systems(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/systems/receiver_systems.html", {
        "org": org, "receivers": selectors.list_receiver_systems(org.authority),
        "may_edit": org.may(Action.EDIT_SETUP),
    })


@org_view(Action.EDIT_SETUP)
def receiver_system_new_push(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = PushReceiverForm(_data(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            receiver = receivers.create_push_receiver(authority=org.authority, name=form.cleaned_data["name"],
                                                     endpoint_url=form.cleaned_data["endpoint_url"], actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The receiver system %(name)s was added.") % {"name": receiver.name})
            return redirect("portal:receiver_systems", cvr=org.authority.cvr)
    return _form_page(request, org, form, title=_("New REST push receiver system"), submit=_("Add receiver system"),
                      back=_url("receiver_systems", org),
                      intro=_("The hub posts each inquiry to your endpoint and retries until it answers."))


@org_view(Action.EDIT_SETUP)
def receiver_system_new_pull(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = PullReceiverForm(_data(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            receiver, token = receivers.create_pull_receiver(authority=org.authority, name=form.cleaned_data["name"],
                                                            actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            return _token_page(request, org, name=receiver.name, token=token, back=_url("receiver_systems", org))
    return _form_page(request, org, form, title=_("New REST pull receiver system"), submit=_("Add receiver system"),
                      back=_url("receiver_systems", org),
                      intro=_("Your system fetches inquiries with GET /apis/v1/receiving/memos and the token shown "
                              "next."))


@org_view(Action.EDIT_SETUP)
@require_POST
def receiver_system_rotate_token(request: HttpRequest, org: OrgAccess, receiver_id: uuid.UUID) -> HttpResponse:
    receiver = selectors.get_receiver_system(org.authority, receiver_id)
    token = receivers.rotate_receiver_token(receiver=receiver, actor=org.actor)
    return _token_page(request, org, name=receiver.name, token=token, back=_url("receiver_systems", org),
                       rotated=True)


@org_view(Action.EDIT_SETUP)
@require_POST
def receiver_system_reactivate(request: HttpRequest, org: OrgAccess, receiver_id: uuid.UUID) -> HttpResponse:
    receiver = receivers.reactivate_receiver_system(
        receiver=selectors.get_receiver_system(org.authority, receiver_id), actor=org.actor)
    messages.success(request, _("%(name)s is active again; delivery is tried again.") % {"name": receiver.name})
    return redirect("portal:receiver_systems", cvr=org.authority.cvr)


@org_view(Action.EDIT_SETUP)
def receiver_system_delete(request: HttpRequest, org: OrgAccess, receiver_id: uuid.UUID) -> HttpResponse:
    receiver = selectors.get_receiver_system(org.authority, receiver_id)
    if request.method == "POST":
        receivers.delete_receiver_system(receiver=receiver, actor=org.actor)  # a refusal shows as the error page
        messages.success(request, _("The receiver system %(name)s was deleted.") % {"name": receiver.name})
        return redirect("portal:receiver_systems", cvr=org.authority.cvr)
    return render(request, "portal/systems/receiver_system_delete.html", {
        "org": org, "receiver": receiver, "in_use": selectors.list_mailboxes_using_receiver(receiver),
        "is_address": receiver.kind == ReceiverSystem.Kind.SECURE_ADDRESS,
    })


# --- certificates ------------------------------------------------------------------------------------------------


@org_view(Action.VIEW_SETUP)
def certificates(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/systems/certificates.html", {
        "org": org, "certificates": selectors.list_certificates(org.authority, at=timezone.now()),
    })


urlpatterns: list[URLPattern] = [
    path("<str:cvr>/secure-addresses/", secure_addresses, name="secure_addresses"),
    path("<str:cvr>/secure-addresses/new/", secure_address_new, name="secure_address_new"),
    path("<str:cvr>/secure-addresses/<uuid:address_id>/certificate/", secure_address_renew,
         name="secure_address_renew"),
    path("<str:cvr>/secure-addresses/<uuid:address_id>/delete/", secure_address_delete,
         name="secure_address_delete"),
    path("<str:cvr>/sender-systems/", sender_systems, name="sender_systems"),
    path("<str:cvr>/sender-systems/new/", sender_system_new, name="sender_system_new"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/", sender_system, name="sender_system"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/token/", sender_system_rotate_token,
         name="sender_system_rotate_token"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/certificate/", sender_system_certificate,
         name="sender_system_certificate"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/ip-allowlist/", sender_system_ip_allowlist,
         name="sender_system_ip_allowlist"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/standard/", sender_system_make_standard,
         name="sender_system_make_standard"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/deactivate/", sender_system_deactivate,
         name="sender_system_deactivate"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/activate/", sender_system_activate,
         name="sender_system_activate"),
    path("<str:cvr>/receiver-systems/", receiver_systems, name="receiver_systems"),
    path("<str:cvr>/receiver-systems/new-push/", receiver_system_new_push, name="receiver_system_new_push"),
    path("<str:cvr>/receiver-systems/new-pull/", receiver_system_new_pull, name="receiver_system_new_pull"),
    path("<str:cvr>/receiver-systems/<uuid:receiver_id>/token/", receiver_system_rotate_token,
         name="receiver_system_rotate_token"),
    path("<str:cvr>/receiver-systems/<uuid:receiver_id>/reactivate/", receiver_system_reactivate,
         name="receiver_system_reactivate"),
    path("<str:cvr>/receiver-systems/<uuid:receiver_id>/delete/", receiver_system_delete,
         name="receiver_system_delete"),
    path("<str:cvr>/certificates/", certificates, name="certificates"),
]
