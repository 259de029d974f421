"""Portal pages about the signed-in user themselves: personal admin API tokens.

A token acts as its user in the admin API (/apis/v1/admin/), with the same roles as in the portal. The
secret is shown once, right after it is issued; only its hash is stored. A user sees and revokes only their
own tokens: another user's token id answers 404, as if it did not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from digitalpost.accounts.models import AdminToken
from digitalpost.accounts.selectors import actor_of
from digitalpost.accounts.services import issue_admin_token, revoke_admin_token
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.portal.access import signed_in_view
from digitalpost.portal.forms.account import AdminTokenForm
from digitalpost.portal.signin import fresh_second_factor


def _tokens_of(user: User) -> QuerySet[AdminToken]:
    # Belongs in accounts.selectors (list_admin_tokens); kept here until that module grows one.
    return AdminToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def _own_token(user: User, token_id: int) -> AdminToken:
    found = _tokens_of(user).filter(pk=token_id).first()
    if found is None:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, f"admin token {token_id}")
    return found


@signed_in_view
@fresh_second_factor
def tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = AdminTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = issue_admin_token(user=user, name=form.cleaned_data["name"], actor=actor_of(user))
        form = AdminTokenForm()
    # Rendered, not redirected: the secret must not travel through a session or a URL.
    return render(request, "portal/account/tokens.html", {
        "form": form, "tokens": _tokens_of(user), "issued": issued,
    })


@signed_in_view
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token = _own_token(user, token_id)
    if token.revoked_at is None:
        revoke_admin_token(token=token, actor=actor_of(user))
        messages.success(request, _("The token “%(name)s” is revoked. Programs using it are refused from now "
                                    "on.") % {"name": token.name})
    return redirect("portal:tokens")


urlpatterns = [
    path("account/tokens/", tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", revoke_token, name="revoke_token"),
]
