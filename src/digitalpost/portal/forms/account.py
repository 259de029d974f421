"""Forms for the signed-in user's own account: personal admin API tokens, the second-factor code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AdminTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, strip=True,
        help_text=_("What the token is for, e.g. \"nightly mailbox sync\". You see the token itself only "
                    "once, right after it is issued."),
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=16, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The six digits your authenticator app shows now, or one of your backup codes."),
    )
