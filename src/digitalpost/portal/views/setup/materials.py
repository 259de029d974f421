"""Portal pages: materials (kinds of letters and where their replies go) and subscription groups, with a
material whose replies cannot be written flagged on the list and edit pages.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.authorities.models import Material
from digitalpost.authorities.selectors import (
    access_material,
    access_subscription_group,
    list_material_rows,
    list_subscription_groups,
)
from digitalpost.authorities.services.materials import (
    create_material,
    create_subscription_group,
    delete_material,
    delete_subscription_group,
    update_material,
    update_subscription_group,
)
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.setup import (
    REPLY_RULE_LABELS,
    MaterialForm,
    SubscriptionGroupForm,
)
from digitalpost.portal.views.setup.pages import Page, confirm_delete_page, page_url, saved_redirect, submit_form


@org_view(Action.VIEW_SETUP)
def materials(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    rows = [{"row": row, "rule": REPLY_RULE_LABELS[Material.ReplyRule(row.material.reply_rule)]}
            for row in list_material_rows(org.authority)]
    return render(request, "portal/setup/materials.html", {
        "org": org, "rows": rows, "may_edit": org.may(Action.EDIT_SETUP),
    })


def _material_values(form: MaterialForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"name": data["name"], "description": data["description"], "reply_rule": data["reply_rule"],
            "reply_mailbox": data["reply_mailbox"], "is_mandatory": data["is_mandatory"]}


@org_view(Action.EDIT_SETUP)
def material_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = MaterialForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("New material"), page_url("portal:materials", org))
    return submit_form(
        request, org, form, page,
        lambda: create_material(authority=org.authority, actor=org.actor, **_material_values(form)),
        _("The material is created."), page_url("portal:materials", org),
    )


@org_view(Action.EDIT_SETUP)
def material_edit(request: HttpRequest, org: OrgAccess, material_id: uuid.UUID) -> HttpResponse:
    material = access_material(org.authority, material_id)
    form = MaterialForm(org.authority, request.POST if request.method == "POST" else None, material=material)
    page = Page(
        _("Material %(name)s") % {"name": material.name}, page_url("portal:materials", org),
        delete_url=reverse("portal:material_delete", kwargs={"cvr": org.authority.cvr, "material_id": material.pk}),
    )
    return submit_form(
        request, org, form, page,
        lambda: update_material(material=material, actor=org.actor, **_material_values(form)),
        _("The material is saved."), page_url("portal:materials", org),
    )


@org_view(Action.EDIT_SETUP)
def material_delete(request: HttpRequest, org: OrgAccess, material_id: uuid.UUID) -> HttpResponse:
    material = access_material(org.authority, material_id)
    page = Page(_("Delete a material"), page_url("portal:materials", org))
    if request.method == "POST":
        try:
            delete_material(material=material, actor=org.actor)
        except DigitalPostError as exc:
            return confirm_delete_page(request, org, page, material.name, error=exc)
        return saved_redirect(request, _("The material is deleted."), page_url("portal:materials", org))
    return confirm_delete_page(request, org, page, material.name)


@org_view(Action.VIEW_SETUP)
def subscription_groups(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/setup/subscription_groups.html", {
        "org": org, "groups": list_subscription_groups(org.authority), "may_edit": org.may(Action.EDIT_SETUP),
    })


def _group_values(form: SubscriptionGroupForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"name": data["name"], "description": data["description"], "materials": list(data["materials"])}


@org_view(Action.EDIT_SETUP)
def subscription_group_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = SubscriptionGroupForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("New subscription group"), page_url("portal:subscription_groups", org))
    return submit_form(
        request, org, form, page,
        lambda: create_subscription_group(authority=org.authority, actor=org.actor, **_group_values(form)),
        _("The subscription group is created."), page_url("portal:subscription_groups", org),
    )


@org_view(Action.EDIT_SETUP)
def subscription_group_edit(request: HttpRequest, org: OrgAccess, group_id: uuid.UUID) -> HttpResponse:
    group = access_subscription_group(org.authority, group_id)
    form = SubscriptionGroupForm(org.authority, request.POST if request.method == "POST" else None, initial={
        "name": group.name, "description": group.description, "materials": list(group.materials.all()),
    })
    page = Page(
        _("Subscription group %(name)s") % {"name": group.name}, page_url("portal:subscription_groups", org),
        delete_url=reverse("portal:subscription_group_delete", kwargs={"cvr": org.authority.cvr, "group_id": group.pk}),
    )
    return submit_form(
        request, org, form, page,
        lambda: update_subscription_group(group=group, actor=org.actor, **_group_values(form)),
        _("The subscription group is saved."), page_url("portal:subscription_groups", org),
    )


@org_view(Action.EDIT_SETUP)
def subscription_group_delete(request: HttpRequest, org: OrgAccess, group_id: uuid.UUID) -> HttpResponse:
    group = access_subscription_group(org.authority, group_id)
    page = Page(_("Delete a subscription group"), page_url("portal:subscription_groups", org))
    if request.method == "POST":
        try:
            delete_subscription_group(group=group, actor=org.actor)
        except DigitalPostError as exc:
            return confirm_delete_page(request, org, page, group.name, error=exc)
        return saved_redirect(request, _("The subscription group is deleted."),
                              page_url("portal:subscription_groups", org))
    return confirm_delete_page(request, org, page, group.name)


urlpatterns = [
    path("<str:cvr>/materials/", materials, name="materials"),
    path("<str:cvr>/materials/new/", material_new, name="material_new"),
    path("<str:cvr>/materials/<uuid:material_id>/", material_edit, name="material_edit"),
    path("<str:cvr>/materials/<uuid:material_id>/delete/", material_delete, name="material_delete"),
    path("<str:cvr>/subscription-groups/", subscription_groups, name="subscription_groups"),
    path("<str:cvr>/subscription-groups/new/", subscription_group_new, name="subscription_group_new"),
    path("<str:cvr>/subscription-groups/<uuid:group_id>/", subscription_group_edit, name="subscription_group_edit"),
    path("<str:cvr>/subscription-groups/<uuid:group_id>/delete/", subscription_group_delete,
         name="subscription_group_delete"),
]
