"""Portal pages: receiver systems — the list, new REST push and pull receivers (a pull token shown once),
token rotation, reactivation and deletion.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.systems import (
    PullReceiverForm,
    PushReceiverForm,
    show_refusal,
)
from digitalpost.portal.signin import fresh_second_factor
from digitalpost.portal.views.systems.pages import form_page, page_url, posted, token_page
from digitalpost.systems import selectors
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services import receivers


@org_view(Action.VIEW_SETUP)
def receiver_systems(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/systems/receiver_systems.html", {
        "org": org, "receivers": selectors.list_receiver_systems(org.authority),
        "may_edit": org.may(Action.EDIT_SETUP),
    })


@org_view(Action.EDIT_SETUP)
@fresh_second_factor
def receiver_system_new_push(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = PushReceiverForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            receiver = receivers.create_push_receiver(authority=org.authority, name=form.cleaned_data["name"],
                                                     endpoint_url=form.cleaned_data["endpoint_url"], actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("The receiver system %(name)s was added.") % {"name": receiver.name})
            return redirect("portal:receiver_systems", cvr=org.authority.cvr)
    return form_page(request, org, form, title=_("New REST push receiver system"), submit=_("Add receiver system"),
                     back=page_url("receiver_systems", org),
                     intro=_("The hub posts each inquiry to your endpoint and retries until it answers."))


@org_view(Action.EDIT_SETUP)
@fresh_second_factor
def receiver_system_new_pull(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = PullReceiverForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            receiver, token = receivers.create_pull_receiver(authority=org.authority, name=form.cleaned_data["name"],
                                                            actor=org.actor)
        except DigitalPostError as exc:
            show_refusal(form, exc)
        else:
            return token_page(request, org, name=receiver.name, token=token, back=page_url("receiver_systems", org))
    return form_page(request, org, form, title=_("New REST pull receiver system"), submit=_("Add receiver system"),
                     back=page_url("receiver_systems", org),
                     intro=_("Your system fetches inquiries with GET /apis/v1/receiving/memos and the token shown "
                              "next."))


@org_view(Action.EDIT_SETUP)
@require_POST
@fresh_second_factor
def receiver_system_rotate_token(request: HttpRequest, org: OrgAccess, receiver_id: uuid.UUID) -> HttpResponse:
    receiver = selectors.get_receiver_system(org.authority, receiver_id)
    token = receivers.rotate_receiver_token(receiver=receiver, actor=org.actor)
    return token_page(request, org, name=receiver.name, token=token, back=page_url("receiver_systems", org),
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


urlpatterns: list[URLPattern] = [
    path("<str:cvr>/receiver-systems/", receiver_systems, name="receiver_systems"),
    path("<str:cvr>/receiver-systems/new-push/", receiver_system_new_push, name="receiver_system_new_push"),
    path("<str:cvr>/receiver-systems/new-pull/", receiver_system_new_pull, name="receiver_system_new_pull"),
    path("<str:cvr>/receiver-systems/<uuid:receiver_id>/token/", receiver_system_rotate_token,
         name="receiver_system_rotate_token"),
    path("<str:cvr>/receiver-systems/<uuid:receiver_id>/reactivate/", receiver_system_reactivate,
         name="receiver_system_reactivate"),
    path("<str:cvr>/receiver-systems/<uuid:receiver_id>/delete/", receiver_system_delete,
         name="receiver_system_delete"),
]
