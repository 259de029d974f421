"""Portal pages: sender systems — the list, a new one (its token shown once), its page, token rotation,
certificate renewal, IP allow-list, the standard flag, deactivation and activation, and the endpoints its
receipts are pushed to (HMAC secret shown once; reactivation resumes the pushes in order).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.messages.services.pushes import deactivate_push_endpoint, reactivate_push_endpoint
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.systems import (
    CertificateForm,
    IpAllowlistForm,
    PushEndpointForm,
    SenderSystemForm,
    show_refusal,
)
from digitalpost.portal.signin import fresh_second_factor
from digitalpost.portal.views.systems.pages import form_page, page_url, posted, token_page, upload_anchors
from digitalpost.systems import selectors
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services import push_endpoints, senders


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
@fresh_second_factor
def sender_system_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = SenderSystemForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["channel"] == SenderSystem.Channel.SECURE_MAIL:
                system = senders.create_secure_mail_sender(
                    authority=org.authority, name=data["name"], certificate_pem=data["certificate"],
                    trust_anchors=upload_anchors(), is_standard=data["is_standard"], actor=org.actor,
                )
            else:
                issued = senders.create_sender_system(
                    authority=org.authority, name=data["name"], is_standard=data["is_standard"],
                    certificate_pem=data["certificate"], trust_anchors=upload_anchors(), actor=org.actor,
                )
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            if data["channel"] == SenderSystem.Channel.SECURE_MAIL:
                messages.success(request, _("The sender system %(name)s was added.") % {"name": system.name})
                return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=system.pk)
            return token_page(request, org, name=issued.system.name, token=issued.token,
                              back=page_url("sender_system", org, system_id=issued.system.pk))
    return form_page(request, org, form, title=_("New sender system"), submit=_("Add sender system"),
                     back=page_url("sender_systems", org))


@org_view(Action.VIEW_SETUP)
def sender_system(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    return render(request, "portal/systems/sender_system.html", {
        "org": org, "row": _sender_row(found, timezone.now()), "system": found,
        "may_edit": org.may(Action.EDIT_SETUP), "push_endpoints": list(selectors.list_push_endpoints(found)),
    })


@org_view(Action.EDIT_SETUP)
@require_POST
@fresh_second_factor
def sender_system_rotate_token(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    token = senders.rotate_sender_token(system=found, actor=org.actor)
    return token_page(request, org, name=found.name, token=token,
                      back=page_url("sender_system", org, system_id=found.pk), rotated=True)


@org_view(Action.EDIT_SETUP)
@fresh_second_factor
def sender_system_certificate(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    form = CertificateForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            senders.renew_sender_certificate(system=found, certificate_pem=form.cleaned_data["certificate"],
                                              trust_anchors=upload_anchors(), actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The certificate of %(name)s was renewed.") % {"name": found.name})
            return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=found.pk)
    intro = (_("A secure-mail system signs replies with this certificate (e-mail protection).")
             if found.channel == SenderSystem.Channel.SECURE_MAIL
             else _("A REST system presents this certificate for mutual TLS (client authentication)."))
    return form_page(request, org, form, title=_("Certificate of %(name)s") % {"name": found.name},
                     submit=_("Upload certificate"), back=page_url("sender_system", org, system_id=found.pk),
                     intro=intro)


@org_view(Action.EDIT_SETUP)
def sender_system_ip_allowlist(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    form = IpAllowlistForm(posted(request)[0], initial={"allowlist": "\n".join(found.ip_allowlist)})
    if request.method == "POST" and form.is_valid():
        try:
            senders.set_ip_allowlist(system=found, entries=form.cleaned_data["allowlist"], actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The IP allow-list of %(name)s was saved.") % {"name": found.name})
            return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=found.pk)
    return form_page(request, org, form, title=_("IP allow-list of %(name)s") % {"name": found.name},
                     submit=_("Save"), back=page_url("sender_system", org, system_id=found.pk),
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


@org_view(Action.EDIT_SETUP)
def push_endpoint_new(request: HttpRequest, org: OrgAccess, system_id: uuid.UUID) -> HttpResponse:
    found = selectors.get_sender_system(org.authority, system_id)
    form = PushEndpointForm(*posted(request))
    back = page_url("sender_system", org, system_id=found.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registered = push_endpoints.register_push_endpoint(
                system=found, url=data["url"], signing=data["signing"], event_types=data["event_types"],
                actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            if registered.secret is None:
                messages.success(request, _("Receipts of %(name)s are now pushed to %(url)s.")
                                 % {"name": found.name, "url": registered.endpoint.url})
                return redirect(back)
            return render(request, "portal/systems/push_secret.html", {
                "org": org, "name": found.name, "url": registered.endpoint.url, "secret": registered.secret,
                "back": back})
    return form_page(request, org, form, title=_("Push receipts of %(name)s") % {"name": found.name},
                     submit=_("Add endpoint"), back=back,
                     intro=_("The hub posts each receipt and event of this system's messages to the endpoint, "
                             "signed, in order. See the receipt push guide for the check."))


def _push_endpoint(org: OrgAccess, system_id: uuid.UUID, endpoint_id: uuid.UUID) -> Any:
    return selectors.get_push_endpoint(selectors.get_sender_system(org.authority, system_id), endpoint_id)


@org_view(Action.EDIT_SETUP)
@require_POST
def push_endpoint_active(
    request: HttpRequest, org: OrgAccess, system_id: uuid.UUID, endpoint_id: uuid.UUID
) -> HttpResponse:
    endpoint = _push_endpoint(org, system_id, endpoint_id)
    if request.POST.get("active") == "1":
        reactivate_push_endpoint(endpoint, actor=org.actor)
        messages.success(request, _("Pushing to %(url)s starts again.") % {"url": endpoint.url})
    else:
        deactivate_push_endpoint(endpoint, actor=org.actor)
        messages.success(request, _("Pushing to %(url)s is paused.") % {"url": endpoint.url})
    return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=system_id)


@org_view(Action.EDIT_SETUP)
@require_POST
def push_endpoint_delete(
    request: HttpRequest, org: OrgAccess, system_id: uuid.UUID, endpoint_id: uuid.UUID
) -> HttpResponse:
    endpoint = _push_endpoint(org, system_id, endpoint_id)
    push_endpoints.delete_push_endpoint(endpoint=endpoint, actor=org.actor)
    messages.success(request, _("Receipts are no longer pushed to %(url)s.") % {"url": endpoint.url})
    return redirect("portal:sender_system", cvr=org.authority.cvr, system_id=system_id)


urlpatterns: list[URLPattern] = [
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
    path("<str:cvr>/sender-systems/<uuid:system_id>/push-endpoints/new/", push_endpoint_new,
         name="push_endpoint_new"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/push-endpoints/<uuid:endpoint_id>/active/", push_endpoint_active,
         name="push_endpoint_active"),
    path("<str:cvr>/sender-systems/<uuid:system_id>/push-endpoints/<uuid:endpoint_id>/delete/", push_endpoint_delete,
         name="push_endpoint_delete"),
]
