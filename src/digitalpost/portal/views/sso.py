"""Staff single sign-on: an organisation's members sign in to the portal through the organisation's own OpenID
provider (its Entra ID, MitID Erhverv through NemLog-in, …), with the same relying-party code as the mailbox
(hub.oidc, Authlib). A configured claim names the member's user name; only a member of that organisation gets in.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from digitalpost.accounts.selectors import get_member, user_by_username
from digitalpost.accounts.services import accept_invitation_as_new_user, record_single_sign_on
from digitalpost.authorities.models import Authority
from digitalpost.authorities.selectors import get_authority_by_cvr
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import PUBLIC, access_rule
from digitalpost.hub.oidc import OidcProvider, begin_sign_in, finish_sign_in
from digitalpost.portal.access import error_page
from digitalpost.portal.client_address import client_address
from digitalpost.portal.signin import complete_single_sign_on, safe_next
from digitalpost.portal.views.invitation import INVITATION_KEY, invitation_in_session

log = logging.getLogger(__name__)
SSO_ORGANISATION_KEY = "portal_sso_organisation"
SSO_NEXT_KEY = "portal_sso_next"


def staff_provider(cvr: str) -> tuple[Authority, OidcProvider, str]:
    """The organisation, its provider and the claim that names the member; 404 when it has no sign-on."""
    config = settings.DIGITALPOST_STAFF_SSO.get(cvr)
    authority = get_authority_by_cvr(cvr) if config else None
    if config is None or authority is None:
        raise Http404("No single sign-on for this organisation")
    provider = OidcProvider(name=f"staff{cvr}", discovery_url=config["discovery_url"], client_id=config["client_id"],
                            client_secret=config["client_secret"], scopes=config.get("scopes", "openid"),
                            clock_skew_seconds=settings.DIGITALPOST_OIDC_CLOCK_SKEW_SECONDS)
    return authority, provider, config.get("claim", "preferred_username")


@access_rule(PUBLIC)
@require_GET
def sso_start(request: HttpRequest, organisation: str) -> HttpResponseBase:
    _, provider, _ = staff_provider(organisation)
    request.session[SSO_ORGANISATION_KEY] = organisation
    request.session[SSO_NEXT_KEY] = safe_next(request, request.GET.get("next"))
    try:
        return begin_sign_in(request, provider, request.build_absolute_uri(reverse("portal:sso_callback")))
    except DigitalPostError as exc:
        return error_page(request, exc)


@access_rule(PUBLIC)
@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    authority, provider, claim = staff_provider(str(request.session.get(SSO_ORGANISATION_KEY, "")))
    try:
        claims = finish_sign_in(request, provider)
        username = str(claims.get(claim, ""))
        user = get_member(authority, username) or _accept_invitation(request, authority, username)
    except DigitalPostError as exc:
        log.info("Staff sign-on to %s refused: %s", authority.cvr, exc.code)
        request.session.flush()
        return error_page(request, exc)
    next_url = str(request.session.get(SSO_NEXT_KEY, "/portal/"))
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # a new session id
    complete_single_sign_on(request, authority.cvr)
    record_single_sign_on(authority=authority, user=user)
    return redirect(safe_next(request, next_url))


def _accept_invitation(request: HttpRequest, authority: Authority, username: str) -> User:
    """Someone not yet a member signs on while holding an invitation to this organisation (the invitation page
    sends them here): a new user with the claim's user name joins. A name that already has a user is refused:
    the organisation's provider vouches for its own people, never for another organisation's user."""
    held = invitation_in_session(request)
    if held is None or held[1].authority_id != authority.pk or not username.strip():
        raise DigitalPostError(ErrorCode.SIGNIN_STAFF_NOT_MEMBER)
    if user_by_username(username) is not None:
        raise DigitalPostError(ErrorCode.SIGNIN_STAFF_NAME_TAKEN)
    membership = accept_invitation_as_new_user(token=held[0], username=username, full_name="", password=None,
                                               address=client_address(request))
    request.session.pop(INVITATION_KEY, None)
    request.session[SSO_NEXT_KEY] = reverse("portal:overview", kwargs={"cvr": authority.cvr})  # accepted: go in
    return membership.user


urlpatterns = [
    path("login/sso/callback/", sso_callback, name="sso_callback"),
    path("login/sso/<str:organisation>/", sso_start, name="sso_start"),
]
