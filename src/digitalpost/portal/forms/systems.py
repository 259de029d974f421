"""Forms of the systems pages: secure addresses, sender and receiver systems, certificate uploads.

Forms only parse and label input; every check that matters (certificates, names, IP lists, URLs) is the
service's, and its refusal is put on the form with `show_refusal` so each problem appears with its code.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from digitalpost.core.errors import CATALOGUE, DigitalPostError
from digitalpost.core.receipt_push import PushType
from digitalpost.portal.access import form_error
from digitalpost.protocols import smime
from digitalpost.systems.models import ReceiverSystem, SenderSystem

MAX_CERTIFICATE_BYTES = 64 * 1024
REFUSAL_STATUS = "refusal_status"

CERTIFICATE_HELP = _(
    "The certificate file: PEM (.pem, .crt, a chain may follow the certificate), DER (.cer, .der) or PKCS#12 "
    "(.p12, .pfx) without password. Only the certificate is kept, never a private key."
)


class CertificateField(forms.FileField):
    """An uploaded certificate file, read into bytes (size-limited; the service parses and checks it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Certificate"))
        kwargs.setdefault("help_text", CERTIFICATE_HELP)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> bytes | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        if upload.size > MAX_CERTIFICATE_BYTES:
            raise forms.ValidationError(_("A certificate file is at most 64 KB. Upload the certificate only."))
        return bytes(upload.read())


def show_refusal(form: forms.Form, exc: DigitalPostError) -> None:
    """A service's refusal on the form; a rejected certificate shows every problem with its code and fix.

    The page then answers with the refusal's HTTP status (`refusal_status`), as the API would.
    """
    setattr(form, REFUSAL_STATUS, exc.spec.http)
    if isinstance(exc, smime.CertificateRejected):
        for problem in exc.problems:
            form.add_error(None, f"{problem.text}. {CATALOGUE[problem.code].text} [{problem.code}]")
        return
    form_error(form, exc)


class SecureAddressForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The address your mail system receives inquiries at; the certificate must be issued to it."),
    )
    certificate = CertificateField()
    receiver_name = forms.CharField(
        label=_("Receiver system name"), required=False, max_length=200,
        help_text=_("How mailbox forms show this address as a receiver system. Empty: the e-mail address."),
    )


class CertificateForm(forms.Form):
    certificate = CertificateField()


class SecureAddressDeleteForm(forms.Form):
    repoint_to = forms.ModelChoiceField(
        queryset=ReceiverSystem.objects.none(), required=False, label=_("Re-point the mailboxes to"),
        help_text=_("Mailboxes that deliver to this address will deliver to this receiver system instead."),
    )

    def __init__(self, *args: Any, receivers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["repoint_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = receivers


class SenderSystemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(SenderSystem.Channel.REST, _("REST API (remote print, case systems)")),
                 (SenderSystem.Channel.SECURE_MAIL, _("Secure mail (signed S/MIME replies)"))],
        help_text=_("A REST system gets an API token; a secure-mail system signs with its certificate."),
    )
    certificate = CertificateField(
        required=False,
        help_text=_("Required for secure mail (a certificate for e-mail protection). For REST optional: the "
                    "client certificate for mutual TLS. PEM, DER or PKCS#12 without password."),
    )
    is_standard = forms.BooleanField(
        label=_("Standard sender system"), required=False,
        help_text=_("Simple replies are accepted only from the standard system. Only one system can be "
                    "standard: ticking this moves the mark from the current one."),
    )


class IpAllowlistForm(forms.Form):
    allowlist = forms.CharField(
        label=_("IP allow-list"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One IP address (192.0.2.10) or network (192.0.2.0/24) per line. Empty: any address may call."),
    )


class PushReceiverForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    endpoint_url = forms.CharField(
        label=_("Endpoint URL"), max_length=500,
        help_text=_("The https:// address the hub posts inquiries to."),
    )


class PushEndpointForm(forms.Form):
    """A sender system's endpoint for its receipts and events (docs/receipt-push.md)."""

    url = forms.CharField(label=_("Endpoint URL"), max_length=500,
                          help_text=_("The https:// address the hub posts this system's receipts and events to."))
    signing = forms.ChoiceField(
        label=_("Signature"), initial="HMAC", widget=forms.RadioSelect,
        choices=[("HMAC", _("HMAC with a secret for this endpoint (shown once)")),
                 ("RSA", _("RSA with the hub's key (checked with the hub certificate)"))],
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(t.value, t.value.replace("_", " ")) for t in PushType],
        help_text=_("None ticked: all of them."),
    )


class PullReceiverForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
