"""The portal's door: every page names the action it needs, and enters the organisation through one guard.

    @org_view(Action.EDIT_SETUP)
    def mailbox_new(request, org: OrgAccess): ...

The wrapped view gets the OrgAccess (user, organisation, roles, caseworker mailboxes) as its second
argument. Not signed in: to the sign-in page. Signed in with a password but not yet through the second factor
(or still on a generated initial password): to that step first (portal.signin). Not a member: 404 (same as no
such organisation). Role too low: 403 naming the roles that may. A catalogue error escaping a view renders as a
page with its code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from digitalpost.accounts.selectors import OrgAccess, access_organisation, is_operator
from digitalpost.core.errors import CATALOGUE, DigitalPostError, ErrorCode
from digitalpost.core.roles import SIGNED_IN, Action, access_rule
from digitalpost.portal.signin import pending_step, to_pending_step

View = Callable[..., HttpResponseBase]


def to_sign_in(request: HttpRequest) -> HttpResponse:
    return redirect(f"{settings.PORTAL_LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")


def error_page(request: HttpRequest, exc: DigitalPostError, *, org: OrgAccess | None = None) -> HttpResponse:
    spec = CATALOGUE[exc.code]
    return render(request, "portal/error.html", {"error": exc, "spec": spec, "org": org}, status=spec.http)


def org_view(action: Action) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @never_cache  # set-up and casework pages must never come from a cache
        @wraps(view)
        def wrapper(request: HttpRequest, cvr: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return to_sign_in(request)
            if step := pending_step(request):
                return to_pending_step(request, step)
            try:
                org = access_organisation(request.user, cvr, action)
            except DigitalPostError as exc:
                return error_page(request, exc)
            request.org = org  # type: ignore[attr-defined]  # for the base template's menu
            try:
                return view(request, org, *args, **kwargs)
            except DigitalPostError as exc:
                return error_page(request, exc, org=org)

        return access_rule(action)(wrapper)

    return decorate


def signed_in_view(view: View) -> View:
    """A page about the signed-in user themselves (no organisation in the URL)."""

    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return to_sign_in(request)
        if step := pending_step(request):
            return to_pending_step(request, step)
        try:
            return view(request, *args, **kwargs)
        except DigitalPostError as exc:
            return error_page(request, exc)

    return access_rule(SIGNED_IN)(wrapper)


def platform_view(view: View) -> View:
    """A platform operator's page (no organisation in the URL): everyone else gets 404."""

    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return to_sign_in(request)
        if step := pending_step(request):
            return to_pending_step(request, step)
        if not is_operator(request.user):
            return error_page(request, DigitalPostError(ErrorCode.ORGANISATION_NOT_FOUND))
        try:
            return view(request, *args, **kwargs)
        except DigitalPostError as exc:
            return error_page(request, exc)

    return access_rule(Action.OPERATE_PLATFORM)(wrapper)


def form_error(form: Any, exc: DigitalPostError) -> None:
    """Show a service's refusal on the form, with its code, so the user sees what to fix."""
    form.add_error(None, f"{exc.text} [{exc.code}]")
