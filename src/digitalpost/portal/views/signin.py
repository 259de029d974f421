"""Signing in to the portal with a local account, step by step (portal.signin says which step is next).

1. The password (Django's LoginView; django-axes refuses while the user name or the address is locked out).
2. A generated initial password is replaced by the user's own.
3. No authenticator yet: enrol one (TOTP, QR code or the secret typed in) and get ten backup codes.
4. The code from the app (or a backup code): the session is verified through django-otp.
Later, sensitive changes ask for a fresh code again (reauthenticate). A forgotten password is reset through a
single-use, expiring link sent by e-mail; the answer is the same whether or not the address has an account.
Every step, failure and lock-out lands in the audit log.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user, verify_token
from django_otp.models import Device

from digitalpost.accounts.selectors import user_by_username
from digitalpost.accounts.services import (
    change_password,
    confirm_totp_enrolment,
    record_sign_in_event,
    send_password_reset,
    start_totp_enrolment,
)
from digitalpost.core.roles import PUBLIC, SIGNED_IN, access_rule
from digitalpost.portal.access import signed_in_view, to_sign_in
from digitalpost.portal.client_address import client_address
from digitalpost.portal.forms.account import SecondFactorForm
from digitalpost.portal.signin import (
    complete_second_factor,
    pending_step,
    safe_next,
    second_factor_is_fresh,
    with_next,
)

View = Callable[..., HttpResponseBase]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def sign_in_step(step: str) -> Callable[[View], View]:
    """A page of the sign-in itself: needs the password step done, and only while `step` is the next one."""

    def decorate(view: View) -> View:
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return to_sign_in(request)
            current = pending_step(request)
            if current != step:  # done already, or another step comes first
                target = reverse(current) if current else _next(request)
                return redirect(with_next(target, _next(request)) if current else target)
            return view(request, *args, **kwargs)

        return access_rule(SIGNED_IN)(wrapper)

    return decorate


class SignInView(auth_views.LoginView):
    """Step 1, the password. Django's login() gives the session a new id; the next step comes from pending_step."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True
    next_page = "/portal/"
    extra_context = {"demo_mode": settings.DEMO_MODE}

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        auth_login(self.request, form.get_user())
        step = pending_step(self.request) or "portal:verify"
        return HttpResponseRedirect(with_next(reverse(step), self.get_success_url()))

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if not getattr(self.request, "axes_locked_out", False):  # a lock-out has its own entry (portal.apps)
            record_sign_in_event(action="sign_in.failed", user=user_by_username(form.data.get("username", "")),
                                 address=client_address(self.request), detail="password")
        return super().form_invalid(form)


sign_in = access_rule(PUBLIC)(SignInView.as_view())


def _matching_device(user: User, code: str) -> Device | None:
    """The authenticator (or backup-code list) that accepts `code`, each checked through django-otp."""
    for device in devices_for_user(user):
        if verify_token(user, device.persistent_id, code):
            return device
    return None


def _check_code(request: HttpRequest, form: SecondFactorForm, *, purpose: str) -> Device | HttpResponse | None:
    """A code typed at sign-in or re-authentication: the device that took it, None (told on the form), or the
    lock-out response. A wrong code is a failed sign-in to django-axes, so the same limits apply as for
    passwords; reaching the limit ends the half-open session."""
    user = _user(request)
    credentials = {"username": user.get_username()}
    address = client_address(request)
    if not AxesProxyHandler.is_allowed(request, credentials):
        return _locked_out(request, credentials)
    device = _matching_device(user, form.cleaned_data["code"])
    if device is not None:
        return device
    record_sign_in_event(action="second_factor.failed", user=user, address=address, detail=purpose)
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request, credentials)
    form.add_error("code", _("That code is not right. Check the time on your phone, and use the newest code."))
    return None


def _locked_out(request: HttpRequest, credentials: dict[str, str]) -> HttpResponse:
    logout(request)
    # AxesMiddleware turns this request into the lock-out page (AXES_LOCKOUT_TEMPLATE, status 429).
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return HttpResponse(status=429)


@sign_in_step("portal:verify")
def verify(request: HttpRequest) -> HttpResponseBase:
    """Step 4: the second factor."""
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = _check_code(request, form, purpose="sign-in")
        if isinstance(checked, HttpResponse):
            return checked
        if checked is not None:
            complete_second_factor(request, checked)
            record_sign_in_event(action="sign_in.succeeded", user=_user(request), address=client_address(request))
            return redirect(_next(request))
    return render(request, "portal/signin/verify.html", {"form": form, "next": _next(request)})


def _qr_svg(url: str) -> str:
    # segno writes plain SVG markup (no script, no style attribute), safe under a strict Content-Security-Policy.
    return str(segno.make(url, error="m").svg_inline(scale=4, title=_("QR code for your authenticator app")))


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@sign_in_step("portal:enrol")
def enrol(request: HttpRequest) -> HttpResponseBase:
    """Step 3: set up an authenticator app; the first right code confirms it."""
    user = _user(request)
    device = start_totp_enrolment(user=user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = confirm_totp_enrolment(user=user, device_id=device.pk, code=form.cleaned_data["code"],
                                          address=client_address(request))
        if enrolled is not None:
            complete_second_factor(request, enrolled.device)
            record_sign_in_event(action="sign_in.succeeded", user=user, address=client_address(request))
            # Rendered, not redirected: the backup codes must not travel through a session or a URL.
            return render(request, "portal/signin/backup_codes.html",
                          {"codes": enrolled.backup_codes, "next": _next(request)})
        form.add_error("code", _("That code is not right. Check that the app shows Digital Post and the time on "
                                 "your phone is right, then type the newest code."))
    secret = b32encode(device.bin_key).decode()
    return render(request, "portal/signin/enrol.html", {
        "form": form, "next": _next(request), "qr_svg": _qr_svg(device.config_url), "secret": _grouped(secret),
        "demo_mode": settings.DEMO_MODE,
    })


class NewPasswordForm(PasswordChangeForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new = cleaned.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError(gettext_lazy("Choose a password other than the one you were given."))
        return cleaned


@sign_in_step("portal:password_change")
def password_change(request: HttpRequest) -> HttpResponseBase:
    """Step 2: the password someone else generated and saw is replaced before anything else."""
    user = _user(request)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        change_password(user=user, new_password=form.cleaned_data["new_password1"], reason="changed",
                        address=client_address(request))
        update_session_auth_hash(request, user)  # stay signed in: the session was bound to the old hash
        step = pending_step(request)
        return redirect(with_next(reverse(step), _next(request)) if step else _next(request))
    return render(request, "portal/signin/password_change.html", {"form": form, "next": _next(request)})


@signed_in_view
def reauthenticate(request: HttpRequest) -> HttpResponseBase:
    """A fresh second factor before a sensitive change (portal.signin.fresh_second_factor sends people here)."""
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = _check_code(request, form, purpose="re-authentication")
        if isinstance(checked, HttpResponse):
            return checked
        if checked is not None:
            complete_second_factor(request, checked)
            return redirect(_next(request))
    return render(request, "portal/signin/reauthenticate.html", {
        "form": form, "next": _next(request), "fresh": second_factor_is_fresh(request),
        "minutes": settings.DIGITALPOST_REAUTH_MINUTES,
    })


class ResetRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


@access_rule(PUBLIC)
@never_cache
def password_reset(request: HttpRequest) -> HttpResponseBase:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        base = settings.DIGITALPOST_PORTAL_URL.rstrip("/")

        def link(uidb64: str, token: str) -> str:
            return base + reverse("portal:password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})

        send_password_reset(email=form.cleaned_data["email"], link=link, address=client_address(request))
        return redirect("portal:password_reset_sent")  # the same answer whether or not the address is known
    return render(request, "portal/signin/reset_request.html", {
        "form": form, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    })


@access_rule(PUBLIC)
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/signin/reset_sent.html", {"minutes": settings.PASSWORD_RESET_TIMEOUT // 60})


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's check of the link (uid + token; it then moves the token out of the URL into the session), with
    the new password written by the accounts service so it lands in the audit log."""

    template_name = "portal/signin/reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        change_password(user=form.user, new_password=form.cleaned_data["new_password1"], reason="reset",
                        address=client_address(self.request))
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(str(self.success_url))


password_reset_confirm = access_rule(PUBLIC)(ResetConfirmView.as_view())


@access_rule(PUBLIC)
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/signin/reset_done.html")


urlpatterns = [
    path("login/", sign_in, name="login"),
    path("login/verify/", verify, name="verify"),
    path("login/enrol/", enrol, name="enrol"),
    path("login/password/", password_change, name="password_change"),
    path("login/reset/", password_reset, name="password_reset"),
    path("login/reset/sent/", password_reset_sent, name="password_reset_sent"),
    path("login/reset/done/", password_reset_done, name="password_reset_done"),
    path("login/reset/<uidb64>/<token>/", password_reset_confirm, name="password_reset_confirm"),
    path("account/confirm/", reauthenticate, name="reauthenticate"),
]
