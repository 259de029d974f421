"""The invitee's side of an invitation to join an organisation (the administrator's side: setup.people).

The mailed link is /portal/invitation/#<token>: the token travels in the fragment, which no browser sends to a
server, so it reaches no access log, proxy or Referer. invitation.js posts it; without JavaScript the invitee
types the code the mail also shows. The token is then kept in the session (it survives signing in: Django
keeps an anonymous session's data when it renews the session id) and the page offers: sign in and accept; create
a user and accept; or, when the organisation has staff single sign-on, sign on there (portal.views.sso accepts).
Nobody is a member before they accept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from digitalpost.accounts.models import Invitation
from digitalpost.accounts.selectors import pending_invitation
from digitalpost.accounts.services import accept_invitation, accept_invitation_as_new_user
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import PUBLIC, SIGNED_IN, Role, access_rule
from digitalpost.portal.access import to_sign_in
from digitalpost.portal.client_address import client_address
from digitalpost.portal.forms.setup import ROLE_LABELS
from digitalpost.portal.signin import pending_step, to_pending_step, with_next

INVITATION_KEY = "portal_invitation_token"
INVITATION_CODE_MAX_LENGTH = 100


class InvitationCodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Invitation code"), max_length=INVITATION_CODE_MAX_LENGTH,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))


class NewAccountForm(UserCreationForm):  # type: ignore[type-arg]
    """Django's own checks of a new user name (free, valid) and password (the configured validators)."""

    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150, required=False)

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


def invitation_in_session(request: HttpRequest) -> tuple[str, Invitation] | None:
    token = request.session.get(INVITATION_KEY)
    if not isinstance(token, str):
        return None
    found = pending_invitation(token)
    if found is None:
        request.session.pop(INVITATION_KEY, None)
        return None
    return token, found


def _context(request: HttpRequest, invitation: Invitation) -> dict[str, Any]:
    cvr = invitation.authority.cvr
    return {"invitation": invitation, "role": ROLE_LABELS[Role(invitation.role)],
            "sso": cvr in settings.DIGITALPOST_STAFF_SSO,
            "sso_url": with_next(reverse("portal:sso_start", args=[cvr]), reverse("portal:invitation"))}


@access_rule(PUBLIC)
@never_cache
def invitation(request: HttpRequest) -> HttpResponseBase:
    """The invitation: first its code (from the link's fragment), then who it is from and how to accept it."""
    if request.method == "POST":
        form = InvitationCodeForm(request.POST)
        if form.is_valid() and pending_invitation(form.cleaned_data["code"]) is not None:
            request.session[INVITATION_KEY] = form.cleaned_data["code"].strip()
            return redirect("portal:invitation")
        error = DigitalPostError(ErrorCode.INVITATION_INVALID)
        return render(request, "portal/invitation/code.html", {"form": form, "error": error}, status=error.spec.http)
    held = invitation_in_session(request)
    if held is None:
        return render(request, "portal/invitation/code.html", {"form": InvitationCodeForm()})
    context = _context(request, held[1])
    if request.user.is_authenticated:
        context["pending_step"] = pending_step(request)
    return render(request, "portal/invitation/invitation.html", context)


@access_rule(SIGNED_IN)
@never_cache
@require_POST
def invitation_accept(request: HttpRequest) -> HttpResponseBase:
    """The signed-in user (through every sign-in step) accepts: a member from now on."""
    if not request.user.is_authenticated:
        return to_sign_in(request)
    if step := pending_step(request):
        return to_pending_step(request, step)
    assert isinstance(request.user, User)
    held = invitation_in_session(request)
    if held is None:
        return _invalid(request)
    try:
        membership = accept_invitation(token=held[0], user=request.user, address=client_address(request))
    except DigitalPostError:
        return _invalid(request)
    request.session.pop(INVITATION_KEY, None)
    messages.success(request, _("You accepted the invitation: you are %(role)s in %(organisation)s.") % {
        "role": ROLE_LABELS[Role(membership.role)], "organisation": membership.authority.name})
    return redirect("portal:overview", cvr=membership.authority.cvr)


@access_rule(PUBLIC)
@never_cache
def invitation_account(request: HttpRequest) -> HttpResponseBase:
    """A person without a user in the portal creates one with the invitation, and so accepts it. The user gets
    the invited address; an authenticator app is enrolled next, as for everyone signing in with a password."""
    if request.user.is_authenticated:
        return redirect("portal:invitation")
    held = invitation_in_session(request)
    if held is None:
        return _invalid(request)
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = accept_invitation_as_new_user(
                token=held[0], username=form.cleaned_data["username"], full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"], address=client_address(request))
        except DigitalPostError as exc:
            if exc.code == ErrorCode.INVITATION_INVALID:
                return _invalid(request)
            form.add_error(None, f"{exc.text} [{exc.code}]")
        else:
            request.session.pop(INVITATION_KEY, None)
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            overview = reverse("portal:overview", kwargs={"cvr": membership.authority.cvr})
            return redirect(with_next(reverse(pending_step(request) or "portal:enrol"), overview))
    return render(request, "portal/invitation/account.html", {**_context(request, held[1]), "form": form})


def _invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(INVITATION_KEY, None)
    error = DigitalPostError(ErrorCode.INVITATION_INVALID)
    return render(request, "portal/invitation/code.html", {"form": InvitationCodeForm(), "error": error},
                  status=error.spec.http)


urlpatterns = [
    path("invitation/", invitation, name="invitation"),
    path("invitation/accept/", invitation_accept, name="invitation_accept"),
    path("invitation/account/", invitation_account, name="invitation_account"),
]
