"""Portal pages: the organisation's set-up — profile and permissions, people and roles, mailboxes, materials
and subscription groups — and the platform operator's new-organisation page.

Each page parses its form, calls one service and redirects, or shows the service's refusal on the form with
its code. Wrong set-up (a mailbox that delivers nowhere, a material whose replies cannot be written) is
flagged on the lists and edit pages, not only refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess, access_membership, actor_of, count_superadmins, list_people
from digitalpost.accounts.services import (
    add_member,
    change_caseworker_mailboxes,
    create_organisation,
    revoke_role,
)
from digitalpost.authorities.models import Authority, Material
from digitalpost.authorities.selectors import (
    SetupProblem,
    access_mailbox,
    access_material,
    access_subscription_group,
    list_mailbox_tree,
    list_material_rows,
    list_subscription_groups,
    mailbox_problems,
)
from digitalpost.authorities.services.mailboxes import create_mailbox, delete_mailbox, update_mailbox
from digitalpost.authorities.services.materials import (
    create_material,
    create_subscription_group,
    delete_material,
    delete_subscription_group,
    update_material,
    update_subscription_group,
)
from digitalpost.authorities.services.organisation import set_authority_permissions, update_authority_profile
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action, Role
from digitalpost.portal.access import form_error, org_view, platform_view
from digitalpost.portal.forms.setup import (
    KIND_LABELS,
    REPLY_RULE_LABELS,
    ROLE_LABELS,
    CaseworkerMailboxesForm,
    MailboxForm,
    MaterialForm,
    MemberForm,
    OrganisationForm,
    PermissionsForm,
    ProfileForm,
    SubscriptionGroupForm,
)

FORM_PAGE = "portal/setup/form_page.html"
CONFIRM_PAGE = "portal/setup/confirm_delete.html"


def _url(name: str, org: OrgAccess) -> str:
    return reverse(name, kwargs={"cvr": org.authority.cvr})


@dataclass(frozen=True)
class Page:
    """What a form or confirmation page shows around its form."""

    heading: str
    cancel: str  # where "Cancel" goes back to
    problems: Sequence[SetupProblem] = ()  # wrong set-up flagged above the form
    delete_url: str = ""


def _form_page(request: HttpRequest, org: OrgAccess | None, form: Any, page: Page, *, status: int = 200,
               ) -> HttpResponse:
    context = {"org": org, "form": form, "heading": page.heading, "cancel_url": page.cancel,
               "problems": page.problems, "delete_url": page.delete_url}
    return render(request, FORM_PAGE, context, status=status)


def _refused(request: HttpRequest, org: OrgAccess | None, form: Any, page: Page, exc: DigitalPostError,
             ) -> HttpResponse:
    form_error(form, exc)
    return _form_page(request, org, form, page, status=exc.spec.http)


def _submit(request: HttpRequest, org: OrgAccess, form: Any, page: Page, write: Callable[[], object],
            done: str, to: str) -> HttpResponse:
    """A set-up form's one path: valid input runs the one service; its refusal shows on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            write()
        except DigitalPostError as exc:
            return _refused(request, org, form, page, exc)
        return _saved(request, done, to)
    return _form_page(request, org, form, page)


def _confirm_delete(request: HttpRequest, org: OrgAccess, page: Page, label: str,
                    error: DigitalPostError | None = None) -> HttpResponse:
    return render(request, CONFIRM_PAGE, {"org": org, "heading": page.heading, "object_label": label,
                                          "cancel_url": page.cancel, "error": error},
                  status=error.spec.http if error else 200)


def _saved(request: HttpRequest, text: str, to: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(to)


# --- the organisation's profile -----------------------------------------------------------------------


@org_view(Action.VIEW_SETUP)
def profile(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    authority = org.authority
    return render(request, "portal/setup/profile.html", {
        "org": org, "authority": authority, "kind_label": KIND_LABELS[Authority.Kind(authority.kind)],
        "missing_technical_contact": not (authority.technical_contact_name and authority.technical_contact_email),
        "superadmins": count_superadmins(authority),
        "may_edit": org.may(Action.EDIT_SETUP), "may_grant": org.may(Action.OPERATE_PLATFORM),
    })


@org_view(Action.EDIT_SETUP)
def profile_edit(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = ProfileForm.for_authority(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("Edit the organisation's profile"), _url("portal:profile", org))
    return _submit(
        request, org, form, page,
        lambda: update_authority_profile(authority=org.authority, actor=org.actor, **form.cleaned_data),
        _("The profile is saved."), _url("portal:profile", org),
    )


@org_view(Action.OPERATE_PLATFORM)
def profile_permissions(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    authority = org.authority
    form = PermissionsForm(request.POST if request.method == "POST" else None, initial={
        "may_send_mandatory": authority.may_send_mandatory,
        "may_send_legal_notification": authority.may_send_legal_notification,
    })
    page = Page(_("Permissions of %(name)s") % {"name": authority.name}, _url("portal:profile", org))
    return _submit(
        request, org, form, page,
        lambda: set_authority_permissions(authority=authority, actor=org.actor, **form.cleaned_data),
        _("The permissions are saved."), _url("portal:profile", org),
    )


# --- people and their roles ----------------------------------------------------------------------------


def _users_page(request: HttpRequest, org: OrgAccess, *, error: DigitalPostError | None = None) -> HttpResponse:
    people = [
        {"user": person.user, "roles": [
            {"membership": m, "label": ROLE_LABELS[Role(m.role)], "is_caseworker": m.role == Role.CASEWORKER,
             "mailboxes": sorted(mb.name for mb in m.mailboxes.all())}
            for m in person.memberships
        ]}
        for person in list_people(org.authority)
    ]
    return render(request, "portal/setup/users.html", {
        "org": org, "people": people, "superadmins": count_superadmins(org.authority), "error": error,
    }, status=error.spec.http if error else 200)


@org_view(Action.MANAGE_USERS)
def users(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return _users_page(request, org)


@org_view(Action.MANAGE_USERS)
def user_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = MemberForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("Give a person a role"), _url("portal:users", org))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = add_member(authority=org.authority, username=data["username"], full_name=data["full_name"],
                               email=data["email"], role=Role(data["role"]), mailboxes=data["mailboxes"],
                               actor=org.actor)
        except DigitalPostError as exc:
            return _refused(request, org, form, page, exc)
        if added.initial_password is None:
            return _saved(request, _("%(user)s now has the role.") % {"user": data["username"]},
                          _url("portal:users", org))
        return render(request, "portal/setup/user_created.html", {"org": org, "added": added})
    return _form_page(request, org, form, page)


@org_view(Action.MANAGE_USERS)
def user_mailboxes(request: HttpRequest, org: OrgAccess, membership_id: int) -> HttpResponse:
    membership = access_membership(org.authority, membership_id)
    form = CaseworkerMailboxesForm(org.authority, request.POST if request.method == "POST" else None,
                                   initial={"mailboxes": list(membership.mailboxes.all())})
    page = Page(_("Mailboxes of %(user)s") % {"user": membership.user.get_username()}, _url("portal:users", org))
    if request.method == "POST" and form.is_valid():
        try:
            change_caseworker_mailboxes(membership=membership, mailboxes=form.cleaned_data["mailboxes"],
                                        actor=org.actor)
        except DigitalPostError as exc:
            return _refused(request, org, form, page, exc)
        return _saved(request, _("The mailboxes are saved."), _url("portal:users", org))
    return _form_page(request, org, form, page)


@org_view(Action.MANAGE_USERS)
def user_remove(request: HttpRequest, org: OrgAccess, membership_id: int) -> HttpResponse:
    membership = access_membership(org.authority, membership_id)
    label = f"{membership.user.get_username()}: {ROLE_LABELS[Role(membership.role)]}"
    if request.method == "POST":
        try:
            revoke_role(authority=org.authority, user=membership.user, role=Role(membership.role), actor=org.actor)
        except DigitalPostError as exc:
            return _users_page(request, org, error=exc)
        return _saved(request, _("The role is removed: %(what)s.") % {"what": label}, _url("portal:users", org))
    return _confirm_delete(request, org, Page(_("Remove a role"), _url("portal:users", org)), label)


# --- mailboxes -------------------------------------------------------------------------------------------


@org_view(Action.VIEW_SETUP)
def mailboxes(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return render(request, "portal/setup/mailboxes.html", {
        "org": org, "rows": list_mailbox_tree(org.authority), "may_edit": org.may(Action.EDIT_SETUP),
    })


@org_view(Action.EDIT_SETUP)
def mailbox_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = MailboxForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("New mailbox"), _url("portal:mailboxes", org))
    if request.method == "POST" and form.is_valid():
        try:
            created = create_mailbox(authority=org.authority, actor=org.actor, **form.values())
        except DigitalPostError as exc:
            return _refused(request, org, form, page, exc)
        return _saved(request, _("The mailbox %(name)s is created.") % {"name": created.name},
                      _url("portal:mailboxes", org))
    return _form_page(request, org, form, page)


@org_view(Action.EDIT_SETUP)
def mailbox_edit(request: HttpRequest, org: OrgAccess, mailbox_id: uuid.UUID) -> HttpResponse:
    mailbox = access_mailbox(org.authority, mailbox_id)
    form = MailboxForm(org.authority, request.POST if request.method == "POST" else None, mailbox=mailbox)
    page = Page(
        _("Mailbox %(name)s") % {"name": mailbox.name}, _url("portal:mailboxes", org),
        problems=mailbox_problems(mailbox),
        delete_url=reverse("portal:mailbox_delete", kwargs={"cvr": org.authority.cvr, "mailbox_id": mailbox.pk}),
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_mailbox(mailbox=mailbox, actor=org.actor, **form.values())
        except DigitalPostError as exc:
            return _refused(request, org, form, page, exc)
        return _saved(request, _("The mailbox %(name)s is saved.") % {"name": form.cleaned_data["name"]},
                      _url("portal:mailboxes", org))
    return _form_page(request, org, form, page)


@org_view(Action.EDIT_SETUP)
def mailbox_delete(request: HttpRequest, org: OrgAccess, mailbox_id: uuid.UUID) -> HttpResponse:
    mailbox = access_mailbox(org.authority, mailbox_id)
    page = Page(_("Delete a mailbox"), _url("portal:mailboxes", org))
    if request.method == "POST":
        try:
            delete_mailbox(mailbox=mailbox, actor=org.actor)
        except DigitalPostError as exc:
            return _confirm_delete(request, org, page, mailbox.name, error=exc)
        return _saved(request, _("The mailbox %(name)s is deleted.") % {"name": mailbox.name},
                      _url("portal:mailboxes", org))
    return _confirm_delete(request, org, page, mailbox.name)


# --- materials and subscription groups ----------------------------------------------------------------


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
    page = Page(_("New material"), _url("portal:materials", org))
    return _submit(
        request, org, form, page,
        lambda: create_material(authority=org.authority, actor=org.actor, **_material_values(form)),
        _("The material is created."), _url("portal:materials", org),
    )


@org_view(Action.EDIT_SETUP)
def material_edit(request: HttpRequest, org: OrgAccess, material_id: uuid.UUID) -> HttpResponse:
    material = access_material(org.authority, material_id)
    form = MaterialForm(org.authority, request.POST if request.method == "POST" else None, material=material)
    page = Page(
        _("Material %(name)s") % {"name": material.name}, _url("portal:materials", org),
        delete_url=reverse("portal:material_delete", kwargs={"cvr": org.authority.cvr, "material_id": material.pk}),
    )
    return _submit(
        request, org, form, page,
        lambda: update_material(material=material, actor=org.actor, **_material_values(form)),
        _("The material is saved."), _url("portal:materials", org),
    )


@org_view(Action.EDIT_SETUP)
def material_delete(request: HttpRequest, org: OrgAccess, material_id: uuid.UUID) -> HttpResponse:
    material = access_material(org.authority, material_id)
    page = Page(_("Delete a material"), _url("portal:materials", org))
    if request.method == "POST":
        try:
            delete_material(material=material, actor=org.actor)
        except DigitalPostError as exc:
            return _confirm_delete(request, org, page, material.name, error=exc)
        return _saved(request, _("The material is deleted."), _url("portal:materials", org))
    return _confirm_delete(request, org, page, material.name)


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
    page = Page(_("New subscription group"), _url("portal:subscription_groups", org))
    return _submit(
        request, org, form, page,
        lambda: create_subscription_group(authority=org.authority, actor=org.actor, **_group_values(form)),
        _("The subscription group is created."), _url("portal:subscription_groups", org),
    )


@org_view(Action.EDIT_SETUP)
def subscription_group_edit(request: HttpRequest, org: OrgAccess, group_id: uuid.UUID) -> HttpResponse:
    group = access_subscription_group(org.authority, group_id)
    form = SubscriptionGroupForm(org.authority, request.POST if request.method == "POST" else None, initial={
        "name": group.name, "description": group.description, "materials": list(group.materials.all()),
    })
    page = Page(
        _("Subscription group %(name)s") % {"name": group.name}, _url("portal:subscription_groups", org),
        delete_url=reverse("portal:subscription_group_delete", kwargs={"cvr": org.authority.cvr, "group_id": group.pk}),
    )
    return _submit(
        request, org, form, page,
        lambda: update_subscription_group(group=group, actor=org.actor, **_group_values(form)),
        _("The subscription group is saved."), _url("portal:subscription_groups", org),
    )


@org_view(Action.EDIT_SETUP)
def subscription_group_delete(request: HttpRequest, org: OrgAccess, group_id: uuid.UUID) -> HttpResponse:
    group = access_subscription_group(org.authority, group_id)
    page = Page(_("Delete a subscription group"), _url("portal:subscription_groups", org))
    if request.method == "POST":
        try:
            delete_subscription_group(group=group, actor=org.actor)
        except DigitalPostError as exc:
            return _confirm_delete(request, org, page, group.name, error=exc)
        return _saved(request, _("The subscription group is deleted."), _url("portal:subscription_groups", org))
    return _confirm_delete(request, org, page, group.name)


# --- the platform operator ------------------------------------------------------------------------------


@platform_view
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    page = Page(_("New organisation"), reverse("portal:choose"))
    if request.method == "POST" and form.is_valid():
        try:
            created = create_organisation(actor=actor_of(request.user), **form.cleaned_data)  # type: ignore[arg-type]
        except DigitalPostError as exc:
            return _refused(request, None, form, page, exc)
        return render(request, "portal/setup/organisation_created.html", {"created": created})
    return _form_page(request, None, form, page)


urlpatterns = [
    path("platform/organisations/new/", organisation_new, name="organisation_new"),
    path("<str:cvr>/profile/", profile, name="profile"),
    path("<str:cvr>/profile/edit/", profile_edit, name="profile_edit"),
    path("<str:cvr>/profile/permissions/", profile_permissions, name="profile_permissions"),
    path("<str:cvr>/users/", users, name="users"),
    path("<str:cvr>/users/new/", user_new, name="user_new"),
    path("<str:cvr>/users/<int:membership_id>/mailboxes/", user_mailboxes, name="user_mailboxes"),
    path("<str:cvr>/users/<int:membership_id>/remove/", user_remove, name="user_remove"),
    path("<str:cvr>/mailboxes/", mailboxes, name="mailboxes"),
    path("<str:cvr>/mailboxes/new/", mailbox_new, name="mailbox_new"),
    path("<str:cvr>/mailboxes/<uuid:mailbox_id>/", mailbox_edit, name="mailbox_edit"),
    path("<str:cvr>/mailboxes/<uuid:mailbox_id>/delete/", mailbox_delete, name="mailbox_delete"),
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
