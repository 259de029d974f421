"""Portal pages: the organisation's profile, its secure-mail policy and its permissions (granted by the platform
operator).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from digitalpost.accounts.selectors import OrgAccess, count_superadmins
from digitalpost.authorities.models import Authority
from digitalpost.authorities.services.organisation import (
    set_authority_permissions,
    set_secure_mail_policy,
    update_authority_profile,
)
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view
from digitalpost.portal.forms.setup import (
    KIND_LABELS,
    PermissionsForm,
    ProfileForm,
    SecureMailPolicyForm,
)
from digitalpost.portal.views.setup.pages import Page, page_url, submit_form


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
    page = Page(_("Edit the organisation's profile"), page_url("portal:profile", org))
    return submit_form(
        request, org, form, page,
        lambda: update_authority_profile(authority=org.authority, actor=org.actor, **form.cleaned_data),
        _("The profile is saved."), page_url("portal:profile", org),
    )


@org_view(Action.EDIT_SETUP)
def profile_secure_mail(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    authority = org.authority
    form = SecureMailPolicyForm(request.POST if request.method == "POST" else None,
                                initial={"refuse_sha1_signatures": authority.refuse_sha1_signatures,
                                         "accepts_gateway_addresses": authority.accepts_gateway_addresses})
    page = Page(_("Secure-mail replies from %(name)s") % {"name": authority.name}, page_url("portal:profile", org))
    return submit_form(
        request, org, form, page,
        lambda: set_secure_mail_policy(authority=authority, actor=org.actor, **form.cleaned_data),
        _("The secure-mail settings are saved."), page_url("portal:profile", org),
    )


@org_view(Action.OPERATE_PLATFORM)
def profile_permissions(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    authority = org.authority
    form = PermissionsForm(request.POST if request.method == "POST" else None, initial={
        "may_send_mandatory": authority.may_send_mandatory,
        "may_send_legal_notification": authority.may_send_legal_notification,
    })
    page = Page(_("Permissions of %(name)s") % {"name": authority.name}, page_url("portal:profile", org))
    return submit_form(
        request, org, form, page,
        lambda: set_authority_permissions(authority=authority, actor=org.actor, **form.cleaned_data),
        _("The permissions are saved."), page_url("portal:profile", org),
    )


urlpatterns = [
    path("<str:cvr>/profile/", profile, name="profile"),
    path("<str:cvr>/profile/edit/", profile_edit, name="profile_edit"),
    path("<str:cvr>/profile/secure-mail/", profile_secure_mail, name="profile_secure_mail"),
    path("<str:cvr>/profile/permissions/", profile_permissions, name="profile_permissions"),
]
