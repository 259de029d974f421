"""Portal pages: the organisation's people and their roles; adding a member, a caseworker's mailboxes, removing
a role.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess, access_membership, count_superadmins, list_people
from digitalpost.accounts.services import (
    add_member,
    change_caseworker_mailboxes,
    revoke_role,
)
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action, Role
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.setup import (
    ROLE_LABELS,
    CaseworkerMailboxesForm,
    MemberForm,
)
from digitalpost.portal.signin import fresh_second_factor
from digitalpost.portal.views.setup.pages import (
    Page,
    confirm_delete_page,
    form_page,
    page_url,
    refused_page,
    saved_redirect,
)


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
@fresh_second_factor
def user_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = MemberForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("Give a person a role"), page_url("portal:users", org))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = add_member(authority=org.authority, username=data["username"], full_name=data["full_name"],
                               email=data["email"], role=Role(data["role"]), mailboxes=data["mailboxes"],
                               actor=org.actor)
        except DigitalPostError as exc:
            return refused_page(request, org, form, page, exc)
        if added.initial_password is None:
            return saved_redirect(request, _("%(user)s now has the role.") % {"user": data["username"]},
                                  page_url("portal:users", org))
        return render(request, "portal/setup/user_created.html", {"org": org, "added": added})
    return form_page(request, org, form, page)


@org_view(Action.MANAGE_USERS)
@fresh_second_factor
def user_mailboxes(request: HttpRequest, org: OrgAccess, membership_id: int) -> HttpResponse:
    membership = access_membership(org.authority, membership_id)
    form = CaseworkerMailboxesForm(org.authority, request.POST if request.method == "POST" else None,
                                   initial={"mailboxes": list(membership.mailboxes.all())})
    page = Page(_("Mailboxes of %(user)s") % {"user": membership.user.get_username()}, page_url("portal:users", org))
    if request.method == "POST" and form.is_valid():
        try:
            change_caseworker_mailboxes(membership=membership, mailboxes=form.cleaned_data["mailboxes"],
                                        actor=org.actor)
        except DigitalPostError as exc:
            return refused_page(request, org, form, page, exc)
        return saved_redirect(request, _("The mailboxes are saved."), page_url("portal:users", org))
    return form_page(request, org, form, page)


@org_view(Action.MANAGE_USERS)
@fresh_second_factor
def user_remove(request: HttpRequest, org: OrgAccess, membership_id: int) -> HttpResponse:
    membership = access_membership(org.authority, membership_id)
    label = f"{membership.user.get_username()}: {ROLE_LABELS[Role(membership.role)]}"
    if request.method == "POST":
        try:
            revoke_role(authority=org.authority, user=membership.user, role=Role(membership.role), actor=org.actor)
        except DigitalPostError as exc:
            return _users_page(request, org, error=exc)
        return saved_redirect(request, _("The role is removed: %(what)s.") % {"what": label},
                              page_url("portal:users", org))
    return confirm_delete_page(request, org, Page(_("Remove a role"), page_url("portal:users", org)), label)


urlpatterns = [
    path("<str:cvr>/users/", users, name="users"),
    path("<str:cvr>/users/new/", user_new, name="user_new"),
    path("<str:cvr>/users/<int:membership_id>/mailboxes/", user_mailboxes, name="user_mailboxes"),
    path("<str:cvr>/users/<int:membership_id>/remove/", user_remove, name="user_remove"),
]
