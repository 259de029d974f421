"""Portal pages: mailboxes (contact points), with wrong set-up (a mailbox that delivers nowhere) flagged on the
list and edit pages, not only refused.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.authorities.selectors import (
    access_mailbox,
    list_mailbox_tree,
    mailbox_problems,
)
from digitalpost.authorities.services.mailboxes import create_mailbox, delete_mailbox, update_mailbox
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.setup import (
    MailboxForm,
)
from digitalpost.portal.views.setup.pages import (
    Page,
    confirm_delete_page,
    form_page,
    page_url,
    refused_page,
    saved_redirect,
)


@org_view(Action.VIEW_SETUP)
def mailboxes(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/setup/mailboxes.html", {
        "org": org, "rows": list_mailbox_tree(org.authority), "may_edit": org.may(Action.EDIT_SETUP),
    })


@org_view(Action.EDIT_SETUP)
def mailbox_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = MailboxForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("New mailbox"), page_url("portal:mailboxes", org))
    if request.method == "POST" and form.is_valid():
        try:
            created = create_mailbox(authority=org.authority, actor=org.actor, **form.values())
        except DigitalPostError as exc:
            return refused_page(request, org, form, page, exc)
        return saved_redirect(request, _("The mailbox %(name)s is created.") % {"name": created.name},
                              page_url("portal:mailboxes", org))
    return form_page(request, org, form, page)


@org_view(Action.EDIT_SETUP)
def mailbox_edit(request: HttpRequest, org: OrgAccess, mailbox_id: uuid.UUID) -> HttpResponse:
    mailbox = access_mailbox(org.authority, mailbox_id)
    form = MailboxForm(org.authority, request.POST if request.method == "POST" else None, mailbox=mailbox)
    page = Page(
        _("Mailbox %(name)s") % {"name": mailbox.name}, page_url("portal:mailboxes", org),
        problems=mailbox_problems(mailbox),
        delete_url=reverse("portal:mailbox_delete", kwargs={"cvr": org.authority.cvr, "mailbox_id": mailbox.pk}),
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_mailbox(mailbox=mailbox, actor=org.actor, **form.values())
        except DigitalPostError as exc:
            return refused_page(request, org, form, page, exc)
        return saved_redirect(request, _("The mailbox %(name)s is saved.") % {"name": form.cleaned_data["name"]},
                              page_url("portal:mailboxes", org))
    return form_page(request, org, form, page)


@org_view(Action.EDIT_SETUP)
def mailbox_delete(request: HttpRequest, org: OrgAccess, mailbox_id: uuid.UUID) -> HttpResponse:
    mailbox = access_mailbox(org.authority, mailbox_id)
    page = Page(_("Delete a mailbox"), page_url("portal:mailboxes", org))
    if request.method == "POST":
        try:
            delete_mailbox(mailbox=mailbox, actor=org.actor)
        except DigitalPostError as exc:
            return confirm_delete_page(request, org, page, mailbox.name, error=exc)
        return saved_redirect(request, _("The mailbox %(name)s is deleted.") % {"name": mailbox.name},
                              page_url("portal:mailboxes", org))
    return confirm_delete_page(request, org, page, mailbox.name)


urlpatterns = [
    path("<str:cvr>/mailboxes/", mailboxes, name="mailboxes"),
    path("<str:cvr>/mailboxes/new/", mailbox_new, name="mailbox_new"),
    path("<str:cvr>/mailboxes/<uuid:mailbox_id>/", mailbox_edit, name="mailbox_edit"),
    path("<str:cvr>/mailboxes/<uuid:mailbox_id>/delete/", mailbox_delete, name="mailbox_delete"),
]
