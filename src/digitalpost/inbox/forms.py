"""The form a citizen or company fills in to write to an authority mailbox.

The form only parses: it shapes the mailbox's own fields (topics, metadata fields) into inputs and turns
what was entered into an `Inquiry`. The rules (open mailbox, topic, required fields, size, number and names
of attachments) are the service's; its refusals are shown on the page with their code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitalpost.conversations.services.inquiries import Inquiry
from digitalpost.hub.webforms import MultipleFileField, PowerScopeForm
from digitalpost.registry.importing import normalise_mobile_number

if TYPE_CHECKING:
    from digitalpost.authorities.models import AuthorityMailbox

SUBJECT_MAX_LENGTH = 256
METADATA_MAX_LENGTH = 1000
METADATA_PREFIX = "field_"


class InquiryForm(forms.Form):
    required_css_class = "required"

    def __init__(self, mailbox: AuthorityMailbox, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = [topic.name for topic in mailbox.topics.all()]
        if topics:
            self.fields["topic"] = forms.ChoiceField(
                label=_("Topic"), choices=[("", _("Choose a topic")), *((t, t) for t in topics)]
            )
        self.fields["subject"] = forms.CharField(label=_("Subject line"), max_length=SUBJECT_MAX_LENGTH)
        self.fields["text"] = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 10}))
        self.metadata_labels: dict[str, str] = {}
        for position, field in enumerate(mailbox.metadata_fields.all()):
            name = f"{METADATA_PREFIX}{position}"
            self.metadata_labels[name] = field.label
            self.fields[name] = forms.CharField(
                label=field.label, required=field.is_required, max_length=METADATA_MAX_LENGTH
            )
        self.fields["attachments"] = MultipleFileField(
            label=_("Attachments"), required=False, help_text=_("You can attach up to 10 files.")
        )

    def metadata_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.metadata_labels]

    def attached_filenames(self) -> list[str]:
        """Names of the files sent with a refused form: a browser cannot keep them, so the page lists them."""
        return [f.name or "" for f in self.files.getlist("attachments")] if self.is_bound else []

    def to_inquiry(self) -> Inquiry:
        data = self.cleaned_data
        return Inquiry(
            subject=data["subject"],
            text=data["text"].replace("\r\n", "\n"),  # a browser sends a textarea's lines with CRLF
            topic=data.get("topic", ""),
            metadata=tuple(
                (label, data[name]) for name, label in self.metadata_labels.items() if data.get(name)
            ),
            attachments=[
                (f.name or "", f.content_type or "application/octet-stream", f.read()) for f in data["attachments"]
            ],
        )


class FollowupForm(forms.Form):
    """Writing again in a conversation: text and files; mailbox, topic and subject come from the thread."""

    text = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, help_text=_("You can attach up to 10 files.")
    )

    def files_sent(self) -> list[tuple[str, str, bytes]]:
        return [(f.name or "", f.content_type or "application/octet-stream", f.read())
                for f in self.cleaned_data["attachments"]]


class NotificationSettingsForm(forms.Form):
    """Where a citizen's or company's notices go: an e-mail address, notices on or off, a mobile for NemSMS."""

    notification_email = forms.EmailField(
        label=_("E-mail address for notices"), required=False, max_length=254,
        help_text=_("We write to this address when new Digital Post arrives. The e-mail never contains the "
                    "message itself, only who sent it and a link to your mailbox."),
    )
    notify_by_email = forms.BooleanField(label=_("Send me an e-mail when new Digital Post arrives"), required=False)
    mobile_number = forms.CharField(
        label=_("Mobile number for NemSMS"), required=False, max_length=20,
        help_text=_("Authorities can send short text messages (NemSMS) to this number. Leave it empty to get none."),
    )

    def clean_mobile_number(self) -> str:
        number = self.cleaned_data["mobile_number"].strip()
        if not number:
            return ""
        try:
            return normalise_mobile_number(number)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a mobile number: 8 digits, or + and the country code."), code="invalid"
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wants = data.get("notify_by_email") and "notification_email" not in self.errors
        if wants and not data.get("notification_email"):
            self.add_error("notification_email", _("Enter the e-mail address the notices should go to."))
        return data


class CompanyAccessForm(forms.Form):
    """A company administrator gives an employee access: named by their MitID Erhverv professional identity."""

    employee_id = forms.CharField(label=_("Employee's MitID Erhverv identity (UUID)"), max_length=200)
    employee_name = forms.CharField(label=_("Employee's name"), max_length=200, required=False)
    level = forms.ChoiceField(label=_("Access"), choices=[("READ", _("Read")), ("READ_WRITE", _("Read and write"))])
    is_administrator = forms.BooleanField(label=_("May also give and take access"), required=False)


class PowerOfAttorneyForm(PowerScopeForm):
    """A citizen gives another person a power of attorney: the holder's CPR number travels in this POST only. It
    covers the whole mailbox or the folders ticked (PowerScopeForm)."""

    field_order = ["holder_cpr", "level", "starts_on", "ends_on", "scope", "folders"]

    holder_cpr = forms.CharField(label=_("The holder's CPR number"), max_length=11,
                                 help_text=_("10 digits, with or without the dash. The person must have Digital Post."),
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    level = forms.ChoiceField(label=_("Access"), widget=forms.RadioSelect, initial="READ",
                              choices=[("READ", _("Read my letters and conversations")),
                                       ("READ_WRITE", _("Read, and also write, answer and forward for me"))])
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("Until (last day)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              help_text=_("Leave empty for a power of attorney until you end it."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()


class ForwardForm(forms.Form):
    """Forward a letter: to someone's Digital Post (CPR or CVR number), or, where the hub allows it, to an e-mail
    address as a notice; the documents go by e-mail only when the box saying so is ticked."""

    channel = forms.ChoiceField(label=_("Forward to"), widget=forms.RadioSelect, initial="digital",
                                choices=[("digital", _("Another person's or company's Digital Post"))])
    number = forms.CharField(label=_("CPR or CVR number"), max_length=11, required=False,
                             help_text=_("10 digits for a person, 8 for a company."),
                             widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    email = forms.EmailField(label=_("E-mail address"), required=False)
    include_documents = forms.BooleanField(
        label=_("Include the letter's documents in the e-mail. I know that e-mail is not secure."), required=False)

    def __init__(self, *args: Any, email_allowed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email_allowed = email_allowed
        if email_allowed:
            channel = self.fields["channel"]
            assert isinstance(channel, forms.ChoiceField)
            channel.choices = [("digital", _("Another person's or company's Digital Post")),
                               ("email", _("An e-mail address"))]
        else:
            del self.fields["email"], self.fields["include_documents"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") == "email":
            if not data.get("email"):
                self.add_error("email", _("Write the e-mail address."))
        elif not (data.get("number") or "").strip():
            self.add_error("number", _("Write the CPR or CVR number."))
        return data
