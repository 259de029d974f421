"""Portal pages: the organisation's people and their roles; inviting a person (the only way in: they accept
through the mailed link, portal.views.invitation), the invitations and withdrawing one, a caseworker's mailboxes,
removing a role.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digitalpost.accounts.models import Invitation
from digitalpost.accounts.selectors import (
    OrgAccess,
    access_invitation,
    access_membership,
    count_superadmins,
    list_invitations,
    list_people,
)
from digitalpost.accounts.services import (
    change_caseworker_mailboxes,
    revoke_invitation,
    revoke_role,
)
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action, Role
from digitalpost.notifications.invitations import invite
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.setup import (
    ROLE_LABELS,
    CaseworkerMailboxesForm,
    InvitationForm,
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

INVITATIONS_SHOWN = 200
INVITATION_STATUS_LABELS = {
    Invitation.Status.PENDING: gettext_lazy("Pending"),
    Invitation.Status.ACCEPTED: gettext_lazy("Accepted"),
    Invitation.Status.EXPIRED: gettext_lazy("Expired"),
    Invitation.Status.REVOKED: gettext_lazy("Withdrawn"),
}


def _users_page(request: HttpRequest, org: OrgAccess, *, error: DigitalPostError | None = None) -> HttpResponse:
    people = [
        {"user": person.user, "roles": [
            {"membership": m, "label": ROLE_LABELS[Role(m.role)], "is_caseworker": m.role == Role.CASEWORKER,
             "mailboxes": sorted(mb.name for mb in m.mailboxes.all())}
            for m in person.memberships
        ]}
        for person in list_people(org.authority)
    ]
    now = timezone.now()
    invitations = [
        {"invitation": invitation, "label": ROLE_LABELS[Role(invitation.role)],
         "status": invitation.status_at(now), "status_label": INVITATION_STATUS_LABELS[invitation.status_at(now)],
         "mailboxes": sorted(mb.name for mb in invitation.mailboxes.all())}
        for invitation in list_invitations(org.authority)[:INVITATIONS_SHOWN]
    ]
    return render(request, "portal/setup/users.html", {
        "org": org, "people": people, "superadmins": count_superadmins(org.authority), "error": error,
        "invitations": invitations,
    }, status=error.spec.http if error else 200)


@org_view(Action.MANAGE_USERS)
def users(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    return _users_page(request, org)


@org_view(Action.MANAGE_USERS)
@fresh_second_factor
def invitation_new(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    """Invite a person by e-mail address. The answer is the same whoever has (or has no) account there: the
    hub looks up no user here, and shows nobody's name or address but the one typed."""
    form = InvitationForm(org.authority, request.POST if request.method == "POST" else None)
    page = Page(_("Invite a person"), page_url("portal:users", org))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invite(authority=org.authority, email=data["email"], role=Role(data["role"]),
                   mailboxes=data["mailboxes"], actor=org.actor)
        except DigitalPostError as exc:
            return refused_page(request, org, form, page, exc)
        return saved_redirect(
            request, _("An invitation is on its way to %(email)s. The person becomes a member when they accept it.")
            % {"email": data["email"]}, page_url("portal:users", org))
    return form_page(request, org, form, page)


@org_view(Action.MANAGE_USERS)
@fresh_second_factor
def invitation_revoke(request: HttpRequest, org: OrgAccess, invitation_id: int) -> HttpResponse:
    invitation = access_invitation(org.authority, invitation_id)
    label = f"{invitation.email}: {ROLE_LABELS[Role(invitation.role)]}"
    page = Page(_("Withdraw an invitation"), page_url("portal:users", org))
    if request.method == "POST":
        try:
            revoke_invitation(invitation=invitation, actor=org.actor)
        except DigitalPostError as exc:
            return _users_page(request, org, error=exc)
        return saved_redirect(request, _("The invitation is withdrawn: %(what)s.") % {"what": label},
                              page_url("portal:users", org))
    return confirm_delete_page(request, org, page, label)


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
    path("<str:cvr>/users/invite/", invitation_new, name="invitation_new"),
    path("<str:cvr>/users/invitations/<int:invitation_id>/withdraw/", invitation_revoke, name="invitation_revoke"),
    path("<str:cvr>/users/<int:membership_id>/mailboxes/", user_mailboxes, name="user_mailboxes"),
    path("<str:cvr>/users/<int:membership_id>/remove/", user_remove, name="user_remove"),
]
