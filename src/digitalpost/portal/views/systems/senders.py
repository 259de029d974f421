"""Portal pages: sender systems — the list, a new one (its token shown once), its page, token rotation,
certificate renewal, IP allow-list, the standard flag, deactivation and activation.
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
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.systems import (
    CertificateForm,
    IpAllowlistForm,
    SenderSystemForm,
    show_refusal,
)
from digitalpost.portal.signin import fresh_second_factor
from digitalpost.portal.views.systems.pages import form_page, page_url, posted, token_page, upload_anchors
from digitalpost.systems import selectors
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services import senders


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
        "may_edit": org.may(Action.EDIT_SETUP),
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
]
