"""Where a portal user is in signing in, kept in their session.

Signing in with a local account takes steps: the password (Django's sign-in), a generated initial password
replaced, an authenticator app enrolled, and a second-factor code (django-otp marks the session verified).
`pending_step` names the next page a signed-in user must pass before any other portal page; the portal's
guards (portal.access) send them there. A verified second factor is *fresh* for DIGITALPOST_REAUTH_MINUTES:
sensitive actions (`fresh_second_factor`) ask for a code again after that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.models import Device

from digitalpost.accounts.selectors import has_second_factor, must_change_password

# When the second factor was last shown in this session (seconds since the epoch).
SECOND_FACTOR_AT = "digitalpost_second_factor_at"
# The organisation whose own provider signed this session in (staff single sign-on, portal.views.sso).
SIGNED_ON_BY = "digitalpost_signed_on_by"

View = Callable[..., HttpResponseBase]


def is_verified(request: HttpRequest) -> bool:
    """django-otp's OTPMiddleware gives request.user an is_verified(); false for everyone else."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def complete_second_factor(request: HttpRequest, device: Device) -> None:
    """Mark the session as having passed the second factor now, through django-otp's own login()."""
    otp_login(request, device)
    request.session[SECOND_FACTOR_AT] = time.time()


def complete_single_sign_on(request: HttpRequest, organisation: str) -> None:
    """The organisation's own provider authenticated the member (its policy sets the factors): no local password
    change or authenticator enrolment applies, and the sign-on counts as a fresh authentication now."""
    request.session[SIGNED_ON_BY] = organisation
    request.session[SECOND_FACTOR_AT] = time.time()


def signed_on_by(request: HttpRequest) -> str | None:
    value = request.session.get(SIGNED_ON_BY)
    return value if isinstance(value, str) and value else None


def second_factor_is_fresh(request: HttpRequest) -> bool:
    if not is_verified(request) and signed_on_by(request) is None:
        return False
    at = request.session.get(SECOND_FACTOR_AT)
    return isinstance(at, int | float) and time.time() - at <= settings.DIGITALPOST_REAUTH_MINUTES * 60


def pending_step(request: HttpRequest) -> str | None:
    """The url name of the sign-in step the signed-in user must pass first, or None when they are through.

    An enrolled user shows their second factor before anything else (a stolen password alone opens nothing);
    a generated password is replaced before an authenticator is enrolled, so the enrolment is theirs.
    """
    user = request.user
    assert isinstance(user, User)
    if signed_on_by(request) is not None:
        return None
    if not is_verified(request):
        if has_second_factor(user):
            return "portal:verify"
        return "portal:password_change" if must_change_password(user) else "portal:enrol"
    return "portal:password_change" if must_change_password(user) else None


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def safe_next(request: HttpRequest, candidate: str | None, default: str = "/portal/") -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default


def to_pending_step(request: HttpRequest, step: str) -> HttpResponseBase:
    return redirect(with_next(reverse(step), request.get_full_path()))


def fresh_second_factor(view: View) -> View:
    """Before a sensitive change (tokens, roles, certificates, secure addresses): a second factor shown within
    DIGITALPOST_REAUTH_MINUTES, else first to the confirmation page. Reading the page needs nothing more; the
    check is on the request that changes something. After confirming, the user comes back to the page the form
    was on (the Referer when it is ours, else this URL) and sends it again.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method in {"GET", "HEAD", "OPTIONS"} or second_factor_is_fresh(request):
            return view(request, *args, **kwargs)
        back = safe_next(request, _referer_path(request), default=request.path)
        organisation = signed_on_by(request)
        if organisation is not None:  # signed on through the organisation's provider: sign on there again
            return redirect(with_next(reverse("portal:sso_start", args=[organisation]), back))
        return redirect(with_next(reverse("portal:reauthenticate"), back))

    return wrapper


def _referer_path(request: HttpRequest) -> str | None:
    referer = str(request.META.get("HTTP_REFERER", ""))
    host = request.get_host()
    for scheme in ("https://", "http://"):
        prefix = f"{scheme}{host}"
        if referer.startswith(prefix + "/"):
            return referer[len(prefix):]
    return None
